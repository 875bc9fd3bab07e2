// Where things sit in the text as a reader sees it: grapheme clusters (an emoji ZWJ sequence or a
// letter with its variation selector is one character on screen) and words. Tokens cut text at
// code points; the overlay snaps to what the eye sees.

/** Boundaries of a text's grapheme clusters, ascending, from 0 to text.length inclusive. */
export function graphemeBoundaries(text: string): Int32Array {
  const out: number[] = [];
  const seg = new Intl.Segmenter(undefined, { granularity: 'grapheme' });
  for (const s of seg.segment(text)) out.push(s.index);
  out.push(text.length);
  return Int32Array.from(out);
}

/** Largest boundary <= offset (binary search). */
function floorIn(bounds: Int32Array, offset: number): number {
  let lo = 0, hi = bounds.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (bounds[mid] <= offset) lo = mid;
    else hi = mid - 1;
  }
  return bounds[lo];
}

/** Smallest boundary >= offset. */
function ceilIn(bounds: Int32Array, offset: number): number {
  let lo = 0, hi = bounds.length - 1;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (bounds[mid] >= offset) hi = mid;
    else lo = mid + 1;
  }
  return bounds[lo];
}

/** [start, end) widened to whole grapheme clusters; an empty range stays empty. */
export function snapToGraphemes(bounds: Int32Array, start: number, end: number): { start: number; end: number } {
  if (end <= start) return { start, end: start };
  return { start: floorIn(bounds, start), end: ceilIn(bounds, end) };
}

const WORD_CHAR = /[\p{L}\p{N}\p{M}_]/u;

/**
 * Where a hint after the token ending at `end` goes so that it never splits a word: the end of
 * the word that holds the token's last character (or the token's end when that character is not
 * part of a word), snapped to a grapheme boundary.
 */
export function hintAnchor(text: string, bounds: Int32Array, tokenStart: number, end: number): number {
  let at = ceilIn(bounds, end);
  // A token ending in a line break: the hint stays on its line, before the break.
  if (at > tokenStart && (text[at - 1] === '\n' || text[at - 1] === '\r')) {
    while (at > tokenStart && (text[at - 1] === '\n' || text[at - 1] === '\r')) at--;
    return at;
  }
  // The character the token ends in; for a token holding only part of a character (an empty
  // span), that character.
  const ref = at > tokenStart ? lastCodePoint(text, at) : at < text.length ? String.fromCodePoint(text.codePointAt(at)!) : '';
  if (!WORD_CHAR.test(ref)) return at;
  while (at < text.length) {
    const cp = String.fromCodePoint(text.codePointAt(at)!);
    if (!WORD_CHAR.test(cp)) break;
    at = ceilIn(bounds, at + cp.length);
  }
  return at;
}

function lastCodePoint(text: string, end: number): string {
  const lo = text.charCodeAt(end - 1);
  if (end >= 2 && lo >= 0xdc00 && lo <= 0xdfff) return text.slice(end - 2, end);
  return text.slice(end - 1, end);
}
