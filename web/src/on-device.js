// On-device inference: the ONNX export of a model, downloaded once, kept in Cache Storage and run in the page by ONNX
// Runtime Web (WebAssembly). After the first download no request leaves the page, so it keeps working offline.

/** Where the build puts onnxruntime-web's files, relative to this module. */
const RUNTIME_DIR = new URL('./vendor/onnxruntime-web/', import.meta.url);
/** Cache Storage bucket for model files; their URLs are versioned, so an entry never goes stale. */
export const MODEL_CACHE = 'digits-models-v1';

let runtimePromise = null;

/** Loads ONNX Runtime Web once, configured to run from this server with no cross-origin isolation. */
export function loadRuntime() {
  if (!runtimePromise) {
    runtimePromise = import(new URL('ort.wasm.min.mjs', RUNTIME_DIR).href).then((ort) => {
      ort.env.wasm.wasmPaths = RUNTIME_DIR.href;
      // Threads need SharedArrayBuffer, which needs cross-origin isolation headers; one thread is plenty for MNIST.
      ort.env.wasm.numThreads = 1;
      ort.env.wasm.proxy = false;
      return ort;
    }).catch((e) => {
      runtimePromise = null; // let a later attempt retry, e.g. once the server is back
      throw e;
    });
  }
  return runtimePromise;
}

function hex(buffer) {
  return Array.from(new Uint8Array(buffer), (b) => b.toString(16).padStart(2, '0')).join('');
}

/**
 * The model file's bytes, from the cache when it was downloaded before.
 * @param {string} url the versioned download URL
 * @param {string|null} sha256 expected digest (hex); a mismatching download is refused and not cached
 * @returns {Promise<{bytes: Uint8Array, fromCache: boolean}>}
 */
export async function modelBytes(url, sha256) {
  const absolute = new URL(url, document.baseURI).href;
  const cache = typeof caches !== 'undefined' ? await caches.open(MODEL_CACHE) : null;
  let response = cache ? await cache.match(absolute) : undefined;
  const fromCache = response !== undefined;
  if (!response) {
    response = await fetch(absolute);
    if (!response.ok) throw new Error(`downloading the model failed: ${response.status} ${response.statusText}`);
  }
  const buffer = await response.clone().arrayBuffer();
  if (sha256 && crypto.subtle) {
    const actual = hex(await crypto.subtle.digest('SHA-256', buffer));
    if (actual !== sha256.toLowerCase()) {
      if (cache) await cache.delete(absolute);
      throw new Error(`the downloaded model's sha256 is ${actual}, the catalogue says ${sha256}`);
    }
  }
  if (cache && !fromCache) await cache.put(absolute, response);
  return { bytes: new Uint8Array(buffer), fromCache };
}

/**
 * The input tensor a model expects for one 28x28 image, from its declared input: [1,1,28,28] (NCHW, the ONNX
 * default), [1,28,28,1] (NHWC) or [1,784]; float32 in [0,1], or uint8 0-255.
 * @param {{type?: string, shape?: ReadonlyArray<number|string>}} input the session's input metadata
 * @param {Float32Array} pixels 784 values in [0,1]
 * @returns {{type: string, data: Float32Array|Uint8Array, dims: number[]}}
 */
export function inputTensorData(input, pixels) {
  const shape = input.shape || [1, 1, 28, 28];
  // Symbolic dimensions (a batch named "N") become 1: one image at a time.
  const dims = shape.map((d) => (typeof d === 'number' && d > 0 ? d : 1));
  const count = dims.reduce((a, b) => a * b, 1);
  if (count !== pixels.length) {
    throw new Error(`the model's input ${JSON.stringify(shape)} does not hold one 28x28 image`);
  }
  const type = input.type || 'float32';
  if (type === 'float32') return { type, data: pixels, dims };
  if (type === 'uint8') return { type, data: Uint8Array.from(pixels, (v) => Math.round(v * 255)), dims };
  throw new Error(`the model takes ${type} input; on-device mode runs float32 or uint8 models`);
}

/** A model running in the page. */
export class OnDeviceModel {
  constructor(session, choice, size, fromCache) {
    this.session = session;
    this.choice = choice;
    /** The model file's size in bytes. */
    this.size = size;
    this.fromCache = fromCache;
  }

  /**
   * Downloads (or takes from the cache) and opens a model version's ONNX file.
   * @param {{name: string, version: string, onnx: {url: string, sha256: string|null}|null}} choice
   */
  static async load(choice) {
    if (!choice.onnx) throw new Error(`${choice.name} ${choice.version} has no ONNX export: use Server mode`);
    const [ort, file] = await Promise.all([loadRuntime(), modelBytes(choice.onnx.url, choice.onnx.sha256)]);
    const session = await ort.InferenceSession.create(file.bytes, { executionProviders: ['wasm'] });
    return new OnDeviceModel(session, choice, file.bytes.length, file.fromCache);
  }

  /**
   * Classifies 784 preprocessed pixels.
   * @returns {Promise<{digit: number, probability: number, probabilities: number[], inferenceMs: number}>}
   */
  async predict(pixels) {
    const ort = await loadRuntime();
    const inputName = this.session.inputNames[0];
    const meta = (this.session.inputMetadata || []).find((m) => m.name === inputName) || {};
    const { type, data, dims } = inputTensorData(meta, pixels);
    const started = performance.now();
    const outputs = await this.session.run({ [inputName]: new ort.Tensor(type, data, dims) });
    const inferenceMs = performance.now() - started;
    const probabilities = Array.from(outputs[this.session.outputNames[0]].data, Number);
    let digit = 0;
    for (let i = 1; i < probabilities.length; i++) if (probabilities[i] > probabilities[digit]) digit = i;
    return { digit, probability: probabilities[digit], probabilities, inferenceMs };
  }

  release() {
    return this.session.release();
  }
}
