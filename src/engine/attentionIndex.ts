// Indexing the attention patterns an analysis keeps per window: [n_layers, n_heads, S, S] float32
// with S = end − start + 1, model position 0 the BOS token and token index t at position
// t − start + 1. The one place this arithmetic lives (the views pass token indices; the analysis
// indexes a forward pass's output with attentionIndex).
import type { Analysis, AnalysisWindow } from './analysis';

type WindowRange = Pick<AnalysisWindow, 'start' | 'end'>;

/** Positions of a window's forward pass: its tokens after BOS. */
export function windowSeq(w: WindowRange): number {
  return w.end - w.start + 1;
}

/** Model position of token index `t` in window `w` (BOS at 0). */
export function positionIn(w: WindowRange, t: number): number {
  return t - w.start + 1;
}

/** Flat index of [layer, head, query position, key position] in an [n_layers, n_heads, S, S]
 *  tensor (model positions, BOS at 0). */
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
  return w.attentions[attentionIndex(a.dims.nHeads, windowSeq(w), layer, head, positionIn(w, q), positionIn(w, k))];
}
