// What one window's forward pass gives each token it owns: loss, top predictions, and the
// induction events found through the induction heads' attention (definitions in
// docs/definitions.md). Used by the analysis and by the ablation pass.
import type { ForwardResult } from './backend';
import type { HeadRef, InductionEvent, ModelDims, Prediction } from './analysis';
import { attentionIndex, positionIn, windowSeq } from './attentionIndex';
import { logSumExp, rankAt, topK } from './numeric';

/** log Σ exp of one position's logits: from the model's optional output, else computed. */
function rowLogSumExp(out: ForwardResult, pos: number, V: number): number {
  return out.logsumexp ? out.logsumexp[pos] : logSumExp(out.logits, pos * V, V);
}

export function scoreWindow(
  ids: Int32Array, w: { start: number; ownStart: number; ownEnd: number }, out: ForwardResult, dims: ModelDims,
  k: number, loss: (number | null)[], predictions: Prediction[][] | null,
): void {
  const V = dims.dVocab;
  const given = out.topK && out.topK.k >= k ? out.topK : null;
  for (let q = w.ownStart; q < w.ownEnd; q++) {
    const pos = positionIn(dims, w, q);
    const off = pos * V;
    const lse = rowLogSumExp(out, pos, V);
    if (q + 1 < ids.length) loss[q] = lse - out.logits[off + ids[q + 1]];
    if (predictions && k > 0) {
      if (given) {
        const ps: Prediction[] = [];
        for (let j = 0; j < k; j++) ps.push({ id: given.ids[pos * given.k + j], prob: Math.exp(given.values[pos * given.k + j] - lse) });
        predictions[q] = ps;
      } else predictions[q] = topK(out.logits, off, V, k).map((id) => ({ id, prob: Math.exp(out.logits[off + id] - lse) }));
    } else if (predictions) predictions[q] = [];
  }
}

type Span = { start: number; end: number; ownStart: number; ownEnd: number };

/** Attention of head (layer, head) from model position mq to mk in one window's forward pass. */
export type AttentionReader = (layer: number, head: number, mq: number, mk: number) => number;

/** Model positions of the window's own tokens that occurred earlier in it: the only queries an
 *  induction event can have, so the only attention rows the analysis fetches (attention on demand). */
export function repeatedRows(ids: Int32Array, w: Span, dims: ModelDims): Int32Array {
  const seen = new Set<number>();
  const rows: number[] = [];
  for (let q = w.start; q < w.end; q++) {
    if (q >= w.ownStart && seen.has(ids[q]) && q < w.ownEnd) rows.push(positionIn(dims, w, q));
    seen.add(ids[q]);
  }
  return Int32Array.from(rows);
}

/** Reads a forward result's attention: its rows on demand (`rows` asked, attnRows [L, H, R, S])
 *  or its full attentions [L, H, S, S]. */
export function attentionReader(out: ForwardResult, dims: ModelDims, w: Span, rows?: Int32Array): AttentionReader {
  const S = windowSeq(dims, w);
  if (rows && out.attnRows) {
    const R = rows.length;
    const rowOf = new Map<number, number>();
    rows.forEach((r, i) => rowOf.set(r, i));
    const A = out.attnRows;
    return (l, h, mq, mk) => A[((l * dims.nHeads + h) * R + rowOf.get(mq)!) * S + mk];
  }
  const A = out.attentions!;
  return (l, h, mq, mk) => A[attentionIndex(dims.nHeads, S, l, h, mq, mk)];
}

/** Induction events of the window's own tokens; with `eventAttention`, every head's attention
 *  from each event's query to its source ([n_layers * n_heads], by query) for the panel's scores. */
export function findEvents(
  ids: Int32Array, w: Span, out: ForwardResult, dims: ModelDims, inductionHeads: HeadRef[], events: InductionEvent[],
  read: AttentionReader = attentionReader(out, dims, w), eventAttention?: Map<number, Float32Array>,
): void {
  if (inductionHeads.length === 0) return;
  const V = dims.dVocab;
  const seen = new Map<number, number[]>(); // token id -> earlier token indices in this window
  for (let q = w.start; q < w.end; q++) {
    const earlier = seen.get(ids[q]);
    if (q >= w.ownStart && q < w.ownEnd && earlier) {
      let best = -1, bestSource = -1, bestHead: HeadRef | null = null;
      const mq = positionIn(dims, w, q);
      for (const j of earlier) {
        if (j + 1 >= q) continue;
        const mk = positionIn(dims, w, j + 1);
        for (const h of inductionHeads) {
          const v = read(h.layer, h.head, mq, mk);
          if (v > best) {
            best = v;
            bestSource = j + 1;
            bestHead = h;
          }
        }
      }
      if (bestHead) {
        const succ = ids[bestSource];
        const off = mq * V;
        const lse = rowLogSumExp(out, mq, V);
        if (eventAttention) {
          const all = new Float32Array(dims.nLayers * dims.nHeads);
          const mk = positionIn(dims, w, bestSource);
          for (let l = 0; l < dims.nLayers; l++) for (let h = 0; h < dims.nHeads; h++) all[l * dims.nHeads + h] = read(l, h, mq, mk);
          eventAttention.set(q, all);
        }
        events.push({
          query: q,
          source: bestSource,
          successorId: succ,
          attention: best,
          head: bestHead,
          prob: Math.exp(out.logits[off + succ] - lse),
          rank: rankAt(out.logits, off, V, succ),
          hit: q + 1 < ids.length && ids[q + 1] === succ,
        });
      }
    }
    if (earlier) earlier.push(q);
    else seen.set(ids[q], [q]);
  }
}

/** The attribution's work per window is [n_heads, P, d_model] floats per layer: at most 32 MB. */
const DLA_FLOATS = 2 ** 23;

/**
 * Direct logit attribution pairs of a window: for each of its rows (repeatedRows) every distinct
 * token that follows an earlier occurrence of the row's token (the successors an induction event
 * there can have), nearest occurrence first, as (row index, token id) flat [P * 2], and the pair
 * index of each (query, token). At most DLA_FLOATS / (n_heads · d_model) pairs: an event whose
 * successor is past the cut gets no attribution.
 */
export function successorPairs(ids: Int32Array, w: Span, dims: ModelDims, rows: Int32Array): { pairs: Int32Array; index: Map<string, number> } {
  const max = dims.dModel ? Math.max(16, Math.floor(DLA_FLOATS / (dims.nHeads * dims.dModel))) : Infinity;
  const flat: number[] = [];
  const index = new Map<string, number>();
  const rowOf = new Map<number, number>();
  rows.forEach((r, i) => rowOf.set(r, i));
  const seen = new Map<number, number[]>();
  for (let q = w.start; q < w.end; q++) {
    const earlier = seen.get(ids[q]);
    const row = rowOf.get(positionIn(dims, w, q));
    if (earlier && row !== undefined) {
      for (let n = earlier.length - 1; n >= 0 && flat.length / 2 < max; n--) {
        const j = earlier[n];
        const key = `${q}:${ids[j + 1]}`;
        if (j + 1 >= q || index.has(key)) continue;
        index.set(key, flat.length / 2);
        flat.push(row, ids[j + 1]);
      }
    }
    if (earlier) earlier.push(q);
    else seen.set(ids[q], [q]);
  }
  return { pairs: Int32Array.from(flat), index };
}

/** Each event's direct logit attribution [n_layers * n_heads] from a window's dla output
 *  [1, L, H, P], for the events of this window, by query. */
export function eventAttribution(out: ForwardResult, dims: ModelDims, events: InductionEvent[], index: Map<string, number>, into: Map<number, Float32Array>): void {
  if (!out.dla) return;
  const LH = dims.nLayers * dims.nHeads;
  const P = out.dla.length / LH;
  for (const e of events) {
    const p = index.get(`${e.query}:${e.successorId}`);
    if (p === undefined || into.has(e.query)) continue;
    const v = new Float32Array(LH);
    for (let i = 0; i < LH; i++) v[i] = out.dla[i * P + p];
    into.set(e.query, v);
  }
}

