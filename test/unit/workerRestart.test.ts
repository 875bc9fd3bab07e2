// A worker that dies (it exits, or its heap limit ends it) is replaced: the request in flight fails
// with one clear message, the pool reports it once, and the next request works. The real worker
// bundle (dist/worker.js) and the bundled model run here.
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { EngineError } from '../../src/engine/errors';
import { openModel } from '../../src/engine/model';
import { assembleModel } from '../../src/engine/modelParts';
import { WorkerCrashError, WorkerPool } from '../../src/worker/workerPool';
import { MODEL_DIR, ROOT } from '../support/fixtures';

const WORKER = path.join(ROOT, 'dist', 'worker.js');
const ids = Int32Array.from([0, 5, 6, 7, 5, 6]);

for (const how of ['exit', 'oom'] as const) {
  test(`worker ${how === 'exit' ? 'that exits' : 'out of memory'} mid-request: the request fails clearly, the next works`, { timeout: 60000 }, async () => {
    const pool = new WorkerPool(WORKER, { testHooks: true, maxHeapMb: 64 });
    const crashes: string[] = [];
    pool.onCrash = (m) => crashes.push(m);
    try {
      const backend = await pool.backend(MODEL_DIR);
      const before = await backend.forward({ ids, batch: 1, seq: ids.length, wantAttentions: false });
      // A forward pass queued behind the crash: both fail with the same clear message.
      const crash = pool.request({ type: 'crashForTest', how });
      const inFlight = backend.forward({ ids, batch: 1, seq: ids.length, wantAttentions: false });
      for (const p of [crash, inFlight]) {
        await assert.rejects(p, (e: Error) => e instanceof WorkerCrashError && /inference worker stopped \((exit code \d+|it ran out of memory)\); it has been restarted/.test(e.message));
      }
      assert.equal(crashes.length, 1, 'one report per dead worker');
      if (how === 'oom') assert.match(crashes[0], /ran out of memory/);
      assert.equal(pool.crashes, 1);
      // The next request starts a fresh worker, which loads the model again.
      const after = await (await pool.backend(MODEL_DIR)).forward({ ids, batch: 1, seq: ids.length, wantAttentions: false });
      assert.deepEqual(Array.from(after.logits.subarray(0, 50)), Array.from(before.logits.subarray(0, 50)));
    } finally {
      await pool.terminate();
    }
  });
}

test('a worker without test hooks refuses the crash request', async () => {
  const pool = new WorkerPool(WORKER);
  try {
    await assert.rejects(pool.request({ type: 'crashForTest', how: 'exit' }), /test hooks are off/);
    assert.equal((await pool.request({ type: 'ping' })).type, 'pong');
  } finally {
    await pool.terminate();
  }
});

test('model folders are read and checked in the worker; the host builds the model from what it sent', { timeout: 60000 }, async () => {
  const pool = new WorkerPool(WORKER);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'il-open-'));
  try {
    const parts = await pool.open(MODEL_DIR);
    const built = assembleModel(parts);
    const direct = openModel(MODEL_DIR);
    assert.deepEqual(built.dims, direct.dims);
    assert.equal(built.hash, direct.hash);
    assert.deepEqual(Array.from(built.tokenizer.encode('def f(x): return x').ids), Array.from(direct.tokenizer.encode('def f(x): return x').ids));
    const summary = await pool.inspect(MODEL_DIR);
    assert.deepEqual(summary, { id: 'attn-only-2l', nLayers: 2, nHeads: 8, nCtx: 512, kind: 'attention-only' });
    // A hostile folder fails in the worker with a clean message; the worker lives on.
    fs.cpSync(MODEL_DIR, dir, { recursive: true });
    fs.rmSync(path.join(dir, 'tokenizer.json'));
    execFileSync('mkfifo', [path.join(dir, 'tokenizer.json')]);
    await assert.rejects(pool.open(dir), (e: Error) => e instanceof EngineError && /tokenizer\.json/.test(e.message) && /regular file/.test(e.message));
    assert.equal((await pool.request({ type: 'ping' })).type, 'pong');
    assert.equal(pool.crashes, 0);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
    await pool.terminate();
  }
});
