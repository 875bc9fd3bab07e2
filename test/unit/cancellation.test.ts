// One cancellation model: a source per request, cancelled by the next; the engine stops between
// windows, the worker client fails the request at once and tells the worker to skip it.
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as path from 'path';
import { CancellationTokenSource } from '../../src/engine/cancellation';
import { CancelledError } from '../../src/engine/errors';
import { openModel } from '../../src/engine/model';
import { ModelSession } from '../../src/engine/session';
import type { ForwardRequest, InferenceBackend } from '../../src/engine/backend';
import { OrtModel } from '../../src/worker/ortModel';
import { WorkerPool } from '../../src/worker/workerPool';
import { MODEL_DIR, ROOT } from '../support/fixtures';

test('a token source cancels once, tells its listeners, and a late listener hears at once', () => {
  const s = new CancellationTokenSource();
  const heard: string[] = [];
  const sub = s.token.onCancellationRequested(() => heard.push('a'));
  s.token.onCancellationRequested(() => heard.push('b')).dispose();
  assert.equal(s.token.isCancellationRequested, false);
  s.cancel();
  s.cancel();
  assert.deepEqual(heard, ['a'], 'once, and not to a disposed listener');
  s.token.onCancellationRequested(() => heard.push('late'));
  assert.deepEqual(heard, ['a', 'late']);
  sub.dispose();
});

test('an analysis cancelled while it runs stops between windows with CancelledError', async () => {
  const model = openModel(MODEL_DIR);
  const ort = await OrtModel.load(model.folder);
  const source = new CancellationTokenSource();
  let passes = 0;
  let armed = false;
  // Cancels during the first window's forward pass, as a newer request would.
  const backend: InferenceBackend = {
    forward: async (req: ForwardRequest) => {
      if (!armed) return ort.forward(req); // the probe
      passes++;
      if (passes === 1) source.cancel();
      return ort.forward(req);
    },
    dispose: () => ort.dispose(),
  };
  const session = new ModelSession(model, backend);
  try {
    await session.probe();
    armed = true;
    const long = 'alpha beta gamma delta '.repeat(400); // several windows
    await assert.rejects(session.analyze(long, { token: source.token }), CancelledError);
    assert.equal(passes, 1, 'no window after the cancellation ran');
  } finally {
    await session.dispose();
  }
});

test('the worker client: a cancelled request fails at once, the worker skips it, later requests work', { timeout: 60000 }, async () => {
  const pool = new WorkerPool(path.join(ROOT, 'dist', 'worker.js'));
  try {
    const backend = await pool.backend(MODEL_DIR);
    const ids = new Int32Array(511).map((_, i) => (i * 7) % 2000);
    const before = new CancellationTokenSource();
    before.cancel();
    await assert.rejects(backend.forward({ ids, batch: 1, seq: ids.length, wantAttentions: true, token: before.token }), CancelledError);
    // Queue three passes and cancel the last two while the first runs.
    const sources = [0, 1, 2].map(() => new CancellationTokenSource());
    const runs = sources.map((s) => backend.forward({ ids, batch: 1, seq: ids.length, wantAttentions: true, token: s.token }));
    sources[1].cancel();
    sources[2].cancel();
    await assert.rejects(runs[1], CancelledError);
    await assert.rejects(runs[2], CancelledError);
    const first = await runs[0];
    assert.equal(first.logits.length, 511 * 2048, "[1, 511, d_vocab]");
    const again = await backend.forward({ ids, batch: 1, seq: ids.length, wantAttentions: false });
    assert.deepEqual(Array.from(again.logits.subarray(0, 100)), Array.from(first.logits.subarray(0, 100)));
  } finally {
    await pool.terminate();
  }
});
