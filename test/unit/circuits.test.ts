import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as path from 'path';
import { computeCircuits } from '../../src/engine/circuits';
import { eigenvalues } from '../../src/engine/linalg';
import { readModelFolder } from '../../src/engine/manifest';
import { readSafetensors } from '../../src/engine/safetensors';
import { MODEL_DIR, reference } from '../support/fixtures';

const ref = reference();

test('eigenvalues of known matrices (real, complex pair, defective rotation)', () => {
  const a = eigenvalues([2, 0, 0, 0, 3, 0, 0, 0, -1], 3);
  assert.deepEqual(Array.from(a.re).sort((x, y) => x - y), [-1, 2, 3]);
  const r = eigenvalues([0, -1, 1, 0], 2); // rotation: ±i
  assert.deepEqual(Array.from(r.re).map((x) => Math.abs(x) < 1e-12), [true, true]);
  assert.deepEqual(Array.from(r.im).map(Math.abs), [1, 1]);
  const c = eigenvalues([4, 1, 2, 0, 3, 5, 1, 0, 2], 3); // det 39 = product, trace 9 = sum
  let sum = 0;
  for (let i = 0; i < 3; i++) sum += c.re[i];
  assert.ok(Math.abs(sum - 9) < 1e-9);
});

test('circuits equal numpy on the same weights', () => {
  const folder = readModelFolder(MODEL_DIR);
  const c = computeCircuits(readSafetensors(folder.weightsPath!), folder.manifest);
  c.copying.forEach((x, h) => {
    const e = ref.circuits.copying[h];
    assert.ok(Math.abs(x.eigenCopyingScore - e.eigenCopyingScore) < 1e-4, `copying score L1H${h}: ${x.eigenCopyingScore} vs ${e.eigenCopyingScore}`);
    assert.ok(Math.abs(x.top1Accuracy - e.top1Accuracy) < 1e-3, `top-1 L1H${h}`);
  });
  c.kComposition.scores.forEach((row, p) => row.forEach((v, h) => assert.ok(Math.abs(v - ref.circuits.kComposition[p][h]) < 1e-5)));
  const d = 128;
  assert.ok(Math.abs(c.kComposition.baseline - 1 / Math.sqrt(d)) < 0.5 / Math.sqrt(d), `baseline ${c.kComposition.baseline}`);
  const sub = ref.circuits.subDiagonalMassPerHead;
  const best = sub.indexOf(Math.max(...sub));
  assert.equal(c.previousTokenQK.head.head, best);
  assert.ok(Math.abs(c.previousTokenQK.subDiagonalMass - sub[best]) < 1e-5);
  void path;
});
