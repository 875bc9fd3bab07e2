// Live mode analyses the text again after every pause in typing. The model is causal and every
// window starts afresh, so a window whose tokens are unchanged (and the token after it, which its
// last position predicts) gives exactly the results it gave before: they are taken from the
// previous analysis instead of running the model again. Windows start at fixed multiples of half
// a window (planWindows), so an edit leaves every window that ends before it as it was.
import type { Analysis, AnalysisWindow, InductionEvent, Prediction } from './analysis';
import type { HeadRef } from '../protocol/headRef';

/** What must be equal for a window's results to carry over, besides its tokens. */
export interface ReuseConditions {
  previous: Analysis | undefined;
  dims: Analysis['dims'];
  inductionHeads: HeadRef[];
  headMask: Float32Array | null;
  topK: number;
  keepAttentions: boolean;
}

const sameMask = (a: Float32Array | null | undefined, b: Float32Array | null | undefined) =>
  (a ?? null) === null ? (b ?? null) === null : !!b && a!.length === b.length && a!.every((v, i) => v === b[i]);

const sameHeads = (a: HeadRef[], b: HeadRef[]) => a.length === b.length && a.every((h, i) => h.layer === b[i].layer && h.head === b[i].head);

/** The previous analysis, when its model, heads, mask and settings match; else null. */
export function reusable(c: ReuseConditions): Analysis | null {
  const p = c.previous;
  if (!p || p.dims !== c.dims || !sameHeads(p.inductionHeads, c.inductionHeads) || !sameMask(p.headMask, c.headMask)) return null;
  if (p.topK !== c.topK) return null;
  // Windows must hold what this analysis keeps: attentions, or the rows' summaries.
  if (c.keepAttentions ? p.windows.some((w) => !w.attentions) : !p.eventAttention) return null;
  return p;
}

/** The previous analysis's window with the same place whose tokens [start, end], the one after it
 *  included, are the same as now; undefined when there is none. */
export function sameWindow(p: Analysis, w: Omit<AnalysisWindow, 'attentions'>, ids: Int32Array): AnalysisWindow | undefined {
  const pw = p.windows.find((x) => x.start === w.start && x.end === w.end && x.ownStart === w.ownStart && x.ownEnd === w.ownEnd);
  if (!pw) return undefined;
  const before = p.tokens.ids;
  // The token after the window decides its last position's loss and hit: it must be equal too.
  const last = Math.min(w.end + 1, ids.length);
  if (Math.min(w.end + 1, before.length) !== last) return undefined;
  for (let i = w.start; i < last; i++) if (ids[i] !== before[i]) return undefined;
  return pw;
}

/** Copies the window's results for its own tokens; keeps its ablation gains for computeAblation. */
export function copyWindow(
  p: Analysis, pw: AnalysisWindow, loss: (number | null)[], predictions: Prediction[][], events: InductionEvent[],
  eventAttention?: Map<number, Float32Array>, eventDla?: Map<number, Float32Array>,
): AnalysisWindow {
  for (let q = pw.ownStart; q < pw.ownEnd; q++) {
    loss[q] = p.loss[q];
    predictions[q] = p.predictions[q];
  }
  for (const e of p.events) {
    if (e.query < pw.ownStart || e.query >= pw.ownEnd) continue;
    events.push(e);
    const all = p.eventAttention?.get(e.query);
    if (all && eventAttention) eventAttention.set(e.query, all);
    const dla = p.eventDla?.get(e.query);
    if (dla && eventDla) eventDla.set(e.query, dla);
  }
  const gain = p.ablationGain ? p.ablationGain.slice(pw.ownStart, pw.ownEnd) : undefined;
  return {
    start: pw.start, end: pw.end, ownStart: pw.ownStart, ownEnd: pw.ownEnd, attentions: pw.attentions, reusedGain: gain,
    ...(pw.prevAttn ? { prevAttn: pw.prevAttn } : {}),
  };
}
