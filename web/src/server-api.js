// The Digits HTTP API as the page uses it: the model catalogue and predictions on the server.

/** An API failure, with the server's {"error", "detail"} when it sent one. */
export class ApiError extends Error {
  constructor(message, status) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
  }
}

async function failure(response) {
  let message = `${response.status} ${response.statusText}`.trim();
  try {
    const body = await response.json();
    if (body && body.error) message = body.detail ? `${body.error}: ${body.detail}` : body.error;
  } catch {
    // Not JSON (a proxy's page, say): the status line says enough.
  }
  return new ApiError(message, response.status);
}

/**
 * One model version as the page needs it.
 * @typedef {{name: string, version: string, latest: boolean, isDefault: boolean, labels: string[]|null,
 *   preprocessing: 'digit'|'digit-deskewed'|'resize', digitCheck: {temperature: number, threshold: number}|null,
 *   tfjs: {url: string, size: number|null, sha256: string|null, quantization: string, maxDifference: number|null,
 *     files: Array<{url: string, sha256: string|null}>}|null}} ModelChoice
 */

/**
 * Lists every version of every model from GET /api/v1/models.
 * @returns {Promise<ModelChoice[]>}
 */
export async function listModels(fetchImpl = fetch) {
  const response = await fetchImpl('api/v1/models', { headers: { Accept: 'application/json' } });
  if (!response.ok) throw await failure(response);
  return modelChoices(await response.json());
}

/**
 * The TF.js export the page runs: the smallest one whose verification found the float32 model's answer on every test
 * image (agreement 1: a float16 or uint8-quantized file usually), else the float32 file. Smaller means a faster first
 * use; the report says what the smaller file costs in probability (maxDifference).
 */
export function preferredTfjs(formats) {
  const tfjs = (formats || []).filter((f) => f.format === 'tfjs' && f.url);
  const keeps = tfjs.filter((f) => f.quantization === 'float32' || (f.report && f.report.agreement === 1));
  keeps.sort((a, b) => (a.size ?? Infinity) - (b.size ?? Infinity));
  return keeps.length ? keeps[0] : null;
}

/**
 * Flattens the catalogue into one choice per model version, newest version first within each model.
 * @param {{models: Array<{name: string, latest: number, default?: boolean,
 *   versions: Array<{version: number, latest?: boolean, labels?: string[], formats?: Array<object>}>}>}} catalogue
 * @returns {ModelChoice[]}
 */
export function modelChoices(catalogue) {
  const choices = [];
  for (const model of catalogue.models || []) {
    const versions = [...(model.versions || [])].sort((a, b) => b.version - a.version);
    for (const v of versions) {
      const tfjs = preferredTfjs(v.formats);
      choices.push({
        name: model.name,
        version: String(v.version),
        latest: v.latest ?? String(v.version) === String(model.latest),
        isDefault: Boolean(model.default),
        labels: Array.isArray(v.labels) ? v.labels.map(String) : null,
        preprocessing: ['resize', 'digit-deskewed'].includes(v.input?.preprocessing) ? v.input.preprocessing : 'digit',
        digitCheck: v.digitCheck && v.digitCheck.threshold > 0
          ? { temperature: Number(v.digitCheck.temperature), threshold: Number(v.digitCheck.threshold) }
          : null,
        tfjs: tfjs
          ? {
            url: tfjs.url,
            size: tfjs.size ?? null,
            sha256: tfjs.sha256 ?? null,
            quantization: tfjs.quantization,
            maxDifference: tfjs.report?.maxDifference ?? null,
            files: (tfjs.files || []).map((f) => ({ url: f.url, sha256: f.sha256 ?? null })),
          }
          : null,
      });
    }
  }
  return choices;
}

/**
 * Classifies 784 preprocessed pixels on the server.
 * @param {Float32Array} pixels 28x28 values in [0, 1], white digit on black
 * @param {{name: string, version: string}|null} model null for the server's default
 * @returns {Promise<{found: boolean, digit: number, label: string, probability: number, probabilities: number[],
 *   reason: 'empty'|'not-a-digit'|null, score: number|null, inferenceMs: number|null,
 *   model: {name: string, version: string}}>}
 */
export async function predictOnServer(pixels, model, fetchImpl = fetch) {
  const body = { pixels: Array.from(pixels) };
  if (model) {
    body.model = model.name;
    body.version = model.version;
  }
  const response = await fetchImpl('api/v1/predict', {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', Accept: 'application/json' },
    body: JSON.stringify(body),
  });
  if (!response.ok) throw await failure(response);
  const answer = await response.json();
  return {
    found: answer.found !== false,
    digit: answer.digit,
    label: answer.label ?? String(answer.digit),
    probability: answer.probability,
    probabilities: answer.probabilities,
    // Why found is false: 'empty' (nothing drawn) or 'not-a-digit' (the model's digit check rejected the answer).
    reason: answer.reason ?? null,
    score: answer.score ?? null,
    inferenceMs: answer.timing ? answer.timing.inferenceMs : null,
    model: answer.model,
  };
}
