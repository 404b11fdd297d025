// The preprocessing of models whose card declares "resize" (retrained on pictures that are not handwriting): the
// whole picture in grey levels, area-averaged to the model's input size, polarity kept — no crop, no centring.
//
// The same algorithm as dev.digits.core.preprocess.ResizePreprocessor in the Java core, operation for operation:
// luma over white as an exact integer divided once, then separable area averaging (columns first) in whole-number
// overlaps, rounded to grey levels 0–255 and scaled by 1/255 as the server does. The shared vectors in
// core/src/test/resources/preprocess-vectors/ ("resized") prove both give the same bytes (web/test/).

import { PIXELS, SIZE } from './preprocess.js';

/**
 * Resizes browser pixels (`{data, width, height}`, RGBA bytes as `getImageData` returns them) to `height × width` grey
 * levels 0–255, row-major.
 *
 * @returns {Uint8Array}
 */
export function resizeGray(image, height = SIZE, width = SIZE) {
  const { data, width: sw, height: sh } = image;
  if (!(sw >= 1 && sh >= 1) || data.length !== 4 * sw * sh) {
    throw new RangeError(`data holds ${data.length} bytes; a ${sw}x${sh} RGBA image has ${4 * sw * sh}`);
  }
  const g = new Float64Array(sw * sh);
  for (let i = 0, p = 0; i < g.length; i++, p += 4) {
    const a = data[p + 3];
    g[i] = ((299 * data[p] + 587 * data[p + 1] + 114 * data[p + 2]) * a + 255000 * (255 - a)) / 255000;
  }
  const cols = new Float64Array(sh * width);
  for (let y = 0; y < sh; y++) resample(g, y * sw, 1, sw, cols, y * width, 1, width);
  const out = new Float64Array(height * width);
  for (let x = 0; x < width; x++) resample(cols, x, width, sh, out, x, width, height);
  const bytes = new Uint8Array(out.length);
  // Math.round is Java's for these non-negative values: the nearest integer, halves up.
  for (let i = 0; i < out.length; i++) bytes[i] = Math.max(0, Math.min(255, Math.round(out[i])));
  return bytes;
}

/**
 * The model input for a "resize" model of the 28×28 size served models take: `{found, pixels}` as `preprocess`
 * returns it, found when any pixel is not black (as the server's PreprocessedDigit.fromMnist).
 */
export function resizeForModel(image) {
  const grey = resizeGray(image, SIZE, SIZE);
  const pixels = new Float32Array(PIXELS);
  let found = false;
  for (let i = 0; i < PIXELS; i++) {
    pixels[i] = grey[i] / 255;
    if (grey[i] !== 0) found = true;
  }
  return { found, pixels };
}

// Area-averages n values read at src[from + i*step] into m values at dst[to + o*dstStep]: in units where a source
// value is m wide and an output value n wide, both rows span n*m and every overlap is a whole number.
function resample(src, from, step, n, dst, to, dstStep, m) {
  for (let o = 0; o < m; o++) {
    const lo = o * n;
    const hi = lo + n;
    let sum = 0;
    for (let i = Math.floor(lo / m); i < n && i * m < hi; i++) {
      const overlap = Math.min(hi, (i + 1) * m) - Math.max(lo, i * m);
      if (overlap > 0) sum += overlap * src[from + i * step];
    }
    dst[to + o * dstStep] = sum / n;
  }
}
