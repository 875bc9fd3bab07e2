// The inference worker: holds one onnxruntime session per model folder and runs forward passes
// off the extension host's thread.
//
// Measured for onnxruntime-node 1.30.0 with scripts/bench/measure-blocking.mjs: session.run() returns a
// promise, but it blocks the calling thread while it runs. On an idle 2-core machine a 512-token
// forward pass with attentions (median 26 ms) delayed a 1 ms timer on the same thread by up to
// 30 ms; with the forward pass in this worker the timer's worst delay was 4.5 ms. Every extension shares the
// extension host's thread, so inference lives here.
import { parentPort, workerData } from 'worker_threads';
import { EngineError } from '../engine/errors';
import { readModelFolder } from '../engine/manifest';
import { readModelParts } from '../engine/model';
import { assembleModel, summarize } from '../engine/modelParts';
import { OrtModel, type LoadOptions } from './ortModel';
import type { FromWorker, ToWorker } from '../protocol/worker';
import { validateToWorker } from '../protocol/validate';
import { circuitsForPanel } from './circuitsView';

const models = new Map<string, Promise<OrtModel>>();
/** Requests the host cancelled before they started: skipped without a reply. */
const cancelled = new Set<number>();

function post(msg: FromWorker) {
  const transfer: ArrayBuffer[] = [];
  if (msg.type === 'result') {
    transfer.push(msg.logits.buffer as ArrayBuffer);
    for (const a of [msg.attentions, msg.logsumexp, msg.topK?.values, msg.topK?.ids, msg.resid, msg.attnRows, msg.prevAttn, msg.dla]) {
      if (a && !transfer.includes(a.buffer as ArrayBuffer)) transfer.push(a.buffer as ArrayBuffer);
    }
  }
  parentPort!.postMessage(msg, transfer);
}

/** Sessions are keyed by folder and stamp: the files of one stamp are never mixed with another's. */
const modelKey = (dir: string, stamp = '') => `${dir}\n${stamp}`;

function model(dir: string, stamp = '', opts: LoadOptions = {}): Promise<OrtModel> {
  const key = modelKey(dir, stamp);
  let m = models.get(key);
  if (!m) {
    m = Promise.resolve().then(() => OrtModel.load(readModelFolder(dir), opts));
    models.set(key, m);
    m.catch(() => models.delete(key));
  }
  return m;
}

/** The request being handled: requests are handled in order, so cancels of earlier ones are moot. */
let current = 0;

async function handle(msg: ToWorker): Promise<void> {
  current = msg.requestId;
  for (const id of cancelled) if (id < current) cancelled.delete(id);
  try {
    switch (msg.type) {
      case 'open': {
        const parts = readModelParts(msg.modelDir);
        assembleModel(parts); // the tokenizer is checked here, off the host's thread
        post({ type: 'opened', requestId: msg.requestId, parts });
        return;
      }
      case 'inspect':
        post({ type: 'inspected', requestId: msg.requestId, summary: summarize(readModelFolder(msg.modelDir)) });
        return;
      case 'ping':
        post({ type: 'pong', requestId: msg.requestId });
        return;
      case 'crashForTest':
        if (!(workerData as { testHooks?: boolean } | null)?.testHooks) throw new EngineError('test hooks are off');
        if (msg.how === 'exit') process.exit(3);
        exhaustHeap();
        return;
      case 'load': {
        const t0 = performance.now();
        // Progress for the host's notification; a cancel stops the load between chunks and stages.
        const id = msg.requestId;
        const opts: LoadOptions = {
          threads: msg.threads,
          onStage: (s) => post({ type: 'progress', requestId: id, ...s }),
          cancelled: () => cancelled.has(id),
        };
        let a;
        try {
          a = (await model(msg.modelDir, msg.stamp, opts)).folder.manifest.architecture;
        } finally {
          cancelled.delete(id);
        }
        post({ type: 'loaded', requestId: msg.requestId, loadMs: performance.now() - t0, dims: { nLayers: a.n_layers, nHeads: a.n_heads, dVocab: a.d_vocab, dModel: a.d_model } });
        return;
      }
      case 'unload': {
        const key = modelKey(msg.modelDir, msg.stamp);
        const m = models.get(key);
        models.delete(key);
        if (m) await (await m).dispose();
        post({ type: 'unloaded', requestId: msg.requestId });
        return;
      }
      case 'circuits':
        post({ type: 'circuits', requestId: msg.requestId, circuits: circuitsForPanel(msg.modelDir, msg.previousHead, msg.inductionHead) });
        return;
      case 'forward': {
        if (cancelled.delete(msg.requestId)) return;
        // Only a loaded model runs: a pass for one that was unloaded (replaced) fails instead of
        // loading it again behind the host's back.
        const loaded = models.get(modelKey(msg.modelDir, msg.stamp));
        if (!loaded) throw new EngineError('the model of this request is no longer loaded (another one replaced it); run the analysis again');
        const m = await loaded;
        const t0 = performance.now();
        const out = await m.forward(msg);
        // ORT's output buffers are plain ArrayBuffers: transferred to the caller, never copied.
        post({ type: 'result', requestId: msg.requestId, logits: out.logits, attentions: out.attentions, logsumexp: out.logsumexp, topK: out.topK, resid: out.resid, attnRows: out.attnRows, prevAttn: out.prevAttn, dla: out.dla, runMs: performance.now() - t0 });
        return;
      }
    }
  } catch (e) {
    const message = e instanceof EngineError ? e.message : `inference failed: ${(e as Error).message}`;
    post({ type: 'error', requestId: msg.requestId, message: message.slice(0, 8000) });
  }
}

/** Allocates until the heap limit ends this worker (tests of the host surviving it). */
function exhaustHeap(): never {
  const hoard: number[][] = [];
  for (;;) hoard.push(new Array<number>(1 << 20).fill(hoard.length + 0.5));
}

// Messages are handled one at a time, in order; a cancel is noted at once (not queued), so the
// forward passes it names are skipped when their turn comes.
let queue: Promise<void> = Promise.resolve();
parentPort!.on('message', (raw: unknown) => {
  const v = validateToWorker(raw);
  if (!v.ok) {
    const id = (raw as { requestId?: unknown } | null)?.requestId;
    if (typeof id === 'number') post({ type: 'error', requestId: id, message: `invalid request: ${v.reason}`.slice(0, 2000) });
    return;
  }
  const msg = v.msg;
  if (msg.type === 'cancel') {
    if (msg.requestId >= current) cancelled.add(msg.requestId); // running (a load) or still queued
    return;
  }
  queue = queue.then(() => handle(msg));
});
