// Loads one TF.js LayersModel with tf.loadLayersModel and classifies batches of images sent on stdin, answering on
// stdout, until stdin closes or a batch of 0 images arrives.
//
//   node run.mjs /path/to/model.json [wasm|cpu]
//
// Backends: wasm (the default; WebAssembly with SIMD, what a browser falls back to without WebGL) or cpu (TF.js'
// pure-JavaScript kernels: the plainest reference, about 25 times slower on convolutions).
//
// The model is loaded through tf.io.http with a fetch function that reads from disk, so shard paths are resolved
// relative to model.json exactly as a browser resolves them against the model's URL.
//
// Every message is little-endian (the frames of ../model-frames.mjs).
//   request:  int32 n, then n × inputSize float32 values (in the model's input units; n = 0 ends the process)
//   response: int32 kind, int32 byteLength, payload
//     kind 1 READY   UTF-8 JSON {inputShape, inputDtype, outputShape, tfjsVersion, backend, userDefinedMetadata}
//                    (sent once, first)
//     kind 2 RESULT  int32 n, int32 classes, n × classes float32 probabilities
//     kind 3 ERROR   UTF-8 message (the process then exits)

import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { READY, answerBatches, fail, send } from '../model-frames.mjs';

/**
 * A fetch that serves model.json and its shards from the model's directory. A file that cannot be read rejects, as
 * an unreachable URL does in a browser (TF.js does not check the status of weight responses, so a 404 would only
 * surface later as "the tensor should have N values but has 0").
 */
function diskFetch(modelDir) {
  return async (url) => {
    const file = path.resolve(url);
    if (path.dirname(file) !== modelDir && !file.startsWith(modelDir + path.sep)) {
      throw new Error(`${url} is outside the model's directory ${modelDir}`);
    }
    try {
      return new Response(await readFile(file), { status: 200 });
    } catch (e) {
      throw new Error(`cannot read ${file}: ${e.code === 'ENOENT' ? 'no such file' : e.message}`);
    }
  };
}

async function main() {
  const modelJson = process.argv[2];
  if (!modelJson) return fail('usage: node run.mjs /path/to/model.json');
  const backend = process.argv[3] || 'wasm';
  if (backend !== 'wasm' && backend !== 'cpu') return fail(`unknown TF.js backend '${backend}'; choose wasm or cpu`);
  const tf = await import('@tensorflow/tfjs');
  if (backend === 'wasm') await import('@tensorflow/tfjs-backend-wasm');
  if (!(await tf.setBackend(backend))) return fail(`the TF.js ${backend} backend could not start`);
  await tf.ready();

  const file = path.resolve(modelJson);
  let model;
  try {
    model = await tf.loadLayersModel(tf.io.http(file, { fetchFunc: diskFetch(path.dirname(file)) }));
  } catch (e) {
    return fail(`tf.loadLayersModel could not load ${file}: ${e.message}`);
  }
  const input = model.inputs[0];
  const sampleShape = input.shape.slice(1);
  const inputSize = sampleShape.reduce((a, b) => a * b, 1);
  const classes = model.outputs[0].shape[1];
  send(READY, Buffer.from(JSON.stringify({
    inputShape: input.shape,
    inputDtype: input.dtype,
    outputShape: model.outputs[0].shape,
    tfjsVersion: tf.version.tfjs,
    backend: tf.getBackend(),
    userDefinedMetadata: model.getUserDefinedMetadata() ?? null,
  }), 'utf8'));

  await answerBatches(inputSize, classes, (values, n) => {
    const y = tf.tidy(() => model.predict(tf.tensor(values, [n, ...sampleShape], input.dtype), { batchSize: 256 }));
    const probabilities = y.dataSync();
    y.dispose();
    return probabilities;
  });
}

main().catch((e) => fail(e.stack || e.message));
