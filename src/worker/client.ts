// Host side of the inference worker: an InferenceBackend whose forward passes run in a
// worker_threads worker. Results of requests older than the current generation are dropped.
import { Worker } from 'worker_threads';
import { EngineError, StaleRequestError } from '../engine/errors';
import type { ForwardRequest, ForwardResult, InferenceBackend } from '../engine/backend';
import type { HeadRef, PanelCircuits } from '../protocol/panel';
import type { FromWorker, ToWorker } from '../protocol/worker';

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;
type Pending = { resolve: (m: FromWorker) => void; reject: (e: Error) => void };

export class WorkerPool {
  private readonly worker: Worker;
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  private dead: Error | null = null;
  /** Raised by callers when new work supersedes everything in flight. */
  generation = 0;

  constructor(workerScript: string) {
    this.worker = new Worker(workerScript);
    this.worker.on('message', (m: FromWorker) => {
      const p = this.pending.get(m.requestId);
      if (!p) return;
      this.pending.delete(m.requestId);
      if (m.type === 'error') p.reject(new EngineError(m.message));
      else p.resolve(m);
    });
    const fail = (e: Error) => {
      this.dead = e;
      for (const p of this.pending.values()) p.reject(new EngineError(`the inference worker stopped: ${e.message}`));
      this.pending.clear();
    };
    this.worker.on('error', fail);
    this.worker.on('exit', (code) => fail(new Error(`exit code ${code}`)));
  }

  request(msg: DistributiveOmit<ToWorker, 'requestId'>, transfer: ArrayBuffer[] = []): Promise<FromWorker> {
    if (this.dead) return Promise.reject(new EngineError(`the inference worker stopped: ${this.dead.message}`));
    const requestId = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(requestId, { resolve, reject });
      this.worker.postMessage({ ...msg, requestId } as ToWorker, transfer);
    });
  }

  /** A backend for one model folder; loads the model in the worker. */
  async backend(modelDir: string, threads?: number): Promise<WorkerBackend> {
    await this.request({ type: 'load', modelDir, threads });
    return new WorkerBackend(this, modelDir);
  }

  /** The article's circuits for a model, computed from its weights in the worker. */
  async circuits(modelDir: string, previousHead: HeadRef, inductionHead: HeadRef): Promise<PanelCircuits> {
    const m = await this.request({ type: 'circuits', modelDir, previousHead, inductionHead });
    if (m.type !== 'circuits') throw new EngineError(`unexpected worker reply ${m.type}`);
    return m.circuits;
  }

  async terminate(): Promise<void> {
    this.dead = new Error('terminated');
    await this.worker.terminate();
  }
}

export class WorkerBackend implements InferenceBackend {
  constructor(private readonly pool: WorkerPool, readonly modelDir: string) {}

  async forward(req: ForwardRequest): Promise<ForwardResult> {
    const generation = this.pool.generation;
    const ids = Int32Array.from(req.ids);
    const headMask = req.headMask ? Float32Array.from(req.headMask) : undefined;
    const transfer = [ids.buffer as ArrayBuffer, ...(headMask ? [headMask.buffer as ArrayBuffer] : [])];
    const m = await this.pool.request(
      { type: 'forward', modelDir: this.modelDir, generation, ids, batch: req.batch, seq: req.seq, headMask, wantAttentions: req.wantAttentions },
      transfer,
    );
    if (m.type === 'stale' || generation < this.pool.generation) throw new StaleRequestError();
    if (m.type !== 'result') throw new EngineError(`unexpected worker reply ${m.type}`);
    return { batch: req.batch, seq: req.seq, logits: m.logits, attentions: m.attentions, logsumexp: m.logsumexp, topK: m.topK };
  }

  async dispose(): Promise<void> {
    await this.pool.request({ type: 'unload', modelDir: this.modelDir });
  }
}
