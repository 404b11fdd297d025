// The page's "not a digit" rule against the shared vectors that core's DigitCheck is tested with too.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

import { checkScore, isDigit } from '../src/digit-check.js';

const VECTORS = fileURLToPath(new URL('../../core/src/test/resources/digit-check-vectors.json', import.meta.url));
const doc = JSON.parse(readFileSync(VECTORS, 'utf8'));

test('there are vectors to check', () => {
  assert.ok(doc.cases.length >= 10);
});

for (const c of doc.cases) {
  test(`digit check: ${c.name}`, () => {
    const probabilities = Float32Array.from(c.probabilities);
    const score = checkScore(probabilities, c.temperature);
    assert.ok(Math.abs(score - c.score) <= doc.tolerance, `score ${score}, expected ${c.score}`);
    assert.equal(isDigit(probabilities, { temperature: c.temperature, threshold: c.threshold }), c.isDigit);
  });
}

test('a model without a check accepts every answer', () => {
  assert.equal(isDigit([0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1], null), true);
});
