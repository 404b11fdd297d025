// Loads one .tflite file in LiteRT.js (LiteRT compiled to WebAssembly, its CPU kernels XNNPACK's) and classifies
// batches of images sent on stdin, answering on stdout, until stdin closes or a batch of 0 images arrives.
//
//   node run.mjs /path/to/model.tflite
//
// The WebAssembly build loaded is the one without relaxed SIMD, always: relaxed SIMD's integer dot products may round
// differently from one CPU to the next (they map to VNNI where the CPU has it), and a verification whose figures
// depend on the machine it ran on verifies nothing. Plain SIMD gives the same bits on every x86 and ARM CPU.
//
// Every message is little-endian (the frames of ../model-frames.mjs).
//   request:  int32 n, then n × inputSize float32 values (already in the input's type's units: a uint8
//             input gets its quantized integers; n = 0 ends the process)
//   response: int32 kind, int32 byteLength, payload
//     kind 1 READY   UTF-8 JSON {inputShape, inputDtype, outputShape, outputDtype, runtime} (sent once, first)
//     kind 2 RESULT  int32 n, int32 classes, n × classes float32 raw outputs (integers for an integer output)
//     kind 3 ERROR   UTF-8 message (the process then exits)

import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import vm from 'node:vm';
import { fileURLToPath } from 'node:url';
import { READY, answerBatches, fail, send } from '../model-frames.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const packageDir = path.join(here, 'node_modules', '@litertjs', 'core');
const wasmLoader = path.join(packageDir, 'wasm', 'litert_wasm_compat_internal.js');

/**
 * LiteRT.js loads its Emscripten module the way a web page does (a script tag, or importScripts in a worker). Under
 * node the worker path is given: importScripts runs the loader script in this context, and the loader finds its
 * .wasm beside itself through node's own file system.
 */
function provideWorkerGlobals() {
  globalThis.self = globalThis;
  globalThis.require = createRequire(import.meta.url);
  globalThis.__dirname = path.dirname(wasmLoader);
  globalThis.__filename = wasmLoader;
  globalThis.importScripts = (url) => {
    const file = String(url).startsWith('file:') ? fileURLToPath(url) : String(url);
    vm.runInThisContext(readFileSync(file, 'utf8'), { filename: file });
  };
}

// The element types LiteRT.js's tensors take (its JavaScript API has no int8).
const ARRAYS = { float32: Float32Array, uint8: Uint8Array, int32: Int32Array };

async function main() {
  const file = process.argv[2] ? path.resolve(process.argv[2]) : null;
  if (!file) return fail('usage: node run.mjs /path/to/model.tflite');
  provideWorkerGlobals();
  const version = JSON.parse(readFileSync(path.join(packageDir, 'package.json'), 'utf8')).version;
  const { loadLiteRt, loadAndCompile, Tensor } = await import('@litertjs/core');
  // Its log lines ("Created TensorFlow Lite XNNPACK delegate for CPU") go to stderr, which Java keeps for errors.
  await loadLiteRt(wasmLoader);
  let bytes;
  try {
    bytes = new Uint8Array(readFileSync(file));
  } catch (e) {
    return fail(`cannot read ${file}: ${e.code === 'ENOENT' ? 'no such file' : e.message}`);
  }
  let model;
  try {
    model = await loadAndCompile(bytes, { accelerator: 'wasm' });
  } catch (e) {
    return fail(`LiteRT could not load ${file}: ${e.message}`);
  }
  const inputs = model.getInputDetails();
  const outputs = model.getOutputDetails();
  if (inputs.length !== 1 || outputs.length !== 1) {
    return fail(`${file} has ${inputs.length} inputs and ${outputs.length} outputs; Digits' files have one of each`);
  }
  const input = inputs[0];
  const output = outputs[0];
  const inputShape = Array.from(Object.values(input.shape));
  const outputShape = Array.from(Object.values(output.shape));
  const InputArray = ARRAYS[input.dtype];
  if (!InputArray) return fail(`${file} takes ${input.dtype} input, which this runtime does not feed`);
  if (inputShape[0] !== 1) return fail(`${file} takes batches of ${inputShape[0]}; Digits' files take one image per call`);
  const inputSize = inputShape.slice(1).reduce((a, b) => a * b, 1);
  const classes = outputShape[outputShape.length - 1];
  send(READY, Buffer.from(JSON.stringify({
    inputShape, inputDtype: input.dtype, outputShape, outputDtype: output.dtype,
    runtime: `LiteRT.js ${version} (WebAssembly SIMD, XNNPACK) on node ${process.versions.node}`,
  }), 'utf8'));

  await answerBatches(inputSize, classes, async (values, n) => {
    const answers = new Float32Array(n * classes);
    // The files' batch dimension is 1, as an app feeds them, so each image is one call.
    for (let i = 0; i < n; i++) {
      const one = values.subarray(i * inputSize, (i + 1) * inputSize);
      const tensor = new Tensor(InputArray === Float32Array ? one : InputArray.from(one), inputShape);
      const results = await model.run(tensor);
      tensor.delete();
      answers.set(results[0].toTypedArray(), i * classes);
      for (const r of results) r.delete();
    }
    return answers;
  });
  model.delete();
}

main().catch((e) => fail(e.stack || e.message));
