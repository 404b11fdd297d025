// Trains small MNIST models in TensorFlow.js and saves them with TF.js' own model.save(), as people outside Digits
// write LayersModels. The files are the TF.js import tests' fixtures: written by TF.js, not by Digits. Each model is
// trained briefly on its own input contract, which the importer has to find again.
//
//   node tfjs_models.mjs MNIST_DIR OUT_DIR [TFJS_RUNTIME_DIR]
//
// TFJS_RUNTIME_DIR is the node package holding @tensorflow/tfjs (default: convert/tfjs-runtime beside this script's
// source tree). Writes OUT_DIR/<model>/model.json + weights.bin for each model, and OUT_DIR/report.json with the
// test accuracy TF.js measured on all 10,000 MNIST test digits fed as the model was trained.
//
// Training runs on TF.js' wasm backend, as run.mjs does; its cpu backend takes seconds per batch for convolution
// gradients. The wasm backend of 4.22 has no kernel for the gradient of a convolution's filter
// (Conv2DBackpropFilter), so this script registers one written out in JavaScript below; it only trains, the saved
// files are TF.js' own.

import { createRequire } from 'node:module';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';

const [dataDir, outDir, runtimeArg] = process.argv.slice(2);
if (!dataDir || !outDir) {
  console.error('usage: node tfjs_models.mjs MNIST_DIR OUT_DIR [TFJS_RUNTIME_DIR]');
  process.exit(2);
}
const here = path.dirname(fileURLToPath(import.meta.url));
const runtimeDir = path.resolve(runtimeArg ?? path.join(here, '../../../tfjs-runtime'));
const require = createRequire(path.join(runtimeDir, 'package.json'));
const tf = require('@tensorflow/tfjs');
require('@tensorflow/tfjs-backend-wasm');

const TRAIN = 4000;
const EPOCHS = 2;

// Seeded initialisers and dropout, and no shuffling: the same fixtures on every run and every machine, so that what
// the import tests find does not depend on a random start.
let nextSeed = 1;
const seeded = () => ({ kernelInitializer: tf.initializers.glorotUniform({ seed: nextSeed++ }) });

/**
 * dL/dW of a 2-D convolution (NHWC input, HWIO filter, dilation 1): the sum over examples and output positions of
 * input patch × output gradient. Reads and writes the wasm backend's heap directly.
 */
function registerConvFilterGradient() {
  tf.registerKernel({
    kernelName: 'Conv2DBackpropFilter',
    backendName: 'wasm',
    kernelFunc: ({ inputs, backend, attrs }) => {
      const { x, dy } = inputs;
      if (attrs.dataFormat && attrs.dataFormat !== 'NHWC') throw new Error('only NHWC convolutions are trained here');
      const c = tf.backend_util.computeConv2DInfo(x.shape, attrs.filterShape, attrs.strides, 1, attrs.pad, attrs.dimRoundingMode);
      const xv = backend.readSync(x.dataId);
      const dv = backend.readSync(dy.dataId);
      const [kh, kw, ci, co] = attrs.filterShape;
      const [n, h, w] = x.shape;
      const dw = new Float32Array(kh * kw * ci * co);
      for (let b = 0; b < n; b++) {
        for (let oy = 0; oy < c.outHeight; oy++) {
          for (let ox = 0; ox < c.outWidth; ox++) {
            const d0 = ((b * c.outHeight + oy) * c.outWidth + ox) * co;
            for (let i = 0; i < kh; i++) {
              const iy = oy * c.strideHeight + i - c.padInfo.top;
              if (iy < 0 || iy >= h) continue;
              for (let j = 0; j < kw; j++) {
                const ix = ox * c.strideWidth + j - c.padInfo.left;
                if (ix < 0 || ix >= w) continue;
                const x0 = ((b * h + iy) * w + ix) * ci;
                const w0 = (i * kw + j) * ci * co;
                for (let k = 0; k < ci; k++) {
                  const v = xv[x0 + k];
                  if (v === 0) continue;
                  const o0 = w0 + k * co;
                  for (let o = 0; o < co; o++) dw[o0 + o] += v * dv[d0 + o];
                }
              }
            }
          }
        }
      }
      const out = backend.makeOutput(attrs.filterShape, 'float32');
      backend.typedArrayFromHeap(out).set(dw);
      return out;
    },
  });
}

/** An IDX file as raw or gzipped bytes: {dims, data}. */
function idx(name) {
  for (const p of [path.join(dataDir, name), path.join(dataDir, name + '.gz')]) {
    if (!existsSync(p)) continue;
    let bytes = readFileSync(p);
    if (p.endsWith('.gz')) bytes = gunzipSync(bytes);
    const rank = bytes[3];
    const dims = [];
    for (let i = 0; i < rank; i++) dims.push(bytes.readUInt32BE(4 + 4 * i));
    return { dims, data: bytes.subarray(4 + 4 * rank) };
  }
  throw new Error(`MNIST file ${name}(.gz) not found in ${dataDir}`);
}

/** The first n examples as 0–255 float pixels [n, 784] and labels. */
function load(images, labels, n) {
  const im = idx(images);
  const lb = idx(labels);
  const count = Math.min(n, im.dims[0]);
  const px = new Float32Array(count * 784);
  for (let i = 0; i < px.length; i++) px[i] = im.data[i];
  return { x: px, y: Int32Array.from(lb.data.subarray(0, count)), n: count };
}

/** Saves through TF.js' own serialisation into dir/model.json + dir/weights.bin, as a browser download would. */
async function save(model, dir) {
  mkdirSync(dir, { recursive: true });
  await model.save(tf.io.withSaveHandler(async (artifacts) => {
    writeFileSync(path.join(dir, 'weights.bin'), Buffer.from(artifacts.weightData));
    const json = {
      modelTopology: artifacts.modelTopology,
      format: artifacts.format,
      generatedBy: artifacts.generatedBy,
      convertedBy: artifacts.convertedBy,
      weightsManifest: [{ paths: ['weights.bin'], weights: artifacts.weightSpecs }],
    };
    writeFileSync(path.join(dir, 'model.json'), JSON.stringify(json));
    return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
  }));
}

/** Top-1 accuracy of model on the test set, pixels transformed by feed (0–255 in, the model's contract out). */
function accuracy(model, test, shape, feed) {
  let correct = 0;
  for (let start = 0; start < test.n; start += 1000) {
    const count = Math.min(1000, test.n - start);
    const guess = tf.tidy(() => {
      const x = feed(tf.tensor(test.x.subarray(start * 784, (start + count) * 784), [count, ...shape]));
      return model.predict(x).argMax(-1);
    });
    const g = guess.dataSync();
    guess.dispose();
    for (let i = 0; i < count; i++) if (g[i] === test.y[start + i]) correct++;
  }
  return correct / test.n;
}

async function train(model, data, shape, feed, loss) {
  model.compile({ optimizer: tf.train.adam(1e-3), loss, metrics: [] });
  const x = tf.tidy(() => feed(tf.tensor(data.x, [data.n, ...shape])));
  const y = tf.oneHot(tf.tensor1d(data.y, 'int32'), 10).toFloat();
  await model.fit(x, y, { epochs: EPOCHS, batchSize: 64, shuffle: false, verbose: 0 });
  x.dispose();
  y.dispose();
}

/** A copy of dir's model with its weights stored as the TF.js converter's uint8 (affine) or float16 quantization. */
function quantizedCopy(dir, to, dtype) {
  mkdirSync(to, { recursive: true });
  const json = JSON.parse(readFileSync(path.join(dir, 'model.json'), 'utf8'));
  const raw = readFileSync(path.join(dir, 'weights.bin'));
  const chunks = [];
  let offset = 0;
  for (const w of json.weightsManifest[0].weights) {
    const size = w.shape.reduce((a, b) => a * b, 1);
    const v = new Float32Array(raw.buffer.slice(raw.byteOffset + offset, raw.byteOffset + offset + 4 * size));
    offset += 4 * size;
    if (dtype === 'float16') {
      // Half floats by rounding the float32 bits (round to nearest even), as numpy's astype(float16) does.
      const h = new Uint16Array(size);
      const f32 = new Float32Array(1);
      const u32 = new Uint32Array(f32.buffer);
      for (let i = 0; i < size; i++) {
        f32[0] = v[i];
        const bits = u32[0];
        const sign = (bits >>> 16) & 0x8000;
        let exp = ((bits >>> 23) & 0xff) - 127 + 15;
        let mant = bits & 0x7fffff;
        if (exp <= 0) {
          // Subnormal half (or zero).
          if (exp < -10) { h[i] = sign; continue; }
          mant |= 0x800000;
          const shift = 14 - exp;
          let m = mant >>> shift;
          const rem = mant & ((1 << shift) - 1);
          const half = 1 << (shift - 1);
          if (rem > half || (rem === half && (m & 1))) m++;
          h[i] = sign | m;
          continue;
        }
        let m = mant >>> 13;
        const rem = mant & 0x1fff;
        if (rem > 0x1000 || (rem === 0x1000 && (m & 1))) m++;
        if (m === 0x400) { m = 0; exp++; }
        h[i] = exp >= 31 ? (sign | 0x7c00) : (sign | (exp << 10) | m);
      }
      chunks.push(Buffer.from(h.buffer));
      w.quantization = { dtype: 'float16' };
    } else {
      // The converter's affine uint8 quantization (tensorflowjs/quantization.py): the range widened to hold 0,
      // nudged so that 0 is exactly representable; decoded as q * scale + min.
      let lo = 0;
      let hi = 0;
      for (const x of v) { lo = Math.min(lo, x); hi = Math.max(hi, x); }
      const scale = hi === lo ? 1 : (hi - lo) / 255;
      const zero = Math.round(-lo / scale);
      lo = -zero * scale;
      const q = new Uint8Array(size);
      for (let i = 0; i < size; i++) q[i] = Math.max(0, Math.min(255, Math.round((v[i] - lo) / scale)));
      chunks.push(Buffer.from(q.buffer));
      w.quantization = { dtype: 'uint8', min: lo, scale };
    }
  }
  writeFileSync(path.join(to, 'weights.bin'), Buffer.concat(chunks));
  writeFileSync(path.join(to, 'model.json'), JSON.stringify(json));
}

/** Loads dir's model.json as tf.loadLayersModel does, from the files. */
async function loadBack(dir) {
  const json = JSON.parse(readFileSync(path.join(dir, 'model.json'), 'utf8'));
  const bin = readFileSync(path.join(dir, 'weights.bin'));
  const weightData = bin.buffer.slice(bin.byteOffset, bin.byteOffset + bin.length);
  return tf.loadLayersModel(tf.io.fromMemory({
    modelTopology: json.modelTopology, weightSpecs: json.weightsManifest[0].weights, weightData,
  }));
}

const started = Date.now();
async function main() {
  const mark = (what) => console.error(`${what}: ${(Date.now() - started) / 1000} s`);
  registerConvFilterGradient();
  if (!(await tf.setBackend('wasm'))) throw new Error('the TF.js wasm backend could not start');
  await tf.ready();

  const trainSet = load('train-images-idx3-ubyte', 'train-labels-idx1-ubyte', TRAIN);
  const test = load('t10k-images-idx3-ubyte', 't10k-labels-idx1-ubyte', 10000);
  const report = { tfjs: tf.version.tfjs, backend: tf.getBackend(), trainImages: trainSet.n, epochs: EPOCHS, models: {} };

  // 1. The TF.js tutorial's kind of network: Sequential, [n,28,28,1] input in [0,1], softmax output.
  const cnn = tf.sequential();
  cnn.add(tf.layers.conv2d({ inputShape: [28, 28, 1], filters: 8, kernelSize: 3, activation: 'relu', ...seeded() }));
  cnn.add(tf.layers.maxPooling2d({ poolSize: 2 }));
  cnn.add(tf.layers.conv2d({ filters: 16, kernelSize: 3, activation: 'relu', ...seeded() }));
  cnn.add(tf.layers.maxPooling2d({ poolSize: 2, strides: 2 }));
  cnn.add(tf.layers.flatten());
  cnn.add(tf.layers.dropout({ rate: 0.25, seed: nextSeed++ }));
  cnn.add(tf.layers.dense({ units: 32, activation: 'relu', ...seeded() }));
  cnn.add(tf.layers.dense({ units: 10, activation: 'softmax', ...seeded() }));
  const unit = (x) => x.div(255);
  await train(cnn, trainSet, [28, 28, 1], unit, 'categoricalCrossentropy');
  mark('cnn trained');
  await save(cnn, path.join(outDir, 'cnn'));
  report.models.cnn = { input: '[0,1] (x/255), light ink on dark', outputs: 'probabilities',
    accuracy: accuracy(cnn, test, [28, 28, 1], unit) };
  for (const q of ['uint8', 'float16']) {
    const dir = path.join(outDir, `cnn-${q}`);
    quantizedCopy(path.join(outDir, 'cnn'), dir, q);
    const m = await loadBack(dir);
    report.models[`cnn-${q}`] = { input: report.models.cnn.input, outputs: 'probabilities', accuracy: accuracy(m, test, [28, 28, 1], unit) };
    m.dispose();
  }

  // 2. Functional: a flat [n,784] input of 0–255 pixels, dark ink on light, reshaped and rescaled inside the
  //    model; batch normalisation; a residual block (Add) with an identity shortcut; average pooling; logits.
  const input = tf.input({ shape: [784], name: 'pixels' });
  let h = tf.layers.reshape({ targetShape: [28, 28, 1] }).apply(input);
  h = tf.layers.rescaling({ scale: -1 / 255, offset: 1 }).apply(h);
  h = tf.layers.conv2d({ filters: 8, kernelSize: 3, strides: 2, padding: 'valid', useBias: false, ...seeded() }).apply(h);
  h = tf.layers.batchNormalization({ epsilon: 1e-3, momentum: 0.9 }).apply(h);
  h = tf.layers.activation({ activation: 'relu' }).apply(h);
  let r = tf.layers.conv2d({ filters: 8, kernelSize: 3, padding: 'same', useBias: false, ...seeded() }).apply(h);
  r = tf.layers.batchNormalization({ momentum: 0.9 }).apply(r);
  r = tf.layers.reLU().apply(r);
  r = tf.layers.conv2d({ filters: 8, kernelSize: 3, padding: 'same', ...seeded() }).apply(r);
  h = tf.layers.add().apply([h, r]);
  h = tf.layers.activation({ activation: 'relu' }).apply(h);
  h = tf.layers.averagePooling2d({ poolSize: 2 }).apply(h);
  h = tf.layers.flatten().apply(h);
  const logits = tf.layers.dense({ units: 10, ...seeded() }).apply(h);
  const residual = tf.model({ inputs: input, outputs: logits, name: 'residual' });
  const inverted = (x) => x.mul(-1).add(255);
  await train(residual, trainSet, [784], inverted,
    (yTrue, yPred) => tf.losses.softmaxCrossEntropy(yTrue, yPred));
  mark('residual trained');
  await save(residual, path.join(outDir, 'residual'));
  report.models.residual = { input: '[0,255], dark ink on light', outputs: 'logits',
    accuracy: accuracy(residual, test, [784], inverted) };

  // 3. A layer Digits has no form for (untrained: it is only read, never run).
  const sep = tf.sequential();
  sep.add(tf.layers.conv2d({ inputShape: [28, 28, 1], filters: 4, kernelSize: 3, activation: 'relu' }));
  sep.add(tf.layers.separableConv2d({ filters: 8, kernelSize: 3, name: 'separable' }));
  sep.add(tf.layers.flatten());
  sep.add(tf.layers.dense({ units: 10, activation: 'softmax' }));
  await save(sep, path.join(outDir, 'separable'));

  report.seconds = (Date.now() - started) / 1000;
  writeFileSync(path.join(outDir, 'report.json'), JSON.stringify(report, null, 2));
  console.log(JSON.stringify(report));
}

main().catch((e) => {
  console.error(e.stack || e.message);
  process.exit(1);
});
