// What the panel shows of an analysis, computed here (pure, unit-tested) so the extension host only
// sends it and the webview only draws it: the heads' scores on the text, a head's attention
// pattern, the head the Pattern view opens on, the ablation effect and the whole PanelAnalysis.
import type { Analysis } from './analysis';
import { attentionAt, positionIn, windowOf, windowSeq } from './attentionIndex';
import { eventMatters, rankEvents, type EventFilter } from './overlay';
import type { ModelSession } from './session';
import type { HeadRef, Matrix, PanelAnalysis, PanelHeadScore } from '../protocol/panel';

/** Probe scores plus the same scores measured on the analyzed text: mean attention to the previous
 *  token over the positions with one in their window, mean attention from an induction event's
 *  query to its source over the text's events (NaN when there is none). Read from the kept
 *  attentions, or from what an analysis without them keeps (prevAttn, eventAttention). */
export function textScores(a: Analysis): PanelHeadScore[] {
  const { nHeads } = a.dims;
  return a.heads.map((h) => {
    let prev = 0, nPrev = 0, ind = 0, nInd = 0;
    for (const w of a.windows) {
      if (!w.attentions && !w.prevAttn) continue;
      const S = windowSeq(a.dims, w);
      // Token indices (attentionAt maps them to model positions, with or without BOS): the
      // window's first token has no previous token in its window.
      for (let q = Math.max(w.ownStart, w.start + 1); q < w.ownEnd; q++) {
        prev += w.attentions ? attentionAt(a, w, h.layer, h.head, q, q - 1) : w.prevAttn![(h.layer * nHeads + h.head) * S + positionIn(a.dims, w, q)];
        nPrev++;
      }
    }
    for (const e of a.events) {
      const w = windowOf(a, e.query);
      const all = a.eventAttention?.get(e.query);
      if (!w?.attentions && !all) continue;
      ind += w?.attentions ? attentionAt(a, w, h.layer, h.head, e.query, e.source) : all![h.layer * nHeads + h.head];
      nInd++;
    }
    return { ...h, textPreviousToken: nPrev ? prev / nPrev : NaN, textInduction: nInd ? ind / nInd : NaN };
  });
}

/** One head's attention over the analyzed tokens, [query, key], BOS (if any) dropped: each query's row
 *  comes from the window that owns it; keys outside that window are 0. */
export function headPattern(a: Analysis, h: HeadRef): Matrix {
  const N = a.tokens.ids.length;
  const out = new Float32Array(N * N);
  for (const w of a.windows) {
    if (!w.attentions) continue;
    for (let q = w.ownStart; q < w.ownEnd; q++) {
      for (let k = w.start; k <= q; k++) out[q * N + k] = attentionAt(a, w, h.layer, h.head, q, k);
    }
  }
  return { shape: [N, N], data: out };
}

/**
 * The head the Pattern view opens on: the induction head with the highest mean attention on the
 * text's induction events (not the best probe score: a head can score high on random tokens and
 * do little on this text), else the best-scoring head on the probe.
 */
export type HeadChoice =
  | { head: HeadRef; basis: 'text'; meanAttention: number; events: number }
  | { head: HeadRef; basis: 'probe'; score: number };

export function mostActiveInductionHead(a: Analysis): HeadChoice {
  const scores = textScores(a);
  const ind = scores.filter((s) => a.inductionHeads.some((h) => h.layer === s.layer && h.head === s.head) && Number.isFinite(s.textInduction));
  if (ind.length) {
    const best = ind.sort((x, y) => y.textInduction - x.textInduction)[0];
    return { head: { layer: best.layer, head: best.head }, basis: 'text', meanAttention: best.textInduction, events: a.events.length };
  }
  const best = [...a.heads].sort((x, y) => y.induction - x.induction)[0];
  return { head: { layer: best.layer, head: best.head }, basis: 'probe', score: best.induction };
}

/** The heads the circuits are computed for: the layer-0 head with the best previous-token score
 *  and the layer-1 head with the best induction score (first on ties). */
export function circuitHeads(a: Pick<Analysis, 'heads'>): { previousHead: HeadRef; inductionHead: HeadRef } {
  const prev = [...a.heads].filter((h) => h.layer === 0).sort((x, y) => y.previousToken - x.previousToken)[0];
  const ind = [...a.heads].filter((h) => h.layer === 1).sort((x, y) => y.induction - x.induction)[0];
  return { previousHead: { layer: 0, head: prev.head }, inductionHead: { layer: 1, head: ind.head } };
}

/** The strongest induction head past layer 0 (probe score) and the strongest previous-token head
 *  in an earlier layer: the K-composition test's receiver and sender. */
export function kCompositionHeads(a: Pick<Analysis, 'heads'>): { previousHead: HeadRef; inductionHead: HeadRef } | null {
  const best = (hs: Analysis['heads'], by: 'induction' | 'previousToken') => hs.reduce((x, y) => (y[by] > x[by] ? y : x), hs[0]);
  const later = a.heads.filter((h) => h.layer > 0);
  if (!later.length) return null;
  const ind = best(later, 'induction');
  const prev = best(a.heads.filter((h) => h.layer < ind.layer), 'previousToken');
  return { previousHead: { layer: prev.layer, head: prev.head }, inductionHead: { layer: ind.layer, head: ind.head } };
}

/** Mean loss (finite values) and mean p(successor) over the events, unablated (`baseline`) and as
 *  run; null without a baseline. The unablated probabilities of events the baseline run did not
 *  have (NaN) are left out. */
export function ablationEffect(
  loss: ArrayLike<number>, eventProbs: readonly number[], baseline: { loss: ArrayLike<number>; eventProb: ArrayLike<number> } | null,
): PanelAnalysis['ablationEffect'] {
  if (!baseline) return null;
  const finite = (xs: ArrayLike<number>) => Array.from(xs).filter(Number.isFinite);
  const mean = (xs: readonly number[]) => xs.reduce((p, c) => p + c, 0) / Math.max(1, xs.length);
  return {
    lossBefore: mean(finite(baseline.loss)),
    lossAfter: mean(finite(loss)),
    probBefore: mean(finite(baseline.eventProb)),
    probAfter: mean(eventProbs),
  };
}

/** The unablated run an ablated one is compared with: loss per token, p(successor) per event query. */
export interface AnalysisBaseline {
  loss: (number | null)[];
  eventProb: Map<number, number>;
}

export function baselineOf(a: Analysis): AnalysisBaseline {
  return { loss: a.loss, eventProb: new Map(a.events.map((e) => [e.query, e.prob])) };
}

/** Keeps the last unablated run of a document, to compare the ablated runs of it with. */
export class BaselineKeeper {
  private kept: (AnalysisBaseline & { uri: string }) | null = null;

  /** For a run with all heads on (`mask` all ones): keeps it and returns null. For an ablated run:
   *  the kept run of the same document, else null. */
  compare(uri: string, a: Analysis, mask: Float32Array): AnalysisBaseline | null {
    if (mask.some((x) => x === 0)) return this.kept?.uri === uri ? this.kept : null;
    this.kept = { uri, ...baselineOf(a) };
    return null;
  }

  clear(): void {
    this.kept = null;
  }
}

export interface PanelAnalysisInput {
  requestId: number;
  session: ModelSession;
  /** Changes when the model is loaded again (its files changed on disk). */
  version: string;
  fileName: string;
  text: string;
  /** The analyzed text's start in the document (0-based line and character). */
  origin: { line: number; character: number };
  analysis: Analysis;
  filter: EventFilter;
  /** [n_layers * n_heads] head mask the analysis ran with (1 = on). */
  mask: Float32Array;
  /** The unablated run to compare with (heads are ablated), else null. */
  baseline: AnalysisBaseline | null;
  elapsedMs: number;
  /** Predictions per token (default 5). */
  topK?: number;
}

/** Everything the panel shows of an analysis, typed arrays where the data is per token. */
export function panelAnalysis(x: PanelAnalysisInput): PanelAnalysis {
  const a = x.analysis;
  const N = a.tokens.ids.length;
  const k = x.topK ?? 5;
  const ids = new Int32Array(N * k).fill(-1);
  const probs = new Float32Array(N * k);
  const vocabText: Record<number, string> = {};
  const tok = x.session.model.tokenizer;
  const remember = (id: number) => {
    if (!(id in vocabText)) vocabText[id] = tok.tokenText(id);
  };
  for (let i = 0; i < N; i++) {
    remember(a.tokens.ids[i]);
    (a.predictions[i] ?? []).slice(0, k).forEach((p, j) => {
      ids[i * k + j] = p.id;
      probs[i * k + j] = p.prob;
      remember(p.id);
    });
  }
  a.events.forEach((e) => remember(e.successorId));
  const gainAt = (q: number) => a.ablationGain?.[q] ?? NaN;
  const fd = (xs: (number | null)[] | null) => Float32Array.from({ length: N }, (_, i) => xs?.[i] ?? NaN);
  const base = x.baseline;
  const loss = fd(a.loss);
  const baseline = base ? { loss: fd(base.loss), eventProb: Float32Array.from(a.events, (e) => base.eventProb.get(e.query) ?? NaN) } : null;
  const events = a.events.map((e) => ({ ...e, gain: gainAt(e.query), matters: eventMatters(e, a.ablationGain?.[e.query], x.filter) }));
  return {
    requestId: x.requestId,
    model: {
      id: x.session.id, version: x.version, nLayers: a.dims.nLayers, nHeads: a.dims.nHeads, nCtx: a.dims.nCtx,
    },
    fileName: x.fileName,
    text: x.text,
    tokens: { ids: a.tokens.ids, starts: a.tokens.starts, ends: a.tokens.ends },
    heads: textScores(a),
    inductionHeads: a.inductionHeads,
    events,
    eventOrder: Int32Array.from(rankEvents(a)),
    eventFilter: x.filter,
    loss,
    ablationGain: fd(a.ablationGain),
    topK: { k, ids, probs },
    vocabText,
    mask: x.mask,
    baseline,
    ablationEffect: ablationEffect(loss, events.map((e) => e.prob), baseline),
    kComposition: kCompositionHeads(a),
    elapsedMs: x.elapsedMs,
    origin: x.origin,
  };
}
