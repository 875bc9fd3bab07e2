// Weight-based circuits of the induction-circuit papers (docs/definitions.md), row-vector conventions (x W_V W_O).
// Exact for attention-only models without LayerNorm.
import { EngineError } from './errors';
import { eigenvalues, matmul, transpose } from './linalg';
import type { ModelManifest } from './manifest';
import { mulberry32, probePrefix, probeTokens } from './probe';
import type { TensorMap } from './safetensors';

import type { HeadRef } from '../protocol/headRef';
import { untranslated, type Translate } from '../protocol/l10n';

export type { HeadRef };

export interface CopyingScore extends HeadRef {
  /** Σλ / Σ|λ| over the eigenvalues of W_E W_V W_O W_U. */
  eigenCopyingScore: number;
  /** Share of tokens whose row of the full OV circuit has its maximum on the diagonal. */
  top1Accuracy: number;
}

export interface CircuitsReport {
  copying: CopyingScore[];
  kComposition: { scores: number[][]; baseline: number };
  previousTokenQK: {
    head: HeadRef;
    subDiagonalMass: number;
    /** [n, n] softmax(W_pos W_Q W_K^T W_pos^T / sqrt(d_head)) with a causal mask. */
    pattern: Float32Array;
    n: number;
  };
  kCompositionPattern: {
    previousHead: HeadRef;
    inductionHead: HeadRef;
    /** The probe's layout: BOS (when `bos` is a number), R, R with |R| = 50. */
    tokens: Int32Array;
    /** The BOS token the sequence starts with, or null: the random tokens alone. */
    bos?: number | null;
    /** [seq, seq] unnormalised scores x W_Q W_K^T y^T; above the diagonal NaN (masked). */
    scores: Float32Array;
    seq: number;
  };
  ovCircuit: {
    head: HeadRef;
    tokenIds: number[];
    /** [n, n] rows = source token, columns = logit of each sampled token. */
    matrix: Float32Array;
  };
}

export interface CircuitOptions {
  previousHead?: HeadRef;
  inductionHead?: HeadRef;
  /** Tokens shown in the OV view. */
  ovSample?: number;
  /** The model's BOS token, or null when it has none (default: the manifest's bos_token_id): the
   *  K-composition sequence and the OV sample are drawn as the probe draws them (probeTokens). */
  bos?: number | null;
}

interface Weights {
  D: number;
  E: number;
  H: number;
  V: number;
  nCtx: number;
  /** Positions added to the residual stream (learned) rather than only to queries and keys (shortformer). */
  learnedPositions: boolean;
  WE: Float32Array; // [d_vocab, d_model]
  Wpos: Float32Array; // [n_ctx, d_model]
  WU: Float32Array; // [d_model, d_vocab]
  layer: { Q: Float32Array; K: Float32Array; V: Float32Array; O: Float32Array }[]; // [head, d_model, d_head] / O [head, d_head, d_model]
}

/** Why the circuit views are not available for a model, or null when they are. */
export function circuitsUnavailableReason(m: ModelManifest, t: Translate = untranslated): string | null {
  // The activation-based views (patterns, head scores, events, ablation) stay exact for every model.
  if (m.architecture.layer_norm && m.architecture.attn_only) return t('the model uses LayerNorm, so the weight-based circuits would only be approximations and are hidden; patterns, head scores, events and ablation are computed from the model itself');
  if (m.architecture.layer_norm) return t('the model uses LayerNorm and MLPs, so the weight-based circuits would only be approximations and are hidden; patterns, head scores, events and ablation are computed from the model itself');
  if (!m.architecture.attn_only) return t('the model has MLPs, so the weight-based circuits would only be approximations and are hidden; patterns, head scores, events and ablation are computed from the model itself');
  if (!m.weights) return t('the model folder has no weights file, so circuits cannot be computed from the weights');
  if (m.architecture.n_layers < 2) return t('induction circuits need at least two layers');
  return null;
}

function readWeights(t: TensorMap, m: ModelManifest): Weights {
  const a = m.architecture;
  const get = (name: string, shape: number[]): Float32Array => {
    const x = t.get(name);
    if (!x) throw new EngineError(`${m.weights}: tensor ${name} is missing`);
    if (x.shape.join() !== shape.join()) throw new EngineError(`${m.weights}: tensor ${name} has shape [${x.shape}], expected [${shape}]`);
    return x.data;
  };
  const { d_model: D, d_head: E, n_heads: H, d_vocab: V, n_ctx } = a;
  const layer = [];
  for (let l = 0; l < a.n_layers; l++) {
    layer.push({
      Q: get(`blocks.${l}.attn.W_Q`, [H, D, E]),
      K: get(`blocks.${l}.attn.W_K`, [H, D, E]),
      V: get(`blocks.${l}.attn.W_V`, [H, D, E]),
      O: get(`blocks.${l}.attn.W_O`, [H, E, D]),
    });
  }
  return {
    D, E, H, V, nCtx: n_ctx, learnedPositions: a.positional === 'learned',
    WE: get('embed.W_E', [V, D]), Wpos: get('pos_embed.W_pos', [n_ctx, D]), WU: get('unembed.W_U', [D, V]), layer,
  };
}

const headSlice = (w: Float32Array, h: number, rows: number, cols: number) => w.subarray(h * rows * cols, (h + 1) * rows * cols);

export function computeCircuits(t: TensorMap, m: ModelManifest, opts: CircuitOptions = {}): CircuitsReport {
  const why = circuitsUnavailableReason(m);
  if (why) throw new EngineError(why);
  const w = readWeights(t, m);
  const bos = opts.bos === undefined ? m.bos_token_id : opts.bos;
  const prevQK = previousTokenQK(w, opts.previousHead);
  const kComposition = kCompositionScores(w);
  const copying = [];
  for (let h = 0; h < w.H; h++) copying.push({ layer: 1, head: h, ...copyingScores(w, 1, h) });
  const prevHead = prevQK.head;
  let inductionHead = opts.inductionHead;
  if (!inductionHead) {
    // The layer-1 head that K-composes most with the previous-token head.
    const row = kComposition.scores[prevHead.head];
    inductionHead = { layer: 1, head: row.indexOf(Math.max(...row)) };
  }
  return {
    copying,
    kComposition,
    previousTokenQK: prevQK,
    kCompositionPattern: kCompositionPattern(w, prevHead, inductionHead, bos),
    ovCircuit: ovCircuit(w, inductionHead, opts.ovSample ?? 40, bos),
  };
}

/** Positional QK pattern of every layer-0 head; reports the one with most sub-diagonal mass. */
function previousTokenQK(w: Weights, forced?: HeadRef) {
  const { D, E, nCtx: n } = w;
  let best: { head: HeadRef; subDiagonalMass: number; pattern: Float32Array; n: number } | null = null;
  for (let h = 0; h < w.H; h++) {
    if (forced && forced.head !== h) continue;
    const q = matmul(w.Wpos, headSlice(w.layer[0].Q, h, D, E), n, D, E); // [n_ctx, d_head]
    const k = matmul(w.Wpos, headSlice(w.layer[0].K, h, D, E), n, D, E); // [n_ctx, d_head]
    const scores = matmul(q, transpose(k, n, E), n, E, n); // [n_ctx, n_ctx]
    const pattern = causalSoftmax(scores, n, 1 / Math.sqrt(E));
    let mass = 0;
    for (let i = 1; i < n; i++) mass += pattern[i * n + i - 1];
    mass /= n - 1;
    if (!best || mass > best.subDiagonalMass) best = { head: { layer: 0, head: h }, subDiagonalMass: mass, pattern, n };
  }
  return best!;
}

function causalSoftmax(scores: Float64Array, n: number, scale: number): Float32Array {
  const out = new Float32Array(n * n);
  for (let i = 0; i < n; i++) {
    let max = -Infinity;
    for (let j = 0; j <= i; j++) max = Math.max(max, scores[i * n + j] * scale);
    let s = 0;
    for (let j = 0; j <= i; j++) s += Math.exp(scores[i * n + j] * scale - max);
    for (let j = 0; j <= i; j++) out[i * n + j] = Math.exp(scores[i * n + j] * scale - max) / s;
  }
  return out;
}

/** ‖W_OV W_QK^T‖_F / (‖W_OV‖_F ‖W_QK‖_F) from the factors, via d_head x d_head Gram matrices. */
function kCompScore(V: ArrayLike<number>, O: ArrayLike<number>, Q: ArrayLike<number>, K: ArrayLike<number>, D: number, E: number): number {
  const gram = (x: ArrayLike<number>) => matmul(transpose(x, D, E), x, E, D, E); // [E, E] = x^T x for x [D, E]
  const gV = gram(V), gQ = gram(Q), gK = gram(K);
  const OOt = matmul(O, transpose(O, E, D), E, D, E); // [E, E]
  const OK = matmul(O, K, E, D, E); // [E, E]: W_OV W_QK^T = V (O K) Q^T
  const trace = (x: Float64Array) => { let s = 0; for (let i = 0; i < E; i++) s += x[i * E + i]; return s; };
  const prod = trace(matmul(matmul(matmul(gV, OK, E, E, E), gQ, E, E, E), transpose(OK, E, E), E, E, E));
  const ov = trace(matmul(gV, OOt, E, E, E));
  const qk = trace(matmul(gQ, gK, E, E, E));
  return Math.sqrt(Math.max(0, prod)) / Math.sqrt(ov * qk);
}

function kCompositionScores(w: Weights) {
  const { D, E, H } = w;
  const scores: number[][] = [];
  for (let p = 0; p < H; p++) {
    const row = [];
    for (let h = 0; h < H; h++) {
      row.push(kCompScore(headSlice(w.layer[0].V, p, D, E), headSlice(w.layer[0].O, p, E, D),
        headSlice(w.layer[1].Q, h, D, E), headSlice(w.layer[1].K, h, D, E), D, E));
    }
    scores.push(row);
  }
  // Baseline: the same score for Gaussian matrices of the same shapes (fixed seed, 16 draws).
  const next = mulberry32(7);
  const gauss = (len: number) => {
    const x = new Float64Array(len);
    for (let i = 0; i < len; i++) {
      const u = (next() + 1) / 4294967297, v = (next() + 1) / 4294967297;
      x[i] = Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
    }
    return x;
  };
  let base = 0;
  const draws = 16;
  for (let i = 0; i < draws; i++) base += kCompScore(gauss(D * E), gauss(E * D), gauss(D * E), gauss(D * E), D, E);
  return { scores, baseline: base / draws };
}

/** Full OV circuit W_E W_V W_O W_U of a head: eigenvalue copying score and top-1 diagonal accuracy. */
function copyingScores(w: Weights, layer: number, h: number): { eigenCopyingScore: number; top1Accuracy: number } {
  const { D, E, V } = w;
  const EV = matmul(w.WE, headSlice(w.layer[layer].V, h, D, E), V, D, E); // [d_vocab, d_head]
  const OU = matmul(headSlice(w.layer[layer].O, h, E, D), w.WU, E, D, V); // [d_head, d_vocab]
  // The nonzero eigenvalues of (EV)(OU) [V,V] are those of (OU)(EV) [E,E].
  const small = matmul(OU, EV, E, V, E);
  const { re, im } = eigenvalues(small, E);
  let sum = 0, abs = 0;
  for (let i = 0; i < E; i++) {
    sum += re[i];
    abs += Math.hypot(re[i], im[i]);
  }
  let correct = 0;
  const row = new Float64Array(V);
  for (let i = 0; i < V; i++) {
    row.fill(0);
    for (let e = 0; e < E; e++) {
      const c = EV[i * E + e];
      for (let j = 0; j < V; j++) row[j] += c * OU[e * V + j];
    }
    let arg = 0;
    for (let j = 1; j < V; j++) if (row[j] > row[arg]) arg = j;
    if (arg === i) correct++;
  }
  return { eigenCopyingScore: abs === 0 ? 0 : sum / abs, top1Accuracy: correct / V };
}

function ovCircuit(w: Weights, head: HeadRef, n: number, bos: number | null) {
  const { D, E, V } = w;
  const p = probePrefix(bos);
  const ids = Array.from(probeTokens(V, bos, n, 1).subarray(p, p + n));
  const WEs = new Float64Array(n * D);
  ids.forEach((id, i) => WEs.set(w.WE.subarray(id * D, (id + 1) * D), i * D));
  const WUs = new Float64Array(D * n);
  for (let d = 0; d < D; d++) ids.forEach((id, j) => (WUs[d * n + j] = w.WU[d * V + id]));
  const ev = matmul(WEs, headSlice(w.layer[head.layer].V, head.head, D, E), n, D, E);
  const ou = matmul(headSlice(w.layer[head.layer].O, head.head, E, D), WUs, E, D, n);
  return { head, tokenIds: ids, matrix: Float32Array.from(matmul(ev, ou, n, E, n)) };
}

/** x W_Q^{1,h} (W_K^{1,h})^T y^T on BOS + R + R (R + R without BOS), with y = A^{0,p} x W_V^{0,p} W_O^{0,p}. */
function kCompositionPattern(w: Weights, prev: HeadRef, ind: HeadRef, bos: number | null) {
  const { D, E, V } = w;
  const tokens = probeTokens(V, bos, 50, 1);
  const T = tokens.length;
  const x = new Float64Array(T * D);
  for (let i = 0; i < T; i++) x.set(w.WE.subarray(tokens[i] * D, (tokens[i] + 1) * D), i * D);
  // Layer-0 attention pattern of the previous-token head on this sequence, computed from weights
  // (positions enter queries and keys for shortformer models, and the residual for learned ones).
  const l0 = w.layer[0];
  const resid = Float64Array.from(x);
  const qkIn = Float64Array.from(x);
  for (let i = 0; i < T * D; i++) qkIn[i] += w.Wpos[i];
  const q = matmul(qkIn, headSlice(l0.Q, prev.head, D, E), T, D, E);
  const k = matmul(qkIn, headSlice(l0.K, prev.head, D, E), T, D, E);
  const A = causalSoftmax(matmul(q, transpose(k, T, E), T, E, T), T, 1 / Math.sqrt(E));
  const vIn = w.learnedPositions ? qkIn : resid;
  const v = matmul(vIn, headSlice(l0.V, prev.head, D, E), T, D, E);
  const y = matmul(matmul(A, v, T, T, E), headSlice(l0.O, prev.head, E, D), T, E, D); // [T, d_model]
  const q1 = matmul(x, headSlice(w.layer[ind.layer].Q, ind.head, D, E), T, D, E);
  const k1 = matmul(y, headSlice(w.layer[ind.layer].K, ind.head, D, E), T, D, E);
  const s = matmul(q1, transpose(k1, T, E), T, E, T);
  const scores = new Float32Array(T * T);
  for (let i = 0; i < T; i++) for (let j = 0; j < T; j++) scores[i * T + j] = j <= i ? s[i * T + j] : NaN;
  return { previousHead: prev, inductionHead: ind, tokens, bos, scores, seq: T };
}

