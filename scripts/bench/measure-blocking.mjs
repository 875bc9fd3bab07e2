// Does onnxruntime-node's session.run block the calling thread? Runs a 512-token forward pass
// (with attentions) on this thread while a 1 ms timer measures how late it fires, then the same
// through the inference worker. Prints JSON.
import * as path from 'path';
import { createRequire } from 'module';
import { lagProbe } from './lag-probe.mjs';
import { ensureBuilt } from '../build/ensure-built.mjs';
const require = createRequire(import.meta.url);
const ort = require('onnxruntime-node');
const ROOT = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..', '..');
const model = path.join(ROOT, 'media', 'models', 'attn-only-2l');


const session = await ort.InferenceSession.create(path.join(model, 'model.onnx'));
const T = 512;
const ids = new BigInt64Array(T).map((_, i) => BigInt(1 + (i * 7919) % 2000));
const feeds = { input_ids: new ort.Tensor('int64', ids, [1, T]), head_mask: new ort.Tensor('float32', new Float32Array(16).fill(1), [2, 8]) };
for (let i = 0; i < 3; i++) await session.run(feeds);
const runs = [];
let inThread = 0;
for (let i = 0; i < 10; i++) {
  await new Promise((r) => setTimeout(r, 20));
  const stop = lagProbe();
  await new Promise((r) => setTimeout(r, 5));
  const t0 = performance.now();
  await session.run(feeds);
  runs.push(performance.now() - t0);
  await new Promise((r) => setTimeout(r, 5));
  inThread = Math.max(inThread, stop());
}
ensureBuilt();
const { WorkerPool } = require(path.join(ROOT, 'dist-test', 'support', 'workerPool.js'));
const pool = new WorkerPool(path.join(ROOT, 'dist', 'worker.js'));
const backend = await pool.backend(model);
const ids32 = Int32Array.from(ids, (x) => Number(x));
for (let i = 0; i < 3; i++) await backend.forward({ ids: ids32, batch: 1, seq: T, wantAttentions: true });
let viaWorker = 0;
for (let i = 0; i < 10; i++) {
  await new Promise((r) => setTimeout(r, 20));
  const stop = lagProbe();
  await backend.forward({ ids: ids32, batch: 1, seq: T, wantAttentions: true });
  await new Promise((r) => setTimeout(r, 5));
  viaWorker = Math.max(viaWorker, stop());
}
await pool.terminate();
runs.sort((a, b) => a - b);
console.log(JSON.stringify({ onnxruntimeNode: '1.30.0', tokens: T, runMedianMs: runs[5], worstTimerLagInThreadMs: inThread, worstTimerLagWithWorkerMs: viaWorker }));
