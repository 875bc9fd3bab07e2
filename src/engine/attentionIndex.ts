// The layout of a window's forward pass, the one place its arithmetic lives: a window of tokens
// [start, end) runs as [BOS, tokens…] when the model has a BOS token (dims.bos a number) and as
// [tokens…] when it has none (dims.bos null, e.g. Qwen or GPT-2, whose tokenizers add no BOS).
// The pass has S = end − start + prefix positions, prefix = 1 with BOS (at position 0) and 0
// without; token index t sits at model position t − start + prefix. Attention patterns kept per
// window are [n_layers, n_heads, S, S] float32. The views pass token indices; the analysis builds
// its windows' ids with windowIds and indexes a forward pass's output with positionIn.
import type { Analysis, AnalysisWindow, ModelDims } from './analysis';

type WindowRange = Pick<AnalysisWindow, 'start' | 'end'>;
/** What the layout depends on: whether the model has a BOS token, and which. */
export type BosDims = Pick<ModelDims, 'bos'>;

/** Positions before a window's first token: 1 (BOS) or 0 (no BOS). */
export function bosPrefix(dims: BosDims): 0 | 1 {
  return dims.bos === null ? 0 : 1;
}

/** Tokens of the text one forward pass of `nCtx` positions holds. */
export function tokensPerWindow(dims: BosDims & Pick<ModelDims, 'nCtx'>): number {
  return dims.nCtx - bosPrefix(dims);
}

/** Positions of a window's forward pass: its tokens, after BOS when there is one. */
export function windowSeq(dims: BosDims, w: WindowRange): number {
  return w.end - w.start + bosPrefix(dims);
}

/** Model position of token index `t` in window `w` (BOS, if any, at 0). */
export function positionIn(dims: BosDims, w: Pick<AnalysisWindow, 'start'>, t: number): number {
  return t - w.start + bosPrefix(dims);
}

/** The ids a window's forward pass runs on: [BOS, ids[start..end)] or ids[start..end). */
export function windowIds(dims: BosDims, ids: Int32Array, w: WindowRange): Int32Array {
  const p = bosPrefix(dims);
  const out = new Int32Array(windowSeq(dims, w));
  if (dims.bos !== null) out[0] = dims.bos;
  out.set(ids.subarray(w.start, w.end), p);
  return out;
}

/** Flat index of [layer, head, query position, key position] in an [n_layers, n_heads, S, S]
 *  tensor (model positions, see positionIn). */
export function attentionIndex(nHeads: number, S: number, layer: number, head: number, qPos: number, kPos: number): number {
  return ((layer * nHeads + head) * S + qPos) * S + kPos;
}

/** The window that owns token `q` (its results come from that window); undefined past the
 *  analyzed tokens. */
export function windowOf(a: Pick<Analysis, 'windows'>, q: number): AnalysisWindow | undefined {
  return a.windows.find((w) => w.ownStart <= q && q < w.ownEnd);
}

/**
 * Attention of head (layer, head) from token `q` to token `k` (token indices) in window `w`:
 * both must lie in the window and k <= q. Throws when they do not, or when the window's
 * attentions were not kept (check `w.attentions` first).
 */
export function attentionAt(a: Pick<Analysis, 'dims'>, w: AnalysisWindow, layer: number, head: number, q: number, k: number): number {
  if (!w.attentions) throw new Error(`the attentions of window [${w.start}, ${w.end}) were not kept`);
  if (!(w.start <= k && k <= q && q < w.end)) throw new RangeError(`tokens ${q} → ${k} are not a causal pair in window [${w.start}, ${w.end})`);
  if (!(layer >= 0 && layer < a.dims.nLayers && head >= 0 && head < a.dims.nHeads)) throw new RangeError(`no head L${layer}H${head}`);
  const d = a.dims;
  return w.attentions[attentionIndex(d.nHeads, windowSeq(d, w), layer, head, positionIn(d, w, q), positionIn(d, w, k))];
}
