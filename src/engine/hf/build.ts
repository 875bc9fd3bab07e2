// The ONNX graph of a Hugging Face causal LM: what `transformers` computes in eager attention
// (fp32), plus a required head_mask [n_layers, n_heads] multiplied into each head's output and
// every layer's attention probabilities as one output. The family supplies embeddings, layers,
// final norm and unembedding (families/*.ts); the shared pieces are in blocks.ts.
import { Graph, type SerializedModel } from '../onnx/graph';
import { Blocks, type LayerContext, type WeightSource } from './blocks';
import type { Family } from './families/family';
import type { PathSpec } from './pathAblation';
import { familyOf } from './families';
import { IO, residOutput, TOP_K } from './io';
import { ropeTables } from './rotary';
import type { HfSpec } from './spec';

export type { WeightSource };

/**
 * The model's graph and its weights; `nCtx` bounds the positions the rotary tables cover. The full
 * graph also outputs the residual stream entering each layer after the first (residOutput). With
 * `startLayer` s > 0 it is the graph of layers s.. only: it takes that residual stream (input
 * resid_in [B, T, d]) instead of token ids and has no attentions output (the ablation pass).
 */
/**
 * Every head's direct contribution to chosen tokens' logits at chosen rows [B, L, H, P]: the head's
 * output there (z_h W_O[h], no bias) through the final norm taken as linear with the scale (and for
 * LayerNorm the mean) the whole residual stream `h` [B, T, d] has at that row, times the token's
 * unembedding column. Exact for a model without a final norm (the bundled one).
 */
function directLogitAttribution(b: Blocks, family: Family, h: string, rows: string): string {
  const g = b.g;
  const pairs = g.input(IO.dla_pairs, 'int64', ['pairs', 2]);                                    // [P, 2]
  const pairPos = g.op('Gather', [rows, g.op('Gather', [pairs, g.ints([0], [])], { axis: 1 })]);   // [P] model positions
  const pairToken = g.op('Gather', [pairs, g.ints([1], [])], { axis: 1 });                       // [P]
  const u = family.unembed(b);
  let a = typeof u === 'string'
    ? g.op('Transpose', [g.op('Gather', [u, pairToken], { axis: 1 })], { perm: [1, 0] })         // [d, V] -> [P, d]
    : g.op('Gather', [u.name, pairToken], { axis: 0 });                                          // [V, d] -> [P, d]
  const norm = family.finalNorm(b);
  let scale: string | null = null;
  if (norm.kind !== 'none') {
    // (w ⊙ (c − mean c) / σ) · U_B = c · a / σ with a = w ⊙ U_B, centred for LayerNorm.
    const mean = (x: string) => g.op('ReduceMean', [x], { axes: [-1], keepdims: 1 });
    a = g.op('Mul', [a, norm.weight!]);
    if (norm.kind === 'layer') a = g.op('Sub', [a, mean(a)]);
    const hp = g.op('Gather', [h, pairPos], { axis: 1 });                                         // [B, P, d]
    const centred = norm.kind === 'layer' ? g.op('Sub', [hp, mean(hp)]) : hp;
    const sigma = g.op('Sqrt', [g.op('Add', [mean(g.op('Mul', [centred, centred])), g.scalar(b.s.eps)])]); // [B, P, 1]
    scale = g.op('Reshape', [sigma, g.ints([0, 1, -1])]);                                          // [B, 1, P]
  }
  const aColumn = g.op('Unsqueeze', [a, g.ints([2])]);                                          // [P, d, 1]
  const parts: string[] = [];
  for (let l = 0; l < b.s.nLayers; l++) {
    // Layer by layer: only [B, H, P, d] is ever held, never every layer's.
    const c = g.op('MatMul', [g.op('Gather', [b.zByLayer.get(l)!, pairPos], { axis: 2 }), family.headOutput(b, l)]); // [B, H, P, d]
    // Each pair's dot product as a batched MatMul ([B, H, P, 1, d] x [P, d, 1]): unlike ReduceSum,
    // it keeps its shape when there are no pairs (onnxruntime runs this part on every pass).
    let dla = g.op('Reshape', [g.op('MatMul', [g.op('Unsqueeze', [c, g.ints([3])]), aColumn]), g.ints([0, 0, -1])]); // [B, H, P]
    if (scale) dla = g.op('Div', [dla, scale]);
    parts.push(g.op('Unsqueeze', [dla, g.ints([1])]));                                           // [B, 1, H, P]
  }
  return g.op('Concat', parts, { axis: 1 });                                                     // [B, L, H, P]
}

export function buildHfGraph(spec: HfSpec, weights: WeightSource, nCtx: number, startLayer = 0, path: PathSpec | null = null): SerializedModel {
  const g = new Graph();
  const family = familyOf(spec.family);
  const ids = startLayer > 0
    ? g.input(IO.resid_in, 'float32', ['batch', 'seq', spec.dModel])      // [B, T, d]
    : g.input(IO.input_ids, 'int64', ['batch', 'seq']);                    // [B, T]
  const bt = g.op('Slice', [g.op('Shape', [ids]), g.ints([0]), g.ints([2])]); // [2] = (B, T)
  const b = new Blocks(g, spec, weights, bt);
  b.path = path;
  const { nLayers: L, nHeads: H } = spec;
  const headMask = g.input(IO.head_mask, 'float32', [L, H]);              // [L, H]
  const T = g.op('Gather', [g.op('Shape', [ids]), g.ints([1], [])]);       // scalar T
  const positions = g.op('Range', [g.ints([0], []), T, g.ints([1], [])]); // [T]
  const TT = g.op('Concat', [g.op('Unsqueeze', [T, g.ints([0])]), g.op('Unsqueeze', [T, g.ints([0])])], { axis: 0 });
  const ones = g.op('Expand', [g.scalar(1), TT]);                          // [T, T]
  const lower = g.op('Trilu', [ones], { upper: 0 });
  // Causal mask [T, T] (true on and below the diagonal); the sliding one also needs i - j < window.
  const causal = g.op('Cast', [lower], { to: 9 });
  const sliding = spec.slidingWindow === null ? null
    : g.op('Cast', [g.op('Trilu', [lower, g.ints([-(spec.slidingWindow - 1)], [])], { upper: 1 })], { to: 9 });
  const rope = spec.rope;
  const ctx: Omit<LayerContext, 'maskRow'> = {
    causal, sliding, positions,
    rope: rope ? ropeTables(g, 'rope', rope.global, spec.dHead, rope.dims, positions, nCtx) : null,
    localRope: rope?.local ? ropeTables(g, 'rope_local', rope.local, spec.dHead, rope.dims, positions, nCtx) : null,
  };

  let h = startLayer > 0 ? ids : family.embed(b, ids, positions);        // [B, T, d]
  const patterns: string[] = [];
  const rows = startLayer > 0 ? null : g.input(IO.query_rows, 'int64', ['rows']); // [R]
  // Flat index of (i, i - 1) in a [T, T] pattern, (0, 0) for the first position: [T].
  const prevIndex = g.op('Add', [g.op('Mul', [positions, T]), g.op('Max', [g.op('Sub', [positions, g.ints([1], [])]), g.ints([0], [])])]);
  const rowParts: string[] = [];
  const prevParts: string[] = [];
  for (let l = startLayer; l < L; l++) {
    if (l > 0 && startLayer === 0) g.output(h, residOutput(l), 'float32', ['batch', 'seq', spec.dModel]);
    const maskRow = g.op('Reshape', [g.op('Gather', [headMask, g.ints([l], [])]), g.ints([1, H, 1, 1])]); // [1, H, 1, 1]
    const out = family.layer(b, l, h, { ...ctx, maskRow });
    h = out.h;
    patterns.push(g.op('Unsqueeze', [out.pattern, g.ints([1])]));        // [B, 1, H, T, T]
    if (rows) {
      rowParts.push(g.op('Unsqueeze', [g.op('Gather', [out.pattern, rows], { axis: 2 }), g.ints([1])])); // [B, 1, H, R, T]
      const flat = g.op('Reshape', [out.pattern, g.ints([0, 0, -1])]);                                      // [B, H, T*T]
      prevParts.push(g.op('Unsqueeze', [g.op('Gather', [flat, prevIndex], { axis: 2 }), g.ints([1])]));   // [B, 1, H, T]
    }
  }
  if (rows) g.output(directLogitAttribution(b, family, h, rows), IO.dla, 'float32', ['batch', L, H, 'pairs']);
  let logits = b.affine(family.final(b, h), family.unembed(b), null);     // [B, T, V]
  if (spec.finalSoftcap !== null) logits = b.softcap(logits, spec.finalSoftcap);
  g.output(logits, IO.logits, 'float32', ['batch', 'seq', spec.vocab]);
  if (startLayer === 0) {
    g.output(g.op('Concat', patterns, { axis: 1 }), IO.attentions, 'float32', ['batch', L, H, 'seq', 'seq']);
    g.output(g.op('Concat', rowParts, { axis: 1 }), IO.attn_rows, 'float32', ['batch', L, H, 'rows', 'seq']);
    g.output(g.op('Concat', prevParts, { axis: 1 }), IO.prev_attn, 'float32', ['batch', L, H, 'seq']);
  }
  g.output(g.op('ReduceLogSumExp', [logits], { axes: [-1], keepdims: 0 }), IO.logsumexp, 'float32', ['batch', 'seq']);
  g.opN('TopK', [logits, g.ints([TOP_K])], 2, { axis: -1 }, [IO.top_k.values, IO.top_k.indices]);
  g.output(IO.top_k.values, IO.top_k.values, 'float32', ['batch', 'seq', TOP_K]);
  g.output(IO.top_k.indices, IO.top_k.indices, 'int64', ['batch', 'seq', TOP_K]);
  return g.serialize('induction-lens');
}
