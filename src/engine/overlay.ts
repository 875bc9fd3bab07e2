// What the editor overlay paints, as plain offset ranges: pure, so it is unit-tested and
// benchmarked without VS Code. Intensity is quantised into a fixed number of buckets so the
// extension needs one decoration type (and one setDecorations call) per bucket.
import type { Analysis, InductionEvent } from './analysis';

export const INTENSITY_BUCKETS = 5;

export interface OffsetRange {
  start: number;
  end: number;
}

export interface HintRange extends OffsetRange {
  /** The predicted successor B, as text (the editor shows it after the query token). */
  text: string;
}

export interface OverlayPlan {
  /** Query tokens (the repeated A) by intensity bucket: queries[b], b = 0 (weak) .. BUCKETS-1. */
  queries: OffsetRange[][];
  /** Source tokens B that an induction head attends to. */
  sources: OffsetRange[];
  /** Tokens that really are the predicted B (hits). */
  hits: OffsetRange[];
  /** Queries whose top-1 prediction is the induction successor. */
  hints: HintRange[];
  /** Events shown (attention >= threshold). */
  shown: InductionEvent[];
}

export function bucketOf(attention: number, threshold: number): number {
  const span = Math.max(1e-9, 1 - threshold);
  const b = Math.floor(((attention - threshold) / span) * INTENSITY_BUCKETS);
  return Math.min(INTENSITY_BUCKETS - 1, Math.max(0, b));
}

/**
 * Plans the overlay for events with attention >= threshold. Offsets are relative to the analysed
 * text; `tokenText` renders a token id for the hint. Empty spans (tokens holding only part of a
 * character) are skipped: a decoration needs at least one character.
 */
export function planOverlay(a: Analysis, threshold: number, tokenText: (id: number) => string): OverlayPlan {
  const { starts, ends } = a.tokens;
  const queries: OffsetRange[][] = Array.from({ length: INTENSITY_BUCKETS }, () => []);
  const sources: OffsetRange[] = [];
  const hits: OffsetRange[] = [];
  const hints: HintRange[] = [];
  const shown: InductionEvent[] = [];
  const sourceSeen = new Set<number>();
  const hitSeen = new Set<number>();
  for (const e of a.events) {
    if (e.attention < threshold) continue;
    shown.push(e);
    const q = { start: starts[e.query], end: ends[e.query] };
    if (q.end > q.start) queries[bucketOf(e.attention, threshold)].push(q);
    if (!sourceSeen.has(e.source) && ends[e.source] > starts[e.source]) {
      sourceSeen.add(e.source);
      sources.push({ start: starts[e.source], end: ends[e.source] });
    }
    const next = e.query + 1;
    if (e.hit && !hitSeen.has(next) && ends[next] > starts[next]) {
      hitSeen.add(next);
      hits.push({ start: starts[next], end: ends[next] });
    }
    const top = a.predictions[e.query]?.[0];
    if (top && top.id === e.successorId && q.end > q.start) hints.push({ ...q, text: tokenText(e.successorId) });
  }
  sources.sort((x, y) => x.start - y.start);
  hits.sort((x, y) => x.start - y.start);
  return { queries, sources, hits, hints, shown };
}

/** Index of the token whose span contains offset (spans tile the text), or -1. */
export function tokenAt(a: Analysis, offset: number): number {
  const { starts, ends } = a.tokens;
  let lo = 0, hi = starts.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (offset < starts[mid]) hi = mid - 1;
    else if (offset >= ends[mid]) lo = mid + 1;
    else return mid;
  }
  return -1;
}
