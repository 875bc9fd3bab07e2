import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { openModel } from '../../src/engine/model';
import { OrtModel } from '../../src/worker/ortModel';
import { ProbeCache } from '../../src/engine/probeCache';
import { probeTokens, runProbe } from '../../src/engine/probe';
import { ModelSession } from '../../src/engine/session';
import { MODEL_DIR, reference } from '../support/fixtures';
import type { ForwardRequest, InferenceBackend } from '../../src/engine/backend';

const ref = reference();

test('probe tokens are the ones the Python pipeline draws (same PRNG and seed)', () => {
  const m = openModel(MODEL_DIR);
  const t = probeTokens(m.dims.dVocab, m.dims.bos);
  assert.deepEqual(Array.from(t), ref.probe.tokens.flat());
});

test('probe scores equal the PyTorch forward pass', async () => {
  const m = openModel(MODEL_DIR);
  const backend = await OrtModel.load(m.folder);
  const r = await runProbe(backend, m.dims.nLayers, m.dims.nHeads, m.dims.dVocab, m.dims.bos);
  assert.equal(r.heads.length, ref.probe.heads.length);
  r.heads.forEach((h, i) => {
    const e = ref.probe.heads[i];
    assert.equal(h.layer, e.layer);
    assert.equal(h.head, e.head);
    assert.ok(Math.abs(h.induction - e.induction) < 1e-5, `induction L${h.layer}H${h.head}`);
    assert.ok(Math.abs(h.previousToken - e.previousToken) < 1e-5);
    assert.ok(Math.abs(h.duplicateToken - e.duplicateToken) < 1e-5);
  });
  assert.ok(Math.abs(r.lossFirstCopy - ref.probe.lossFirstCopy) < 1e-3);
  assert.ok(Math.abs(r.lossSecondCopy - ref.probe.lossSecondCopy) < 1e-3);
  await backend.dispose();
});

test('probe scores are cached per model hash: the second session runs no forward pass', async () => {
  const m = openModel(MODEL_DIR);
  const real = await OrtModel.load(m.folder);
  let calls = 0;
  const counting: InferenceBackend = { forward: (r: ForwardRequest) => { calls++; return real.forward(r); }, dispose: () => real.dispose() };
  const cache = new ProbeCache(null);
  const first = await new ModelSession(m, counting, cache).probe();
  assert.equal(calls, 1);
  const second = await new ModelSession(m, counting, cache).probe();
  assert.equal(calls, 1);
  assert.deepEqual(second, first);
  await real.dispose();
});
