// Turns a drawing or a photo of one handwritten digit into MNIST form: 28x28 intensities in [0, 1], white digit on
// black, longer side 20 pixels, centred by centre of mass.
//
// This is the same algorithm as dev.digits.core.preprocess.DigitPreprocessor in the Java core, step for step and
// operation for operation: the shared vectors in core/src/test/resources/preprocess-vectors/ prove both give the same
// numbers (web/test/preprocess.test.mjs). All arithmetic is IEEE double using only + - * /, floor, min, max and
// numeric sorting, which are exactly rounded in both languages; only the final values are narrowed to float32.
// Change one, change the other, and regenerate the vectors. The Javadoc of DigitPreprocessor is the full definition;
// the steps are summarised at each place below.
//
// No dependencies; a plain ES module for the browser and node alike.

/** Side of the MNIST frame. */
export const SIZE = 28;
/** Number of values in a result's pixels. */
export const PIXELS = SIZE * SIZE;

const CENTRE = SIZE / 2;
const RAMP = ' .:-=+*#%@';

/** The settings DigitPreprocessor.defaults() uses. */
export const DEFAULT_OPTIONS = Object.freeze({
  digitSize: 20, // longer side of the digit in the frame, as MNIST
  minContrast: 24, // grey levels (of 255) by which ink must clear the background's noise band
  minInkPixels: 5, // pixels that must show that contrast for a digit to be found
  noiseFactor: 3, // multiple of the border's median absolute deviation added to its median
  inkThreshold: 0.25, // normalised value from which a pixel counts as ink for the crop box
  trimFraction: 0.005, // fraction of the ink mass each side of the crop box may leave out
  strongInkFraction: 0.1, // fraction of the strong pixels whose level becomes full intensity 1
});

/**
 * Preprocesses browser pixels: an ImageData or anything shaped like one, `{data, width, height}` with `data` holding
 * RGBA bytes (not premultiplied), row-major, as `CanvasRenderingContext2D.getImageData` returns them. Note the byte
 * order differs from the ARGB ints of the Java API; the result is the same.
 *
 * @param {{data: Uint8ClampedArray|Uint8Array|number[], width: number, height: number}} image
 * @param {Partial<typeof DEFAULT_OPTIONS>} [options]
 * @returns {{found: boolean, pixels: Float32Array, crop: {x: number, y: number, width: number, height: number},
 *   inverted: boolean}} `pixels` is all zeros when `found` is false: do not classify it then.
 */
export function preprocess(image, options) {
  const opts = resolveOptions(options);
  if (image == null || image.data == null) throw new TypeError('image must have data, width and height');
  const { data, width, height } = image;
  const n = checkedSize(data.length, 4, width, height, 'data');
  const g = new Float64Array(n);
  for (let i = 0, p = 0; i < n; i++, p += 4) {
    const r = data[p];
    const gr = data[p + 1];
    const b = data[p + 2];
    const a = data[p + 3];
    // Step 1: luma over white; an exact integer divided once, as in Java.
    const num = (299 * r + 587 * gr + 114 * b) * a + 255000 * (255 - a);
    g[i] = num / 255000;
  }
  return run(g, width, height, opts);
}

/**
 * Preprocesses grey levels 0 (black) to 255 (white), row-major, one value per pixel. Either polarity is accepted.
 *
 * @param {Uint8Array|Uint8ClampedArray|number[]} gray
 * @param {number} width
 * @param {number} height
 * @param {Partial<typeof DEFAULT_OPTIONS>} [options]
 */
export function preprocessGray(gray, width, height, options) {
  const opts = resolveOptions(options);
  if (gray == null) throw new TypeError('gray is null');
  const n = checkedSize(gray.length, 1, width, height, 'gray');
  const g = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const v = gray[i];
    if (!Number.isInteger(v) || v < 0 || v > 255) {
      throw new RangeError(`grey level ${v} at index ${i} is not an integer in [0, 255]`);
    }
    g[i] = v;
  }
  return run(g, width, height, opts);
}

/** The frame as 28 lines of 28 characters from ' ' (0) to '@' (1), as PreprocessedDigit.toAsciiArt in Java. */
export function toAsciiArt(pixels) {
  let s = '';
  for (let y = 0; y < SIZE; y++) {
    for (let x = 0; x < SIZE; x++) {
      // Math.fround mirrors Java's float multiplication.
      const level = Math.trunc(Math.fround(pixels[y * SIZE + x] * 10));
      s += RAMP[Math.max(0, Math.min(RAMP.length - 1, level))];
    }
    s += '\n';
  }
  return s;
}

/** The largest slant deskew() removes, as a shear factor (1 = 45 degrees); Deskew.MAX_SLANT in Java. */
export const MAX_SLANT = 1;
const MIN_ROW_SPREAD = 1e-3;

/**
 * The slant of a 28x28 frame: the shear factor mu11 / mu02 of its ink, clamped to +-MAX_SLANT; 0 for a blank frame
 * or a horizontal line. dev.digits.core.preprocess.Deskew.slant, in the same order of operations.
 *
 * @param {Float32Array|number[]} frame
 */
export function slant(frame) {
  return centreRowAndSlant(frame)[1];
}

function centreRowAndSlant(frame) {
  let mass = 0;
  let sx = 0;
  let sy = 0;
  for (let y = 0; y < SIZE; y++) {
    for (let x = 0; x < SIZE; x++) {
      const v = frame[y * SIZE + x];
      mass += v;
      sx += v * x;
      sy += v * y;
    }
  }
  if (!(mass > 0)) return [0, 0];
  const cx = sx / mass;
  const cy = sy / mass;
  let xy = 0;
  let yy = 0;
  for (let y = 0; y < SIZE; y++) {
    const dy = y - cy;
    for (let x = 0; x < SIZE; x++) {
      const v = frame[y * SIZE + x];
      xy += v * (x - cx) * dy;
      yy += v * dy * dy;
    }
  }
  if (yy / mass < MIN_ROW_SPREAD) return [cy, 0];
  return [cy, Math.max(-MAX_SLANT, Math.min(MAX_SLANT, xy / yy))];
}

/**
 * The last step of the 'digit-deskewed' preprocessing (dev.digits.core.preprocess.Deskew.apply): the frame's slant
 * removed by a horizontal shear about its ink's centre row, each row linearly interpolated; outside is background.
 * A result that found no digit is returned as it is.
 *
 * @param {{found: boolean, pixels: Float32Array}} digit a result of preprocess() or preprocessGray()
 */
export function deskew(digit) {
  if (!digit.found) return digit;
  const src = digit.pixels;
  const [cy, k] = centreRowAndSlant(src);
  if (k === 0) return digit;
  const out = new Float32Array(PIXELS);
  for (let y = 0; y < SIZE; y++) {
    const shift = k * (y - cy);
    const whole = Math.floor(shift);
    const frac = shift - whole;
    for (let x = 0; x < SIZE; x++) {
      const left = x + whole;
      const a = left >= 0 && left < SIZE ? src[y * SIZE + left] : 0;
      const b = left + 1 >= 0 && left + 1 < SIZE ? src[y * SIZE + left + 1] : 0;
      out[y * SIZE + x] = a + (b - a) * frac;
    }
  }
  return { ...digit, pixels: out };
}

/**
 * The model input for browser pixels as a model's card declares it: 'digit' (preprocess) or 'digit-deskewed'
 * (preprocess, then deskew). 'resize' models are prepared by resize.js.
 *
 * @param {{data: Uint8ClampedArray|Uint8Array|number[], width: number, height: number}} image
 * @param {'digit'|'digit-deskewed'} preprocessing
 */
export function preprocessFor(image, preprocessing) {
  if (preprocessing === 'digit-deskewed') return deskew(preprocess(image));
  if (preprocessing === 'digit') return preprocess(image);
  throw new RangeError(`preprocessing ${preprocessing} is not done by preprocess.js`);
}

function resolveOptions(options) {
  const o = { ...DEFAULT_OPTIONS, ...(options || {}) };
  for (const key of Object.keys(options || {})) {
    if (!(key in DEFAULT_OPTIONS)) throw new RangeError(`unknown option ${key}`);
  }
  check(Number.isInteger(o.digitSize) && o.digitSize >= 1 && o.digitSize <= SIZE, 'digitSize must be in [1, 28]', o.digitSize);
  check(o.minContrast > 0 && o.minContrast <= 255, 'minContrast must be in (0, 255]', o.minContrast);
  check(Number.isInteger(o.minInkPixels) && o.minInkPixels >= 1 && o.minInkPixels <= 10000,
    'minInkPixels must be in [1, 10000]', o.minInkPixels);
  check(o.noiseFactor >= 0 && o.noiseFactor <= 20, 'noiseFactor must be in [0, 20]', o.noiseFactor);
  check(o.inkThreshold > 0 && o.inkThreshold <= 1, 'inkThreshold must be in (0, 1]', o.inkThreshold);
  check(o.trimFraction >= 0 && o.trimFraction < 0.25, 'trimFraction must be in [0, 0.25)', o.trimFraction);
  check(o.strongInkFraction > 0 && o.strongInkFraction <= 1, 'strongInkFraction must be in (0, 1]',
    o.strongInkFraction);
  return o;
}

function check(ok, message, value) {
  // typeof guard: a string such as '5' would pass the comparisons above.
  if (!ok || typeof value !== 'number') throw new RangeError(`${message}, was ${value}`);
}

function checkedSize(length, perPixel, width, height, what) {
  if (!Number.isInteger(width) || !Number.isInteger(height) || width <= 0 || height <= 0) {
    throw new RangeError(`image size must be positive integers, was ${width}x${height}`);
  }
  const n = width * height;
  if (length !== n * perPixel) {
    throw new RangeError(`${what} holds ${length} values, a ${width}x${height} image needs ${n * perPixel}`);
  }
  return n;
}

function notFound(inverted) {
  return { found: false, pixels: new Float32Array(PIXELS), crop: { x: 0, y: 0, width: 0, height: 0 }, inverted };
}

// Steps 2 to 10 on grey levels in [0, 255]; g is reused as scratch space.
function run(g, w, h, opts) {
  const n = g.length;
  const { digitSize, minContrast, minInkPixels, noiseFactor, inkThreshold, trimFraction, strongInkFraction } = opts;

  // Step 2: median and median absolute deviation of the border.
  const border = borderValues(g, w, h);
  border.sort();
  const bg = median(border);
  for (let i = 0; i < border.length; i++) border[i] = Math.abs(border[i] - bg);
  border.sort();
  const mad = median(border);

  // Step 3: polarity by which side of the background holds more contrast beyond the tolerance.
  const t = minContrast;
  let light = 0;
  let dark = 0;
  for (let i = 0; i < n; i++) {
    const d = g[i] - bg;
    if (d > t) {
      light += d - t;
    } else if (-d > t) {
      dark += -d - t;
    }
  }
  const invert = dark > light;

  // Steps 4 and 5: contrast above the background's noise band; count the strong pixels per integer level. A digit
  // needs at least minInkPixels of them.
  const level = (invert ? 255 - bg : bg) + noiseFactor * mad;
  const histogram = new Int32Array(256);
  let strong = 0;
  for (let i = 0; i < n; i++) {
    const f = invert ? 255 - g[i] : g[i];
    const c = f - level;
    g[i] = c;
    if (c >= minContrast) {
      histogram[Math.min(255, Math.floor(c))]++;
      strong++;
    }
  }
  if (strong < minInkPixels) return notFound(invert);

  // Step 6: the level reached by the strongest strongInkFraction of the strong pixels becomes 1.
  const need = strong * strongInkFraction;
  let peak = 0;
  let cum = 0;
  for (let b = 255; b >= 0; b--) {
    cum += histogram[b];
    if (cum >= need) {
      peak = b;
      break;
    }
  }
  if (peak < minContrast) peak = minContrast;

  const rowMass = new Float64Array(h);
  const colMass = new Float64Array(w);
  let total = 0;
  for (let y = 0, i = 0; y < h; y++) {
    for (let x = 0; x < w; x++, i++) {
      let v = g[i] / peak;
      if (v < 0) {
        v = 0;
      } else if (v > 1) {
        v = 1;
      }
      g[i] = v;
      if (v >= inkThreshold) {
        rowMass[y] += v;
        colMass[x] += v;
        total += v;
      }
    }
  }

  // Step 7: crop, trimming at most trimFraction of the ink mass from each side.
  const limit = total * trimFraction;
  let top0 = firstOver(rowMass, limit);
  let bottom = lastOver(rowMass, limit);
  let left = firstOver(colMass, limit);
  let right = lastOver(colMass, limit);
  if (top0 > bottom || left > right) {
    top0 = firstOver(rowMass, 0);
    bottom = lastOver(rowMass, 0);
    left = firstOver(colMass, 0);
    right = lastOver(colMass, 0);
  }
  const cw = right - left + 1;
  const ch = bottom - top0 + 1;

  // Step 8: longer side to digitSize, area averaging, columns then rows. Integer divisions are floors of exact
  // integers, as Java's int division of non-negative values.
  const longer = Math.max(cw, ch);
  const half = Math.floor(longer / 2);
  const ow = Math.max(1, Math.floor((cw * digitSize + half) / longer));
  const oh = Math.max(1, Math.floor((ch * digitSize + half) / longer));
  const cols = new Float64Array(ch * ow);
  for (let y = 0; y < ch; y++) {
    const rowStart = (top0 + y) * w + left;
    for (let o = 0; o < ow; o++) {
      const lo = o * cw;
      const hi = lo + cw;
      let sum = 0;
      for (let i = Math.floor(lo / ow); i * ow < hi; i++) {
        const overlap = Math.min((i + 1) * ow, hi) - Math.max(i * ow, lo);
        sum += overlap * g[rowStart + i];
      }
      cols[y * ow + o] = sum / cw;
    }
  }
  const scaled = new Float64Array(oh * ow);
  for (let o = 0; o < oh; o++) {
    const lo = o * ch;
    const hi = lo + ch;
    for (let x = 0; x < ow; x++) {
      let sum = 0;
      for (let j = Math.floor(lo / oh); j * oh < hi; j++) {
        const overlap = Math.min((j + 1) * oh, hi) - Math.max(j * oh, lo);
        sum += overlap * cols[j * ow + x];
      }
      scaled[o * ow + x] = sum / ch;
    }
  }

  // Step 9: centre of mass (pixel centres) to the frame's centre, shift rounded half up.
  let m = 0;
  let mx = 0;
  let my = 0;
  for (let y = 0, i = 0; y < oh; y++) {
    for (let x = 0; x < ow; x++, i++) {
      const v = scaled[i];
      m += v;
      mx += v * (x + 0.5);
      my += v * (y + 0.5);
    }
  }
  if (!(m > 0)) return notFound(invert);
  const dx = Math.floor((CENTRE - mx / m) + 0.5);
  const dy = Math.floor((CENTRE - my / m) + 0.5);

  // Step 10: narrow to float32 (Float32Array rounds to nearest, as Java's (float) cast).
  const out = new Float32Array(PIXELS);
  for (let y = 0; y < oh; y++) {
    const ty = y + dy;
    if (ty < 0 || ty >= SIZE) continue;
    for (let x = 0; x < ow; x++) {
      const tx = x + dx;
      if (tx >= 0 && tx < SIZE) out[ty * SIZE + tx] = scaled[y * ow + x];
    }
  }
  return { found: true, pixels: out, crop: { x: left, y: top0, width: cw, height: ch }, inverted: invert };
}

// The outermost ring of pixels, each once; the whole image when it is one or two pixels thin.
function borderValues(g, w, h) {
  if (w <= 2 || h <= 2) return Float64Array.from(g);
  const b = new Float64Array(2 * w + 2 * (h - 2));
  let k = 0;
  const last = (h - 1) * w;
  for (let x = 0; x < w; x++) {
    b[k++] = g[x];
    b[k++] = g[last + x];
  }
  for (let y = 1; y < h - 1; y++) {
    b[k++] = g[y * w];
    b[k++] = g[y * w + w - 1];
  }
  return b;
}

// A Float64Array sorts numerically (unlike a plain Array), matching Java's Arrays.sort(double[]).
function median(sorted) {
  const n = sorted.length;
  const mid = Math.floor(n / 2);
  return n % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

function firstOver(mass, limit) {
  let cum = 0;
  for (let i = 0; i < mass.length; i++) {
    cum += mass[i];
    if (cum > limit) return i;
  }
  return mass.length;
}

function lastOver(mass, limit) {
  let cum = 0;
  for (let i = mass.length - 1; i >= 0; i--) {
    cum += mass[i];
    if (cum > limit) return i;
  }
  return -1;
}
