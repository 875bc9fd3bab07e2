// The text a SentencePiece-style BPE model reads, rebuilt with a map back to the original text,
// and the token spans that follow from it. Mirrors @huggingface/tokenizers' encode: the text is cut
// around added tokens (those matched before normalizing), each other section is normalized, cut
// around the added tokens matched after normalizing, and pre-tokenized (Metaspace).
import { EngineError } from './errors';
import type { AddedTokenInfo } from './tokenizerJson';
import { utf8Layout } from './utf8';

export const SPACE_MARK = '\u2581';

/** One normalizer step: prepend a string, or replace every " " with "▁". */
export type Step = { prepend: string } | 'replace';

export interface Metaspace {
  scheme: 'first' | 'always' | 'never';
}

export const byteTokenName = (b: number) => `<0x${b.toString(16).toUpperCase().padStart(2, '0')}>`;

/** `origin[k]`: the unit of the original text that unit k came from, -1 for an inserted one. */
export function applySteps(steps: Step[], text: string, origin: number[]): { text: string; origin: number[] } {
  for (const s of steps) {
    if (s === 'replace') text = text.replaceAll(' ', SPACE_MARK);
    else {
      text = s.prepend + text;
      origin = [-1, ...origin];
    }
  }
  return { text, origin };
}

/** The text the model reads, and for each of its UTF-16 units the unit of the original text it
 *  came from (-1 for a prepended "▁"). Units keep their order. */
export interface NormalizedText {
  text: string;
  origin: Int32Array;
}

export class SentencePiecePipeline {
  private readonly unnormalized: Splitter;
  private readonly normalized: Splitter;
  /** The library's added_tokens_map: contents, and normalized contents, to their token. */
  private readonly tokens = new Map<string, AddedTokenInfo>();

  constructor(private readonly steps: Step[], hasNormalizer: boolean, private readonly metaspace: Metaspace | null, added: AddedTokenInfo[]) {
    const plain: string[] = [];
    const normal: string[] = [];
    for (const t of added) {
      this.tokens.set(t.content, t);
      if (t.normalized && hasNormalizer) {
        const n = applySteps(steps, t.content, []).text;
        normal.push(n);
        this.tokens.set(n, t);
      } else plain.push(t.content);
    }
    this.unnormalized = new Splitter(plain);
    this.normalized = new Splitter(normal);
  }

  normalize(text: string): NormalizedText {
    const parts: string[] = [];
    const origin: number[] = [];
    const emit = (s: string, o: ArrayLike<number>) => {
      parts.push(s);
      for (let k = 0; k < o.length; k++) origin.push(o[k]);
    };
    this.stripped(text, this.unnormalized.split(text)).forEach(([s, e], section) => {
      if (e <= s) return;
      const piece = text.slice(s, e);
      const units = Array.from({ length: e - s }, (_, k) => s + k);
      if (this.tokens.has(piece)) return emit(piece, units);
      const n = applySteps(this.steps, piece, units);
      for (const [a, b] of this.stripped(n.text, this.normalized.split(n.text))) {
        if (b <= a) continue;
        const sub = n.text.slice(a, b);
        const o = n.origin.slice(a, b);
        if (this.tokens.has(sub) || !this.metaspace) {
          emit(sub, o);
          continue;
        }
        const m = sub.replaceAll(' ', SPACE_MARK);
        const { scheme } = this.metaspace;
        const prepend = !m.startsWith(SPACE_MARK) && (scheme === 'always' || (scheme === 'first' && section === 0));
        emit(prepend ? SPACE_MARK + m : m, prepend ? [-1, ...o] : o);
      }
    });
    return { text: parts.join(''), origin: Int32Array.from(origin) };
  }

  /** An added token's lstrip takes the whitespace off the end of the section before it, rstrip off
   *  the start of the one after (sections are looked up as they stand, in order, as the library does). */
  private stripped(text: string, sections: [number, number][]): [number, number][] {
    sections.forEach(([s, e], i) => {
      const t = this.tokens.get(text.slice(s, e));
      if (t?.lstrip && i > 0) {
        const [ps, pe] = sections[i - 1];
        sections[i - 1] = [ps, ps + text.slice(ps, pe).trimEnd().length];
      }
      if (t?.rstrip && i < sections.length - 1) {
        const [ns, ne] = sections[i + 1];
        sections[i + 1] = [ne - text.slice(ns, ne).trimStart().length, ne];
      }
    });
    return sections;
  }
}

/**
 * Spans of `count` tokens in `text`: token i stands for bytesAt(i) of the normalized text's UTF-8
 * (checked byte by byte) and owns every character whose last byte it holds; a character of the
 * normalized text maps back to its original one. Inserted units (a prepended "▁") own no text, so
 * a token made only of them gets an empty span; text the tokenizer dropped (whitespace an added
 * token strips) goes with the token of the next kept character. Spans tile the text.
 */
export function spansOf(text: string, norm: NormalizedText, count: number, bytesAt: (i: number) => Uint8Array, source: string) {
  const n = norm.text.length;
  const layout = utf8Layout(norm.text);
  const expected = new TextEncoder().encode(norm.text);
  // reach[k]: the original offset of the first unit at or after k that came from the text.
  const reach = new Int32Array(n + 1);
  reach[n] = text.length;
  for (let k = n - 1; k >= 0; k--) reach[k] = norm.origin[k] >= 0 ? norm.origin[k] : reach[k + 1];
  const starts = new Int32Array(count);
  const ends = new Int32Array(count);
  let unit = 0;
  let byteEnd = 0;
  let prev = 0;
  for (let i = 0; i < count; i++) {
    const b = bytesAt(i);
    for (let k = 0; k < b.length; k++) {
      if (expected[byteEnd + k] !== b[k]) {
        throw new EngineError(`${source}: token ${i} does not match the normalized text at byte ${byteEnd + k}; offsets cannot follow this tokenizer`);
      }
    }
    byteEnd += b.length;
    while (unit < n && layout.charByteEnd[unit] <= byteEnd) unit += layout.unitsAt[unit];
    starts[i] = prev;
    ends[i] = prev = reach[unit];
  }
  if (byteEnd !== expected.length) {
    throw new EngineError(`${source}: tokens do not cover the text (${byteEnd} of ${expected.length} normalized bytes); offsets cannot follow this tokenizer`);
  }
  return { starts, ends };
}

/** A trie of added tokens' contents, matched as the library's DictionarySplitter does (by UTF-16
 *  unit, the longest match at the first place one starts). */
class Splitter {
  private readonly root = new Map<string, Trie>();
  constructor(words: string[]) {
    for (const w of words) {
      let next = this.root;
      let node: Trie | undefined;
      for (let k = 0; k < w.length; k++) {
        node = next.get(w[k]);
        if (!node) next.set(w[k], (node = { next: new Map(), end: null }));
        next = node.next;
      }
      if (node) node.end = w;
    }
  }

  /** [start, end) sections: matches, and the text between them. */
  split(text: string): [number, number][] {
    const out: [number, number][] = [];
    let start = 0;
    for (let i = 0; i < text.length; ) {
      let next: Map<string, Trie> | undefined = this.root;
      let match: string | null = null;
      for (let j = i; j < text.length && next; j++) {
        const node = next.get(text[j]);
        if (node?.end) match = node.end;
        next = node?.next;
      }
      if (match === null) {
        i++;
        continue;
      }
      if (i > start) out.push([start, i]);
      out.push([i, i + match.length]);
      start = i += match.length;
    }
    if (start < text.length) out.push([start, text.length]);
    return out;
  }
}

interface Trie {
  next: Map<string, Trie>;
  end: string | null;
}
