// Host side of the inference worker: an InferenceBackend whose forward passes run in a
// worker_threads worker. A request whose token is cancelled fails at once with CancelledError,
// and the worker is told to skip it.
import * as os from 'os';
import { Worker } from 'worker_threads';
import { CancelledError, EngineError } from '../engine/errors';
import type { CancellationToken } from '../engine/cancellation';
import type { ForwardRequest, ForwardResult, InferenceBackend } from '../engine/backend';
import type { HeadRef, PanelCircuits } from '../protocol/panel';
import type { ModelParts, ModelSummary } from '../engine/modelParts';
import type { FromWorker, ToWorker } from '../protocol/worker';
import { validateFromWorker, type ResultExpectation } from '../protocol/validate';

/** A request failed because the worker died; the pool has already said so (onCrash). */
export class WorkerCrashError extends EngineError {}

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;
type Progress = Extract<FromWorker, { type: 'progress' }>;
type Pending = { resolve: (m: FromWorker) => void; reject: (e: Error) => void; expect?: ResultExpectation; onProgress?: (p: Progress) => void };

export interface WorkerOptions {
  /** V8 heap limit of the worker: a hostile file that exhausts it ends the worker, not the host. */
  maxHeapMb?: number;
  /** Lets tests make the worker fail on purpose (never set by the extension). */
  testHooks?: boolean;
}

/** The heap a worker may use: a quarter of the machine's memory, at most 4 GB (model weights live
 *  in array buffers outside this heap). */
export function defaultWorkerHeapMb(): number {
  return Math.max(512, Math.min(4096, Math.floor(os.totalmem() / 4 / 2 ** 20)));
}

/**
 * The inference worker, started on first use and started again after it dies (a crash, or its
 * heap limit): requests in flight then fail with one clear message, `onCrash` hears about it once,
 * and the next request runs in a fresh worker.
 */
export class WorkerPool {
  private worker: Worker | null = null;
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  private terminated = false;
  /** How many workers have died so far (a model loaded in a dead worker must be loaded again). */
  crashes = 0;
  /** Called once per dead worker with what happened. */
  onCrash: (message: string) => void = () => undefined;

  constructor(private readonly workerScript: string, private readonly options: WorkerOptions = {}) {}

  private start(): Worker {
    const w = new Worker(this.workerScript, {
      resourceLimits: { maxOldGenerationSizeMb: this.options.maxHeapMb ?? defaultWorkerHeapMb() },
      workerData: { testHooks: this.options.testHooks === true },
    });
    w.on('message', (raw: unknown) => {
      // Every reply is checked (types, fields, sizes) before anything uses it.
      const id = (raw as { requestId?: unknown } | null)?.requestId;
      const p = typeof id === 'number' ? this.pending.get(id) : undefined;
      if (!p) return;
      const v = validateFromWorker(raw, p.expect);
      // Progress reports come before the reply and leave the request pending.
      if (v.ok && v.msg.type === 'progress') {
        p.onProgress?.(v.msg);
        return;
      }
      this.pending.delete(id as number);
      if (!v.ok) p.reject(new EngineError(`the inference worker sent an invalid reply (${v.reason})`));
      else if (v.msg.type === 'error') p.reject(new EngineError(v.msg.message));
      else p.resolve(v.msg);
    });
    let reported = false;
    const died = (why: string) => {
      if (reported || this.worker !== w) return;
      reported = true;
      this.worker = null;
      if (this.terminated) return;
      this.crashes++;
      const message = `the inference worker stopped (${why}); it has been restarted: run the analysis again`;
      for (const p of this.pending.values()) p.reject(new WorkerCrashError(message));
      this.pending.clear();
      this.onCrash(message);
    };
    w.on('error', (e: Error & { code?: string }) => died(e.code === 'ERR_WORKER_OUT_OF_MEMORY' ? 'it ran out of memory' : e.message));
    w.on('exit', (code) => died(`exit code ${code}`));
    this.worker = w;
    return w;
  }

  request(
    msg: DistributiveOmit<ToWorker, 'requestId'>, transfer: ArrayBuffer[] = [], expect?: ResultExpectation, token?: CancellationToken,
    onProgress?: (p: Progress) => void,
  ): Promise<FromWorker> {
    if (this.terminated) return Promise.reject(new EngineError('the inference worker was shut down'));
    if (token?.isCancellationRequested) return Promise.reject(new CancelledError());
    const w = this.worker ?? this.start();
    const requestId = this.nextId++;
    return new Promise((resolve, reject) => {
      const cancel = token?.onCancellationRequested(() => {
        if (!this.pending.delete(requestId)) return;
        w.postMessage({ type: 'cancel', requestId });
        reject(new CancelledError());
      });
      const done = () => cancel?.dispose();
      this.pending.set(requestId, {
        resolve: (m) => (done(), resolve(m)),
        reject: (e) => (done(), reject(e)),
        expect,
        onProgress,
      });
      w.postMessage({ ...msg, requestId }, transfer);
    });
  }


  /** A backend for one model folder; loads the model in the worker (progress: its stages; a
   *  cancelled token stops the load and frees what it took). */
  async backend(modelDir: string, threads?: number, stamp?: string, token?: CancellationToken, onProgress?: (p: Progress) => void): Promise<WorkerBackend> {
    const m = await this.request({ type: 'load', modelDir, stamp, threads }, [], undefined, token, onProgress);
    if (m.type !== 'loaded') throw new EngineError(`unexpected worker reply ${m.type}`);
    return new WorkerBackend(this, modelDir, m.dims, stamp);
  }

  /** Reads and checks a model folder in the worker; the host builds the model from the parts. */
  async open(modelDir: string): Promise<ModelParts> {
    const m = await this.request({ type: 'open', modelDir });
    if (m.type !== 'opened') throw new EngineError(`unexpected worker reply ${m.type}`);
    return m.parts as ModelParts;
  }

  /** What a model folder holds (size, kind), read in the worker. */
  async inspect(modelDir: string): Promise<ModelSummary> {
    const m = await this.request({ type: 'inspect', modelDir });
    if (m.type !== 'inspected') throw new EngineError(`unexpected worker reply ${m.type}`);
    return m.summary;
  }

  /** The article's circuits for a model, computed from its weights in the worker. */
  async circuits(modelDir: string, previousHead: HeadRef, inductionHead: HeadRef): Promise<PanelCircuits> {
    const m = await this.request({ type: 'circuits', modelDir, previousHead, inductionHead });
    if (m.type !== 'circuits') throw new EngineError(`unexpected worker reply ${m.type}`);
    return m.circuits;
  }

  async terminate(): Promise<void> {
    this.terminated = true;
    const w = this.worker;
    this.worker = null;
    for (const p of this.pending.values()) p.reject(new EngineError('the inference worker was shut down'));
    this.pending.clear();
    await w?.terminate();
  }
}

export class WorkerBackend implements InferenceBackend {
  constructor(
    private readonly pool: WorkerPool,
    readonly modelDir: string,
    private readonly dims: { nLayers: number; nHeads: number; dVocab: number; dModel: number },
    readonly stamp?: string,
  ) {}

  async forward(req: ForwardRequest): Promise<ForwardResult> {
    const ids = Int32Array.from(req.ids);
    const headMask = req.headMask ? Float32Array.from(req.headMask) : undefined;
    // Copied, then transferred: the caller keeps its residual stream.
    const from = req.from ? { layer: req.from.layer, resid: Float32Array.from(req.from.resid) } : undefined;
    const rows = req.rows ? Int32Array.from(req.rows) : undefined;
    const dlaPairs = req.dlaPairs ? Int32Array.from(req.dlaPairs) : undefined;
    const transfer = [ids.buffer, ...[headMask, from?.resid, rows, dlaPairs].filter((x) => x !== undefined).map((x) => x.buffer)];
    const m = await this.pool.request(
      {
        type: 'forward', modelDir: this.modelDir, stamp: this.stamp, ids, batch: req.batch, seq: req.seq, headMask,
        wantAttentions: req.wantAttentions, residAt: req.residAt, from, rows, dlaPairs, path: req.path,
      },
      transfer,
      { batch: req.batch, seq: req.seq, wantAttentions: req.wantAttentions, ...this.dims, ...(rows ? { rows: rows.length } : {}), ...(dlaPairs ? { pairs: dlaPairs.length / 2 } : {}) },
      req.token,
    );
    if (m.type !== 'result') throw new EngineError(`unexpected worker reply ${m.type}`);
    return { batch: req.batch, seq: req.seq, logits: m.logits, attentions: m.attentions, logsumexp: m.logsumexp, topK: m.topK, resid: m.resid, attnRows: m.attnRows, prevAttn: m.prevAttn, dla: m.dla };
  }

  async dispose(): Promise<void> {
    await this.pool.request({ type: 'unload', modelDir: this.modelDir, stamp: this.stamp });
  }
}
