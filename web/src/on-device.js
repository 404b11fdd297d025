// On-device inference: a model's TF.js export, downloaded once, kept in Cache Storage and run in the page by
// TensorFlow.js on its WebAssembly backend. The runtime is kept too, so after the first use no request leaves the page
// and it keeps working offline.

/**
 * Where the build puts TensorFlow.js (serve/pom.xml, tfjs.version; web/package.json pins the same). The version in
 * the path lets browsers keep these files without asking again; a new version is a new directory.
 */
export const RUNTIME_DIR = new URL('./vendor/tfjs-4.22.0/', import.meta.url);
/** Loaded in this order: layers and the backend attach themselves to the global tf that core makes. */
const RUNTIME_SCRIPTS = ['tf-core.es2017.min.js', 'tf-layers.es2017.min.js', 'tf-backend-wasm.es2017.min.js'];
/** Cache Storage bucket for model files; their URLs are versioned, so an entry never goes stale. */
export const MODEL_CACHE = 'digits-models-v1';
/** Cache Storage bucket the service worker answers vendor/ files from (sw.js names it too). */
export const RUNTIME_CACHE = 'digits-runtime-v1';

let runtimePromise = null;
const loadedScripts = new Set();

function loadScript(url) {
  if (loadedScripts.has(url)) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const script = document.createElement('script');
    script.src = url;
    script.onload = () => {
      loadedScripts.add(url);
      resolve();
    };
    script.onerror = () => {
      script.remove();
      reject(new Error(`could not load ${url}`));
    };
    document.head.append(script);
  });
}

/**
 * Puts the runtime files this page fetched into the service worker's cache, and drops other versions' files. The
 * service worker stores what it fetches itself; this covers a first visit, which it did not yet control. The files
 * come from the HTTP cache (they were just loaded, and may be kept a year), not from the network.
 */
async function keepRuntimeForOffline() {
  if (typeof caches === 'undefined') return;
  const cache = await caches.open(RUNTIME_CACHE);
  const used = performance.getEntriesByType('resource').map((e) => e.name)
    .filter((name) => name.startsWith(RUNTIME_DIR.href));
  for (const url of new Set(used)) {
    if (!(await cache.match(url))) await cache.add(url);
  }
  for (const request of await cache.keys()) {
    if (!request.url.startsWith(RUNTIME_DIR.href)) await cache.delete(request);
  }
}

/** Loads TensorFlow.js once and starts its WebAssembly backend (one thread: no cross-origin isolation here). */
export function loadRuntime() {
  if (!runtimePromise) {
    runtimePromise = (async () => {
      for (const name of RUNTIME_SCRIPTS) await loadScript(new URL(name, RUNTIME_DIR).href);
      const tf = globalThis.tf;
      tf.wasm.setWasmPaths(RUNTIME_DIR.href);
      if (!(await tf.setBackend('wasm'))) throw new Error('TensorFlow.js could not start its WebAssembly backend');
      await tf.ready();
      keepRuntimeForOffline().catch((e) => console.warn('the runtime is not kept for offline use:', e));
      return tf;
    })().catch((e) => {
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
 * A model file's bytes, from the cache when it was downloaded before.
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
 * A TF.js LayersModel's files as tf.io.fromMemory takes them: model.json, then its weight shards in manifest order,
 * each checked against the catalogue's SHA-256 and kept in the cache.
 * @param {{url: string, sha256: string|null, files: Array<{url: string, sha256: string|null}>}} tfjs
 */
export async function layersModelArtifacts(tfjs) {
  const base = new URL(tfjs.url, document.baseURI);
  const digests = new Map((tfjs.files || []).map((f) => [new URL(f.url, document.baseURI).href, f.sha256]));
  const json = await modelBytes(base.href, tfjs.sha256);
  const model = JSON.parse(new TextDecoder().decode(json.bytes));
  const weightSpecs = [];
  const shards = [];
  for (const group of model.weightsManifest || []) {
    weightSpecs.push(...group.weights);
    for (const path of group.paths) {
      const url = new URL(path, base).href;
      if (!digests.has(url)) throw new Error(`the catalogue lists no ${path} beside ${tfjs.url}`);
      shards.push(modelBytes(url, digests.get(url)));
    }
  }
  const parts = await Promise.all(shards);
  const weightData = new Uint8Array(parts.reduce((n, p) => n + p.bytes.length, 0));
  let at = 0;
  for (const p of parts) {
    weightData.set(p.bytes, at);
    at += p.bytes.length;
  }
  return {
    artifacts: {
      modelTopology: model.modelTopology,
      format: model.format,
      generatedBy: model.generatedBy,
      convertedBy: model.convertedBy,
      userDefinedMetadata: model.userDefinedMetadata,
      weightSpecs,
      weightData: weightData.buffer,
    },
    size: json.bytes.length + weightData.length,
    fromCache: json.fromCache && parts.every((p) => p.fromCache),
  };
}

/**
 * The input shape for one image from a model's declared input ([null,28,28,1] or [null,784]).
 * @param {ReadonlyArray<number|null>} shape the model's input shape, batch first
 * @param {number} pixels how many values one image has
 */
export function inputShape(shape, pixels) {
  const dims = [1, ...shape.slice(1).map((d) => (typeof d === 'number' && d > 0 ? d : 1))];
  if (dims.reduce((a, b) => a * b, 1) !== pixels) {
    throw new Error(`the model's input ${JSON.stringify(shape)} does not hold one 28x28 image`);
  }
  return dims;
}

/** A model running in the page. */
export class OnDeviceModel {
  constructor(tf, model, choice, size, fromCache) {
    this.tf = tf;
    this.model = model;
    this.choice = choice;
    /** The model's files' size in bytes. */
    this.size = size;
    this.fromCache = fromCache;
  }

  /**
   * Downloads (or takes from the cache) and opens a model version's TF.js export.
   * @param {import('./server-api.js').ModelChoice} choice
   */
  static async load(choice) {
    if (!choice.tfjs) throw new Error(`${choice.name} ${choice.version} has no TF.js export: use Server mode`);
    const [tf, files] = await Promise.all([loadRuntime(), layersModelArtifacts(choice.tfjs)]);
    const model = await tf.loadLayersModel(tf.io.fromMemory(files.artifacts));
    return new OnDeviceModel(tf, model, choice, files.size, files.fromCache);
  }

  /**
   * Classifies 784 preprocessed pixels.
   * @returns {Promise<{digit: number, probability: number, probabilities: number[], inferenceMs: number}>}
   */
  async predict(pixels) {
    const { tf } = this;
    const started = performance.now();
    const input = tf.tensor(pixels, inputShape(this.model.inputs[0].shape, pixels.length), 'float32');
    const output = this.model.predict(input);
    const probabilities = Array.from(await output.data(), Number);
    const inferenceMs = performance.now() - started;
    tf.dispose([input, output]);
    let digit = 0;
    for (let i = 1; i < probabilities.length; i++) if (probabilities[i] > probabilities[digit]) digit = i;
    return { digit, probability: probabilities[digit], probabilities, inferenceMs };
  }

  release() {
    this.model.dispose();
  }
}
