// Runs the shared preprocessing vectors (made by the Java implementation) through the JavaScript one and checks
// that both agree to within 1e-6 on every pixel. Run with: node --test web/test/
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { inflateSync } from 'node:zlib';

import {
  DEFAULT_OPTIONS, PIXELS, SIZE, deskew, preprocess, preprocessFor, preprocessGray, slant, toAsciiArt,
} from '../src/preprocess.js';
import { resizeForModel, resizeGray } from '../src/resize.js';

const VECTORS_DIR = fileURLToPath(new URL('../../core/src/test/resources/preprocess-vectors/', import.meta.url));
const TOLERANCE = 1e-6;

function loadVectors() {
  return readdirSync(VECTORS_DIR)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((f) => JSON.parse(readFileSync(VECTORS_DIR + f, 'utf8')));
}

// The vector files hold big-endian A, R, G, B bytes per pixel, zlib-deflated and base64-encoded; the browser's
// ImageData holds R, G, B, A. Reorder, as a page would get them from a canvas.
function toImageData(vector) {
  assert.equal(vector.encoding, 'zlib-base64-argb', `${vector.name}: unknown encoding`);
  const argb = inflateSync(Buffer.from(vector.argb, 'base64'));
  const n = vector.width * vector.height;
  assert.equal(argb.length, 4 * n, `${vector.name}: pixel count`);
  const data = new Uint8ClampedArray(4 * n);
  for (let i = 0; i < n; i++) {
    data[4 * i] = argb[4 * i + 1];
    data[4 * i + 1] = argb[4 * i + 2];
    data[4 * i + 2] = argb[4 * i + 3];
    data[4 * i + 3] = argb[4 * i];
  }
  return { data, width: vector.width, height: vector.height };
}

const vectors = loadVectors();

test('the shared vector set is present and varied', () => {
  assert.ok(vectors.length >= 8, `expected at least 8 vectors in ${VECTORS_DIR}, found ${vectors.length}`);
  assert.ok(vectors.some((v) => v.found), 'some vector holds a digit');
  assert.ok(vectors.some((v) => !v.found), 'some vector is blank');
  assert.ok(vectors.some((v) => v.inverted && v.found), 'some vector is dark ink on a light background');
  assert.ok(vectors.some((v) => !v.inverted && v.found), 'some vector is light ink on a dark background');
  assert.equal(new Set(vectors.map((v) => v.name)).size, vectors.length, 'names are unique');
});

for (const vector of vectors) {
  test(`vector ${vector.name}: JavaScript output equals the Java output`, () => {
    const result = preprocess(toImageData(vector));
    assert.equal(result.found, vector.found, 'found');
    assert.equal(result.inverted, vector.inverted, 'inverted');
    assert.deepEqual([result.crop.x, result.crop.y, result.crop.width, result.crop.height], vector.crop, 'crop box');
    assert.ok(result.pixels instanceof Float32Array, 'pixels is a Float32Array');
    assert.equal(result.pixels.length, PIXELS);
    assert.equal(vector.expected.length, PIXELS);
    let worst = 0;
    let worstAt = -1;
    for (let i = 0; i < PIXELS; i++) {
      const diff = Math.abs(result.pixels[i] - vector.expected[i]);
      if (!(diff <= worst)) {
        worst = diff;
        worstAt = i;
      }
    }
    assert.ok(worst <= TOLERANCE,
      `largest difference ${worst} at (${worstAt % SIZE}, ${Math.floor(worstAt / SIZE)}):\n${toAsciiArt(result.pixels)}`);
  });
}

for (const vector of vectors) {
  test(`vector ${vector.name}: the "digit-deskewed" preprocessing equals the Java output`, () => {
    assert.ok(Array.isArray(vector.deskewed), 'the vector holds the deskewed output');
    const result = preprocessFor(toImageData(vector), 'digit-deskewed');
    assert.equal(result.found, vector.found, 'found');
    assert.ok(result.pixels instanceof Float32Array, 'pixels is a Float32Array');
    let worst = 0;
    for (let i = 0; i < PIXELS; i++) worst = Math.max(worst, Math.abs(result.pixels[i] - vector.deskewed[i]));
    assert.ok(worst <= TOLERANCE, `largest difference ${worst}:\n${toAsciiArt(result.pixels)}`);
  });
}

test('deskewing stands the slanted 4 upright and leaves a blank result alone', () => {
  const four = vectors.find((v) => v.name === 'slanted-canvas-four');
  assert.ok(four, 'the slanted vector exists');
  const plain = preprocess(toImageData(four));
  assert.ok(slant(plain.pixels) < -0.3, `the 4 leans: slant ${slant(plain.pixels)}`);
  assert.ok(Math.abs(slant(deskew(plain).pixels)) < 0.03, 'upright after deskewing');
  const blank = vectors.find((v) => !v.found);
  const none = preprocessFor(toImageData(blank), 'digit-deskewed');
  assert.equal(none.found, false);
  assert.throws(() => preprocessFor(toImageData(four), 'resize'), /resize/);
});

for (const vector of vectors) {
  test(`vector ${vector.name}: the "resize" preprocessing gives Java's grey levels byte for byte`, () => {
    assert.ok(Array.isArray(vector.resized), 'the vector holds resized grey levels');
    const grey = resizeGray(toImageData(vector), SIZE, SIZE);
    assert.deepEqual(Array.from(grey), vector.resized);
    const input = resizeForModel(toImageData(vector));
    assert.equal(input.found, vector.resized.some((v) => v !== 0));
    for (let i = 0; i < PIXELS; i++) assert.equal(input.pixels[i], Math.fround(vector.resized[i] / 255));
  });
}

test('canvas and paper versions of the same drawing give identical pixels', () => {
  const canvas = vectors.find((v) => v.name === 'canvas-seven');
  const paper = vectors.find((v) => v.name === 'paper-seven');
  assert.ok(canvas && paper, 'both vectors exist');
  const a = preprocess(toImageData(canvas));
  const b = preprocess(toImageData(paper));
  assert.equal(a.inverted, false);
  assert.equal(b.inverted, true);
  assert.deepEqual(Array.from(a.pixels), Array.from(b.pixels));
});

test('grey levels give the same result as the same image in RGBA', () => {
  const vector = vectors.find((v) => v.name === 'tiny-canvas-two');
  const image = toImageData(vector);
  const gray = new Uint8Array(vector.width * vector.height);
  for (let i = 0; i < gray.length; i++) gray[i] = image.data[4 * i]; // an opaque grey canvas: R = G = B
  const fromGray = preprocessGray(gray, vector.width, vector.height);
  assert.deepEqual(Array.from(fromGray.pixels), Array.from(preprocess(image).pixels));
});

test('a blank canvas is not found and its pixels are all zero', () => {
  const data = new Uint8ClampedArray(40 * 30 * 4).fill(255);
  const result = preprocess({ data, width: 40, height: 30 });
  assert.equal(result.found, false);
  assert.ok(result.pixels.every((v) => v === 0));
  assert.equal(toAsciiArt(result.pixels), `${' '.repeat(SIZE)}\n`.repeat(SIZE));
});

test('options are checked and unknown ones rejected', () => {
  const image = { data: new Uint8ClampedArray(4 * 9).fill(255), width: 3, height: 3 };
  assert.throws(() => preprocess(image, { digitSize: 29 }), RangeError);
  assert.throws(() => preprocess(image, { minContrast: 0 }), RangeError);
  assert.throws(() => preprocess(image, { minInkPixels: '5' }), RangeError);
  assert.throws(() => preprocess(image, { minContrst: 20 }), RangeError);
  assert.throws(() => preprocess(image, { strongInkFraction: 0 }), RangeError);
  assert.equal(preprocess(image, { ...DEFAULT_OPTIONS }).found, false);
});

test('an image whose data does not match its size is rejected', () => {
  assert.throws(() => preprocess({ data: new Uint8ClampedArray(4 * 8), width: 3, height: 3 }), RangeError);
  assert.throws(() => preprocess({ data: new Uint8ClampedArray(0), width: 0, height: 0 }), RangeError);
  assert.throws(() => preprocessGray([0, 1, 256, 3], 2, 2), RangeError);
});
