// A model load reports its stages (weights read, graph built, session created) and can be
// cancelled: the worker stops, frees what it took, and loads the folder again when asked.
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as path from 'path';
import { CancellationTokenSource } from '../../src/engine/cancellation';
import { CancelledError } from '../../src/engine/errors';
import { WorkerPool } from '../../src/worker/workerPool';
import { ROOT } from '../support/fixtures';

const WORKER = path.join(ROOT, 'dist', 'worker.js');
const TINY = path.join(ROOT, 'test', 'fixtures', 'hf-models', 'tiny-pythia');

test('a load reports reading (bytes of the weights), building and the session, in order', { timeout: 60000 }, async () => {
  const pool = new WorkerPool(WORKER);
  try {
    const seen: { stage: string; done?: number; total?: number }[] = [];
    await pool.backend(TINY, undefined, 'a', undefined, (p) => seen.push({ stage: p.stage, done: p.done, total: p.total }));
    assert.deepEqual(seen.map((s) => s.stage), ['reading', 'building', 'session']);
    assert.ok(seen[0].total! > 0 && seen[0].done === seen[0].total, 'all the bytes of the weights were read');
  } finally {
    await pool.terminate();
  }
});

test('a cancelled load stops, frees its model, and a later load of the folder works', { timeout: 60000 }, async () => {
  const pool = new WorkerPool(WORKER);
  try {
    const source = new CancellationTokenSource();
    const stages: string[] = [];
    const load = pool.backend(TINY, undefined, 'b', source.token, (p) => {
      stages.push(p.stage);
      if (p.stage === 'reading') source.cancel();
    });
    await assert.rejects(load, CancelledError);
    const again = await pool.backend(TINY, undefined, 'b');
    const ids = Int32Array.from([0, 5, 6, 5, 6]);
    const out = await again.forward({ ids, batch: 1, seq: ids.length, wantAttentions: false });
    assert.ok(out.logits.length > 0);
    assert.equal(pool.crashes, 0);
    assert.deepEqual(stages, ['reading'], 'nothing was built after the cancel');
  } finally {
    await pool.terminate();
  }
});
