// The page: wires the drawing pad, the shared preprocessing and the two ways of running a model to the controls.

import { preprocessFor } from './preprocess.js';
import { resizeForModel } from './resize.js';
import { DrawingPad } from './drawing-pad.js';
import { isDigit } from './digit-check.js';
import { listModels, predictOnServer } from './server-api.js';
import { OnDeviceModel } from './on-device.js';

/** Longest side an uploaded picture is reduced to before preprocessing; MNIST ends at 28 pixels anyway. */
const MAX_UPLOAD_SIDE = 1024;
const STORAGE_MODE = 'digits.mode';
const STORAGE_MODEL = 'digits.model';
const STORAGE_CATALOGUE = 'digits.catalogue';

const $ = (id) => document.getElementById(id);
const els = {
  pad: $('pad'),
  detect: $('detect'),
  clear: $('clear'),
  upload: $('upload'),
  model: $('model'),
  status: $('status'),
  result: $('result'),
  digit: $('digit'),
  probability: $('probability'),
  inference: $('inference'),
  ranOn: $('ran-on'),
  bars: $('bars'),
  seen: $('seen'),
};

const state = {
  mode: 'server',
  /** @type {import('./server-api.js').ModelChoice[]} */
  choices: [],
  /** @type {import('./server-api.js').ModelChoice|null} */
  choice: null,
  /** The model loaded in the page, or the promise of it while it loads. */
  device: null,
  deviceKey: null,
  /** Results shown so far; exposed on the result element so scripts can wait for the next one. */
  shown: 0,
};

const pad = new DrawingPad(els.pad);
/** One row per class: its label, bar and value. */
let barRows = [];

const DIGIT_LABELS = ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'];

function labelsOf(choice) {
  return (choice && choice.labels) || DIGIT_LABELS;
}

/** Rebuilds the bars when the classes change (a retrained model may have other classes than the ten digits). */
function renderBars(labels) {
  if (barRows.length === labels.length && barRows.every((r, i) => r.labelText === labels[i])) return;
  els.bars.replaceChildren();
  barRows = labels.map((text) => {
    const li = document.createElement('li');
    const label = document.createElement('span');
    label.className = 'label';
    label.textContent = text;
    const track = document.createElement('span');
    track.className = 'track';
    const fill = document.createElement('span');
    fill.className = 'fill';
    track.append(fill);
    const value = document.createElement('span');
    value.className = 'value';
    value.textContent = '–';
    li.append(label, track, value);
    els.bars.append(li);
    return { li, fill, value, labelText: text };
  });
}

function keyOf(choice) {
  return choice ? `${choice.name}@${choice.version}` : '';
}

function setStatus(text, isError = false) {
  els.status.textContent = text;
  els.status.classList.toggle('error', isError);
}

function formatPercent(p) {
  return `${(p * 100).toFixed(p >= 0.9995 || p < 0.0005 ? 0 : 1)}%`;
}

function formatMs(ms) {
  if (ms == null) return '–';
  return `${ms < 1 ? ms.toFixed(2) : ms.toFixed(1)} ms`;
}

function formatSize(bytes) {
  if (bytes == null) return '';
  return bytes >= 1e6 ? `${(bytes / 1e6).toFixed(1)} MB` : `${Math.max(1, Math.round(bytes / 1e3))} kB`;
}

function drawSeen(pixels) {
  const ctx = els.seen.getContext('2d');
  const image = ctx.createImageData(28, 28);
  for (let i = 0; i < pixels.length; i++) {
    const v = Math.round(pixels[i] * 255);
    image.data.set([v, v, v, 255], i * 4);
  }
  ctx.putImageData(image, 0, 0);
}

function showResult(answer, ranOn) {
  const { digit, probability, probabilities } = answer;
  const labels = labelsOf(state.choice).length === probabilities.length
    ? labelsOf(state.choice) : probabilities.map((_, i) => String(i));
  renderBars(labels);
  els.result.classList.remove('none');
  els.digit.textContent = answer.label ?? labels[digit];
  els.probability.textContent = formatPercent(probability);
  els.inference.textContent = formatMs(answer.inferenceMs);
  els.ranOn.textContent = ranOn;
  barRows.forEach((row, d) => {
    const p = probabilities[d] ?? 0;
    row.fill.style.width = `${(p * 100).toFixed(1)}%`;
    row.value.textContent = formatPercent(p);
    row.li.classList.toggle('best', d === digit);
    row.li.setAttribute('aria-label', `${row.labelText}: ${formatPercent(p)}`);
  });
  publish({ digit: els.digit.textContent, source: ranOn.startsWith('server') ? 'server' : 'device', probabilities });
}

const NO_DIGIT_HINT = 'No digit found — try drawing larger, with a thicker line, or a picture with clear ink on a plain background.';
const NOT_A_DIGIT_HINT = "This doesn't look like a digit — draw one digit, 0 to 9, large and in the middle.";

/** An answer the model's digit check rejects: no digit, but the bars still show what the model saw. */
function showNotADigit(probabilities, ranOn) {
  showNothing(ranOn);
  els.digit.textContent = '?';
  barRows.forEach((row, d) => {
    const p = probabilities[d] ?? 0;
    row.fill.style.width = `${(p * 100).toFixed(1)}%`;
    row.value.textContent = formatPercent(p);
    row.li.setAttribute('aria-label', `${row.labelText}: ${formatPercent(p)}`);
  });
  setStatus(NOT_A_DIGIT_HINT);
  els.result.dataset.digit = 'not-a-digit';
  els.result.dataset.source = ranOn.startsWith('server') ? 'server' : 'device';
  els.result.dataset.probabilities = JSON.stringify(Array.from(probabilities));
}

function showNothing(text) {
  els.result.classList.add('none');
  els.digit.textContent = '–';
  els.probability.textContent = '–';
  els.inference.textContent = '–';
  els.ranOn.textContent = text;
  barRows.forEach((row) => {
    row.fill.style.width = '0';
    row.value.textContent = '–';
    row.li.classList.remove('best');
    row.li.removeAttribute('aria-label');
  });
  publish({ digit: 'none', source: 'none' });
}

// Scripts and tests read the outcome from these attributes instead of parsing the visible text.
function publish({ digit, source, probabilities = [] }) {
  state.shown += 1;
  els.result.dataset.digit = digit;
  els.result.dataset.source = source;
  els.result.dataset.probabilities = JSON.stringify(Array.from(probabilities));
  els.result.dataset.shown = String(state.shown);
}

async function detect() {
  if (pad.isBlank()) {
    setStatus('Draw a digit first, or upload a picture of one.');
    return;
  }
  els.detect.disabled = true;
  if (els.status.classList.contains('error')) setStatus('');
  try {
    // As the model's card declares: handwriting is found and centred (and straightened, for a model trained so),
    // other pictures are resized whole.
    const how = state.choice?.preprocessing ?? 'digit';
    const digit = how === 'resize' ? resizeForModel(pad.imageData()) : preprocessFor(pad.imageData(), how);
    drawSeen(digit.pixels);
    if (!digit.found) {
      showNothing('No digit found');
      setStatus(NO_DIGIT_HINT);
      return;
    }
    if (state.mode === 'device') {
      const model = await deviceModel();
      const answer = await model.predict(digit.pixels);
      const ranOn = `this device (${model.choice.name} v${model.choice.version})`;
      // The same rule the server applies, with the threshold from this version's card.
      if (isDigit(answer.probabilities, model.choice.digitCheck)) showResult(answer, ranOn);
      else showNotADigit(answer.probabilities, ranOn);
    } else {
      const answer = await predictOnServer(digit.pixels, state.choice);
      const ranOn = `server (${answer.model.name} v${answer.model.version})`;
      if (answer.found) showResult(answer, ranOn);
      else if (answer.reason === 'not-a-digit') showNotADigit(answer.probabilities, ranOn);
      else {
        showNothing('No digit found');
        setStatus(NO_DIGIT_HINT);
      }
    }
  } catch (e) {
    setStatus(state.mode === 'server'
      ? `The server did not answer (${e.message}). On-device mode works offline once its model is loaded.`
      : `On-device inference failed: ${e.message}`, true);
  } finally {
    els.detect.disabled = false;
  }
}

function clearAll() {
  pad.clear();
  els.upload.value = '';
  showNothing('–');
  drawSeen(new Float32Array(784));
  setStatus('');
}

async function upload(file) {
  if (!file) return;
  let bitmap;
  try {
    bitmap = await createImageBitmap(file);
  } catch {
    setStatus(`${file.name} is not an image this browser can decode: use PNG, JPEG, GIF, BMP or WebP.`, true);
    return;
  }
  const scale = Math.min(1, MAX_UPLOAD_SIDE / Math.max(bitmap.width, bitmap.height));
  const w = Math.max(1, Math.round(bitmap.width * scale));
  const h = Math.max(1, Math.round(bitmap.height * scale));
  const canvas = new OffscreenCanvas(w, h);
  const ctx = canvas.getContext('2d', { willReadFrequently: true });
  // Left transparent: preprocessing composites transparency on white, exactly as the server does.
  ctx.drawImage(bitmap, 0, 0, w, h);
  pad.showPicture(bitmap, ctx.getImageData(0, 0, w, h));
  setStatus(`${file.name}: ${bitmap.width}×${bitmap.height}`);
  await detect();
}

/** The chosen model running in the page, loading it (once) when needed. */
function deviceModel() {
  const key = keyOf(state.choice);
  if (!state.choice) return Promise.reject(new Error('no model is available yet'));
  if (state.device && state.deviceKey === key) return state.device;
  const previous = state.device;
  state.deviceKey = key;
  const choice = state.choice;
  setStatus(`Loading ${choice.name} v${choice.version} into the page…`);
  els.status.dataset.device = 'loading';
  state.device = OnDeviceModel.load(choice).then((model) => {
    if (state.deviceKey === key) {
      setStatus(`${choice.name} v${choice.version} runs on this device (${formatSize(model.size)}`
        + `${model.fromCache ? ', from cache' : ', downloaded'}): it keeps working offline.`);
      els.status.dataset.device = 'ready';
      // Which export runs here and what its verification allows it to differ from the float32 model, for scripts.
      els.status.dataset.deviceModel = JSON.stringify(model.choice.tfjs);
    }
    return model;
  }, (e) => {
    if (state.deviceKey === key) {
      state.device = null;
      state.deviceKey = null;
      els.status.dataset.device = 'failed';
    }
    throw e;
  });
  if (previous) previous.then((m) => m.release()).catch(() => {});
  return state.device;
}

function setMode(mode) {
  state.mode = mode;
  localStorage.setItem(STORAGE_MODE, mode);
  document.querySelector(`input[name="mode"][value="${mode}"]`).checked = true;
  renderModelOptions();
  if (mode === 'device') {
    deviceModel().catch((e) => setStatus(`Could not load the model into the page: ${e.message}`, true));
  } else {
    setStatus('');
  }
}

function renderModelOptions() {
  els.model.replaceChildren();
  for (const c of state.choices) {
    const option = document.createElement('option');
    option.value = keyOf(c);
    const size = c.tfjs && c.tfjs.size != null ? `, ${formatSize(c.tfjs.size)}` : '';
    option.textContent = `${c.name} v${c.version}${c.latest ? ' (latest)' : ''}${state.mode === 'device' ? size : ''}`;
    option.disabled = state.mode === 'device' && !c.tfjs;
    els.model.append(option);
  }
  els.model.disabled = state.choices.length === 0;
  if (state.choice) els.model.value = keyOf(state.choice);
}

function chooseModel(key) {
  state.choice = state.choices.find((c) => keyOf(c) === key) || state.choice;
  localStorage.setItem(STORAGE_MODEL, keyOf(state.choice));
  renderBars(labelsOf(state.choice));
  if (state.mode === 'device') {
    deviceModel().catch((e) => setStatus(`Could not load the model into the page: ${e.message}`, true));
  }
}

async function loadModels() {
  let offline = false;
  try {
    state.choices = await listModels();
    localStorage.setItem(STORAGE_CATALOGUE, JSON.stringify(state.choices));
  } catch (e) {
    // Offline: the models seen last time are still the ones whose files may sit in the cache.
    const known = JSON.parse(localStorage.getItem(STORAGE_CATALOGUE) || '[]');
    if (!known.length) {
      els.model.replaceChildren(new Option('No models: the server is unreachable'));
      setStatus(`Could not list the models (${e.message}).`, true);
      return;
    }
    state.choices = known;
    offline = true;
  }
  const remembered = localStorage.getItem(STORAGE_MODEL);
  state.choice = state.choices.find((c) => keyOf(c) === remembered)
    || state.choices.find((c) => c.isDefault && c.latest)
    || state.choices.find((c) => c.latest)
    || state.choices[0]
    || null;
  if (!state.choice) {
    els.model.replaceChildren(new Option('The server has no models'));
    return;
  }
  renderBars(labelsOf(state.choice));
  setMode(localStorage.getItem(STORAGE_MODE) === 'device' ? 'device' : 'server');
  if (offline && state.mode === 'server') {
    setStatus('The server is unreachable: switch to On device to use a model downloaded before.', true);
  }
}

els.detect.addEventListener('click', detect);
els.clear.addEventListener('click', clearAll);
els.upload.addEventListener('change', () => upload(els.upload.files[0]));
els.model.addEventListener('change', () => chooseModel(els.model.value));
for (const radio of document.querySelectorAll('input[name="mode"]')) {
  radio.addEventListener('change', () => radio.checked && setMode(radio.value));
}
els.pad.addEventListener('keydown', (e) => {
  if (e.key === 'Enter' || e.key === ' ') {
    e.preventDefault();
    detect();
  } else if (e.key === 'Delete' || e.key === 'Backspace' || e.key === 'Escape') {
    e.preventDefault();
    clearAll();
  }
});

renderBars(DIGIT_LABELS);
showNothing('–');
els.result.dataset.shown = '0';
state.shown = 0;
loadModels();

if ('serviceWorker' in navigator) {
  // The service worker keeps the page and the runtime available offline; the model files are kept by on-device.js.
  navigator.serviceWorker.register('sw.js').catch((e) => console.warn('offline support unavailable:', e));
}
