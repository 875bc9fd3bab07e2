// The onnxruntime-node session of one model folder, checked against its manifest. Used inside the
// inference worker and, in process, by the CLI and the tests.
import * as os from 'os';
import * as ort from 'onnxruntime-node';
import type { ForwardRequest, ForwardResult, InferenceBackend } from '../engine/backend';
import { CancelledError, EngineError } from '../engine/errors';
import { throwIfCancelled } from '../engine/cancellation';
import type { ModelFolder } from '../engine/manifest';
import { buildHfGraph } from '../engine/hf/build';
import { IO, residOutput } from '../engine/hf/io';
import type { PathSpec } from '../engine/hf/pathAblation';
import { rowsFromAttentions } from '../engine/attentionRows';
import { attnOnlySpec } from '../engine/hf/families/attnOnly';
import { readSafetensors } from '../engine/safetensors';
import type { SerializedModel } from '../engine/onnx/graph';
import type { HfFolder } from '../engine/hf/folder';
import { TensorReader } from '../engine/hf/weights';
import { MAX_BYTES, readRegularFile } from '../engine/safeFile';

/** Stages of a load, for a progress notification: bytes of weights read, then the steps after. */
export type LoadStage = { stage: 'reading'; done: number; total: number } | { stage: 'building' } | { stage: 'session' };

export interface LoadOptions {
  threads?: number;
  onStage?: (s: LoadStage) => void;
  /** Asked between stages and between chunks of the weight files: true stops the load. */
  cancelled?: () => boolean;
}

/** The graph of a Hugging Face folder, built from its weights (float32, held outside the
 *  protobuf); the file buffers are released as soon as the graph holds its float32 copies.
 *  `startLayer` > 0: the graph of the layers from there on (buildHfGraph). */
async function buildHfModel(hf: HfFolder, o: LoadOptions, startLayer = 0, path: PathSpec | null = null): Promise<SerializedModel> {
  const reader = new TensorReader(hf.weights);
  const cancelled = o.cancelled ?? (() => false);
  try {
    await reader.preload((done, total) => o.onStage?.({ stage: 'reading', done, total }), cancelled);
    if (cancelled()) throw new CancelledError();
    o.onStage?.({ stage: 'building' });
    return buildHfGraph(hf.spec, reader, hf.nCtx, startLayer, path);
  } finally {
    reader.release();
  }
}

/** The graph of an attention-only model whose model.json says "graph": "weights" (the bundled
 *  model): built from weights.safetensors like a Hugging Face one; the ONNX file is not run. */
function buildAttnOnlyModel(folder: ModelFolder, o: LoadOptions, startLayer = 0, path: PathSpec | null = null): SerializedModel {
  o.onStage?.({ stage: 'building' });
  const m = folder.manifest;
  const weights = readSafetensors(folder.weightsPath!);
  const source = { has: (n: string) => weights.has(n), get: (n: string) => weights.get(n)! };
  return buildHfGraph(attnOnlySpec(m.architecture, m.bos_token_id), source, m.architecture.n_ctx, startLayer, path);
}

/** Whether the engine builds this folder's graph (it then has resid outputs and suffix graphs). */
const builtByEngine = (folder: ModelFolder) => !!folder.hf || folder.manifest.graph === 'weights';

/** The share of the machine's memory a graph of the later layers may bring the process to. */
const SUFFIX_MEMORY_SHARE = 0.6;

type Meta = { name: string; isTensor: boolean; type?: string; shape?: ReadonlyArray<number | string> };

export class OrtModel implements InferenceBackend {
  /** Sessions of the graphs that start at a later layer, made on first use (ablation passes), and
   *  of graphs with a path ablation built in (the last few asked for). */
  private readonly suffixes = new Map<number, Promise<ort.InferenceSession | null>>();
  private readonly paths = new Map<string, Promise<ort.InferenceSession | null>>();

  private constructor(
    private readonly session: ort.InferenceSession,
    readonly folder: ModelFolder,
    private readonly options: ort.InferenceSession.SessionOptions,
  ) {}

  static async load(folder: ModelFolder, opts: LoadOptions = {}): Promise<OrtModel> {
    const { threads } = opts;
    let session: ort.InferenceSession;
    let options: ort.InferenceSession.SessionOptions;
    try {
      // For built Hugging Face graphs 'extended' matches 'all' in speed (GPT-2 small shape, 512
      // tokens: 946 vs 904 ms) but creates the session in 0.9 s instead of 3.6 s.
      // No pre-packed copies of the weights: measured on the GPT-2 small shape, they cost 120 MB
      // of memory after load and 0.3 s of session creation, and the forward pass is as fast.
      options = {
        graphOptimizationLevel: folder.hf ? 'extended' : 'all',
        ...(folder.hf ? { extra: { session: { disable_prepacking: '1' } } } : {}),
        ...(threads ? { intraOpNumThreads: threads } : {}),
      };
      // onnxruntime copies the weights it is given (the in-memory external data) into its own
      // tensors: `built` goes out of scope with this block, so our float32 arrays can be freed.
      let built = folder.hf ? await buildHfModel(folder.hf, opts) : folder.manifest.graph === 'weights' ? buildAttnOnlyModel(folder, opts) : null;
      if (opts.cancelled?.()) throw new CancelledError();
      opts.onStage?.({ stage: 'session' });
      session = built
        ? await ort.InferenceSession.create(built.model, { ...options, externalData: built.externalData })
        // The bytes, not the path: onnxruntime opens only what was checked to be a regular file.
        : await ort.InferenceSession.create(readRegularFile(folder.onnxPath, MAX_BYTES.none), options);
      built = null;
    } catch (e) {
      if (e instanceof EngineError || e instanceof CancelledError) throw e;
      throw new EngineError(`${folder.onnxPath}: onnxruntime cannot load it: ${(e as Error).message}`);
    }
    try {
      checkSignature(session, folder);
    } catch (e) {
      await session.release(); // a model that does not match its manifest holds nothing
      throw e;
    }
    if (opts.cancelled?.()) {
      await session.release(); // cancelled while the session was created: free it at once
      throw new CancelledError();
    }
    return new OrtModel(session, folder, options);
  }

  /** The session of the whole model with path `p` ablated (null: not possible, see suffix()). */
  private pathSession(p: PathSpec): Promise<ort.InferenceSession | null> {
    const { n_layers: L, n_heads: H } = this.folder.manifest.architecture;
    const ok = (h: { layer: number; head: number }) => Number.isInteger(h.layer) && Number.isInteger(h.head) && h.layer >= 0 && h.layer < L && h.head >= 0 && h.head < H;
    if (!ok(p.sender) || !ok(p.receiver) || p.receiver.layer <= p.sender.layer) {
      return Promise.reject(new EngineError(`path ablation needs heads of this model (${L} layers × ${H} heads) and a receiver in a later layer than the sender`));
    }
    const key = JSON.stringify(p);
    let s = this.paths.get(key);
    if (!s) {
      s = this.makeSession(0, p);
      s.catch(() => this.paths.delete(key));
      this.paths.set(key, s);
      // A few kept: a panel's tests of one circuit reuse them, and each holds the weights.
      for (const old of [...this.paths.keys()].slice(0, -3)) {
        void this.paths.get(old)!.then((x) => x?.release()).catch(() => undefined);
        this.paths.delete(old);
      }
    }
    return s;
  }

  /** A session of a graph the engine builds: from `startLayer`, with `path` ablated; null when
   *  this model's graph is an ONNX file or memory does not allow a second copy of the weights. */
  private async makeSession(startLayer: number, path: PathSpec | null): Promise<ort.InferenceSession | null> {
    const f = this.folder;
    if (!builtByEngine(f)) return null;
    const L = f.manifest.architecture.n_layers;
    const params = f.hf ? f.hf.weights.parameterCount : 0;
    // The new graph's float32 weights (at most those of the whole model) and the build's peak.
    if (process.memoryUsage().rss + 2.5 * 4 * params * ((L - startLayer) / L + 0.2) > SUFFIX_MEMORY_SHARE * os.totalmem()) return null;
    const built = f.hf ? await buildHfModel(f.hf, {}, startLayer, path) : buildAttnOnlyModel(f, {}, startLayer, path);
    return ort.InferenceSession.create(built.model, { ...this.options, externalData: built.externalData });
  }

  /**
   * The session of the layers from `layer` on, or null when this model cannot have one (an ONNX
   * file) or the machine lacks the memory for a second copy of those weights: the caller then
   * runs the whole model.
   */
  private suffix(layer: number): Promise<ort.InferenceSession | null> {
    let s = this.suffixes.get(layer);
    if (!s) {
      s = this.makeSession(layer, null);
      s.catch(() => this.suffixes.delete(layer));
      this.suffixes.set(layer, s);
    }
    return s;
  }

  async forward(req: ForwardRequest): Promise<ForwardResult> {
    throwIfCancelled(req.token);
    const m = this.folder.manifest;
    const { n_layers: L, n_heads: H, d_vocab: V, n_ctx } = m.architecture;
    if (req.seq > n_ctx) throw new EngineError(`sequence of ${req.seq} tokens is longer than the model's context (${n_ctx})`);
    const mask = req.headMask ?? new Float32Array(L * H).fill(1);
    const d = m.architecture.d_model;
    // Starting at a later layer: its own graph, fed the residual stream entering it.
    const from = req.from && !req.wantAttentions ? await this.suffix(req.from.layer) : null;
    if (req.from && from && req.from.resid.length !== req.batch * req.seq * d) {
      throw new EngineError(`resid: expected ${req.batch}×${req.seq}×${d} values, got ${req.from.resid.length}`);
    }
    const feeds: Record<string, ort.Tensor> = { [m.io.head_mask]: new ort.Tensor('float32', mask, [L, H]) };
    if (from) feeds[IO.resid_in] = new ort.Tensor('float32', req.from!.resid, [req.batch, req.seq, d]);
    else {
      const ids = new BigInt64Array(req.ids.length);
      for (let i = 0; i < ids.length; i++) ids[i] = BigInt(req.ids[i]);
      feeds[m.io.input_ids] = new ort.Tensor('int64', ids, [req.batch, req.seq]);
    }
    let session = from ?? this.session;
    if (req.path && !from) {
      const ps = await this.pathSession(req.path);
      if (!ps) throw new EngineError(`${this.folder.onnxPath}: path ablation needs a graph the engine builds (a Hugging Face folder or "graph": "weights") and the memory for a second copy of its weights`);
      session = ps;
    }
    const built = builtByEngine(this.folder);
    if (built && !from) {
      feeds[IO.query_rows] = new ort.Tensor('int64', BigInt64Array.from(req.rows ?? [], (r) => BigInt(r)), [req.rows?.length ?? 0]);
      const pairs = req.rows ? req.dlaPairs ?? [] : [];
      feeds[IO.dla_pairs] = new ort.Tensor('int64', BigInt64Array.from(pairs, (r) => BigInt(r)), [pairs.length / 2, 2]);
    }
    // Rows on demand: a built graph gives them; from an ONNX file they are cut from the attentions.
    const rowsOut = req.rows && !from && built;
    const fullForRows = req.rows && !from && !built;
    // The attentions are large (L*H*seq^2 floats): fetch them only when asked.
    const fetches = req.wantAttentions || fullForRows ? [m.io.logits, m.io.attentions] : [m.io.logits];
    if (rowsOut) fetches.push(IO.attn_rows, IO.prev_attn);
    const dlaOut = rowsOut && req.dlaPairs && req.dlaPairs.length > 0;
    if (dlaOut) fetches.push(IO.dla);
    const residAt = !from && builtByEngine(this.folder) && req.residAt && req.residAt > 0 && req.residAt < L ? req.residAt : 0;
    if (residAt) fetches.push(residOutput(residAt));
    // Small optional outputs that save the engine a pass over the logits.
    if (m.io.logsumexp) fetches.push(m.io.logsumexp);
    if (m.io.top_k) fetches.push(m.io.top_k.values, m.io.top_k.indices);
    const out = await session.run(feeds, fetches);
    const logits = out[m.io.logits];
    const expectLogits = [req.batch, req.seq, V];
    if (!sameDims(logits.dims, expectLogits)) {
      throw new EngineError(`${this.folder.onnxPath}: logits have shape [${logits.dims}], the manifest implies [${expectLogits}]`);
    }
    let attentions: Float32Array | null = null;
    if (req.wantAttentions || fullForRows) {
      const a = out[m.io.attentions];
      const expectAttn = [req.batch, L, H, req.seq, req.seq];
      if (!sameDims(a.dims, expectAttn)) {
        throw new EngineError(`${this.folder.onnxPath}: attentions have shape [${a.dims}], the manifest implies [${expectAttn}]`);
      }
      attentions = a.data as Float32Array;
    }
    const result: ForwardResult = { batch: req.batch, seq: req.seq, logits: logits.data as Float32Array, attentions: req.wantAttentions ? attentions : null };
    if (rowsOut) {
      result.attnRows = out[IO.attn_rows].data as Float32Array;
      result.prevAttn = out[IO.prev_attn].data as Float32Array;
      if (dlaOut) result.dla = out[IO.dla].data as Float32Array;
    } else if (fullForRows) Object.assign(result, rowsFromAttentions(attentions!, req.batch, L, H, req.seq, req.rows!));
    if (residAt) result.resid = out[residOutput(residAt)].data as Float32Array;
    if (m.io.logsumexp) result.logsumexp = out[m.io.logsumexp].data as Float32Array;
    if (m.io.top_k) {
      const idx = out[m.io.top_k.indices].data as BigInt64Array;
      result.topK = { k: m.io.top_k.k, values: out[m.io.top_k.values].data as Float32Array, ids: Int32Array.from(idx, (x) => Number(x)) };
    }
    return result;
  }

  async dispose(): Promise<void> {
    const suffixes = await Promise.all([...this.suffixes.values(), ...this.paths.values()].map((s) => s.catch(() => null)));
    this.suffixes.clear();
    this.paths.clear();
    for (const s of suffixes) await s?.release();
    await this.session.release();
  }
}

function sameDims(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

function checkSignature(session: ort.InferenceSession, folder: ModelFolder): void {
  const m = folder.manifest;
  const { n_layers: L, n_heads: H, d_vocab: V } = m.architecture;
  const file = folder.onnxPath;
  const inputs = session.inputMetadata as readonly Meta[];
  const outputs = session.outputMetadata as readonly Meta[];
  const find = (list: readonly Meta[], name: string, kind: string): Meta => {
    const x = list.find((v) => v.name === name);
    if (!x) {
      throw new EngineError(`${file}: has no ${kind} named "${name}" (manifest io); it has ${list.map((v) => v.name).join(', ') || 'none'}`);
    }
    return x;
  };
  const expect = (meta: Meta, rank: number, fixed: Record<number, number>, kind: string) => {
    const shape = meta.shape ?? [];
    if (shape.length !== rank) throw new EngineError(`${file}: ${kind} "${meta.name}" has rank ${shape.length}, expected ${rank}`);
    for (const [i, v] of Object.entries(fixed)) {
      const d = shape[Number(i)];
      if (typeof d === 'number' && d !== v) {
        throw new EngineError(`${file}: ${kind} "${meta.name}" dimension ${i} is ${d}, the manifest says ${v}`);
      }
    }
  };
  const ids = find(inputs, m.io.input_ids, 'input');
  if (ids.type && ids.type !== 'int64') throw new EngineError(`${file}: input "${ids.name}" is ${ids.type}, expected int64`);
  expect(ids, 2, {}, 'input');
  const mask = find(inputs, m.io.head_mask, 'input');
  if (mask.type && mask.type !== 'float32') throw new EngineError(`${file}: input "${mask.name}" is ${mask.type}, expected float32`);
  expect(mask, 2, { 0: L, 1: H }, 'input');
  expect(find(outputs, m.io.logits, 'output'), 3, { 2: V }, 'output');
  expect(find(outputs, m.io.attentions, 'output'), 5, { 1: L, 2: H }, 'output');
  if (m.io.logsumexp) expect(find(outputs, m.io.logsumexp, 'output'), 2, {}, 'output');
  if (m.io.top_k) {
    expect(find(outputs, m.io.top_k.values, 'output'), 3, { 2: m.io.top_k.k }, 'output');
    expect(find(outputs, m.io.top_k.indices, 'output'), 3, { 2: m.io.top_k.k }, 'output');
  }
}
