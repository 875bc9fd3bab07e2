// What the editor overlay paints, as plain offset ranges: pure, so it is unit-tested and
// benchmarked without VS Code. Intensity is quantised into a fixed number of buckets so the
// extension needs one decoration type (and one setDecorations call) per bucket.
//
// On real code almost every repeated sub-token is an induction event; by default only the events
// where the induction heads matter are painted: attention >= attentionThreshold and ablation gain
// (loss with the induction heads masked minus loss) >= minAblationGain.
import type { Analysis, InductionEvent } from './analysis';
import { bytesLabel, labelString, textTokenLabels } from './labels';
import { graphemeBoundaries, hintAnchor, snapToGraphemes } from './textSpans';
import { visibleText } from '../protocol/visibleText';

export { visibleText };

export const INTENSITY_BUCKETS = 5;

export type EventFilterMode = 'matter' | 'all';

export interface EventFilter {
  mode: EventFilterMode;
  attentionThreshold: number;
  /** Nats; events whose ablation gain is below it (or unknown) do not matter. */
  minAblationGain: number;
  /** When set, exactly these events (by query) are painted, whatever their attention and gain:
   *  the events a path ablation removed ("Test the circuit"). */
  only?: ReadonlySet<number>;
}

/** Whether the filter paints event `e` (its ablation gain `gain`, if known). */
export function eventShown(e: InductionEvent, gain: number | null | undefined, f: EventFilter): boolean {
  if (f.only) return f.only.has(e.query);
  return f.mode === 'all' ? e.attention >= f.attentionThreshold : eventMatters(e, gain, f);
}

export interface OffsetRange {
  start: number;
  end: number;
}

export interface Hint {
  /** Where the hint goes: after the word holding the query token, never inside it. */
  at: number;
  /** The query token's range (for the line the hint belongs to). */
  query: OffsetRange;
  /** The predicted successor B, labelled by its characters. */
  text: string;
  /** What the editor shows: `→B` right after the query token, `A→B` after a longer word (so the
   *  reader sees which piece predicts B); of several queries in one word, the last one's. */
  label: string;
}

export interface OverlayPlan {
  /** Query tokens (the repeated A) by intensity bucket: queries[b], b = 0 (weak) .. BUCKETS-1.
   *  Ranges are widened to whole grapheme clusters and trimmed of whitespace; a token of only
   *  whitespace is not drawn (its event still counts, and hovers and the panel show it). */
  queries: OffsetRange[][];
  /** Source tokens B that an induction head attends to. */
  sources: OffsetRange[];
  /** Each painted event's query token (its whole span) with its drawn source, so the editor can
   *  show the sources of the events on one line only. */
  links: { query: OffsetRange; source: OffsetRange }[];
  /** Tokens that really are the predicted B (hits). */
  hits: OffsetRange[];
  /** Shown queries whose top-1 prediction is the induction successor. */
  hints: Hint[];
  /** Events painted. */
  shown: InductionEvent[];
  /** All events of the analysis (painted or not). */
  total: number;
}

export function bucketOf(attention: number, threshold: number): number {
  const span = Math.max(1e-9, 1 - threshold);
  const b = Math.floor(((attention - threshold) / span) * INTENSITY_BUCKETS);
  return Math.min(INTENSITY_BUCKETS - 1, Math.max(0, b));
}

/** Whether an event passes the filter ("events that matter", or attention alone for "all"). */
export function eventMatters(e: InductionEvent, gain: number | null | undefined, f: EventFilter): boolean {
  if (e.attention < f.attentionThreshold) return false;
  return gain !== null && gain !== undefined && Number.isFinite(gain) && gain >= f.minAblationGain;
}

/** Event indices, strongest first: by ablation gain (unknown last), then by attention. */
export function rankEvents(a: Analysis): number[] {
  const gain = (i: number) => a.ablationGain?.[a.events[i].query] ?? -Infinity;
  return a.events.map((_, i) => i).sort((x, y) => gain(y) - gain(x) || a.events[y].attention - a.events[x].attention || x - y);
}

/**
 * Plans the overlay: events that pass the filter (mode 'matter') or reach the attention threshold
 * (mode 'all'). Offsets are relative to `text`, the analyzed text; `tokenBytes` gives a vocabulary
 * token's bytes for labels (TextTokenizer.bytesOf; see textTokenLabels). Empty spans (tokens
 * holding only part of a character, or only the "▁" a SentencePiece tokenizer prepends) are
 * skipped: a decoration needs at least one character.
 */
export function planOverlay(a: Analysis, text: string, f: EventFilter, tokenBytes: (id: number) => Uint8Array): OverlayPlan {
  const { ids, starts, ends } = a.tokens;
  const bounds = graphemeBoundaries(text);
  const labels = textTokenLabels(text, ids, starts, ends, tokenBytes);
  const queries: OffsetRange[][] = Array.from({ length: INTENSITY_BUCKETS }, () => []);
  const sources: OffsetRange[] = [];
  const links: OverlayPlan['links'] = [];
  const hits: OffsetRange[] = [];
  const hints: Hint[] = [];
  const shown: InductionEvent[] = [];
  const sourceSeen = new Set<number>();
  const hitSeen = new Set<number>();
  // Whole characters as the eye sees them, without the spaces and line breaks a token carries
  // (a highlight or underline on indentation reads as noise).
  const span = (i: number) => trimWhitespace(text, snapToGraphemes(bounds, starts[i], ends[i]));
  for (const e of a.events) {
    if (!eventShown(e, a.ablationGain?.[e.query], f)) continue;
    shown.push(e);
    const q = span(e.query);
    if (q.end > q.start) queries[bucketOf(e.attention, f.attentionThreshold)].push(q);
    const s = span(e.source);
    if (s.end > s.start) links.push({ query: { start: starts[e.query], end: ends[e.query] }, source: s });
    if (!sourceSeen.has(e.source) && s.end > s.start) {
      sourceSeen.add(e.source);
      sources.push(s);
    }
    const next = e.query + 1;
    if (e.hit && !hitSeen.has(next)) {
      const h = span(next);
      if (h.end > h.start) {
        hitSeen.add(next);
        hits.push(h);
      }
    }
    const top = a.predictions[e.query]?.[0];
    if (top && top.id === e.successorId) {
      // B is a token of this text (the source): label it by its characters there.
      const label = labelString(labels[e.source]) || bytesLabel(tokenBytes(e.successorId));
      const at = hintAnchor(text, bounds, starts[e.query], ends[e.query]);
      const shownLabel = at === ends[e.query] ? `→${visibleText(label)}` : `${visibleText(labelString(labels[e.query]))}→${visibleText(label)}`;
      hints.push({ at, query: { start: starts[e.query], end: ends[e.query] }, text: label, label: shownLabel });
    }
  }
  sources.sort((x, y) => x.start - y.start);
  hits.sort((x, y) => x.start - y.start);
  return { queries, sources, links, hits, hints: mergeHints(hints), shown, total: a.events.length };
}

function trimWhitespace(text: string, r: OffsetRange): OffsetRange {
  let { start, end } = r;
  while (start < end && /\s/.test(text[start])) start++;
  while (end > start && /\s/.test(text[end - 1])) end--;
  return { start, end };
}

/** Several queries in one word share its end: the hint of the last one is shown (the earlier
 *  pieces mostly predict the rest of the word, which is already there to read). */
function mergeHints(hints: Hint[]): Hint[] {
  const byAt = new Map<number, Hint>();
  for (const h of hints) {
    const prev = byAt.get(h.at);
    if (!prev || h.query.start > prev.query.start) byAt.set(h.at, h);
  }
  return [...byAt.values()].sort((x, y) => x.at - y.at);
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
