// Token labels as a reader reads them: characters, never U+FFFD. A byte-level BPE token may hold
// only some bytes of a character (é, 本, 한, emoji are 2-4 bytes); such a token is labelled by the
// character it is part of, or by its bytes when it has no place in a text.

/** Label of a token seen in the text: the characters of its span, plus the character whose first
 *  bytes it holds when it ends mid-character. `partOf` is that character, or null. */
export interface TextTokenLabel {
  text: string;
  partOf: string | null;
}

/**
 * Labels every token of a tokenized text. `byteLength(id)` gives a token's byte count; spans
 * tile the text and a character belongs to the token holding its last byte, so a token that ends
 * mid-character holds the first bytes of the character that starts at its span's end.
 */
export function textTokenLabels(
  text: string, ids: ArrayLike<number>, starts: ArrayLike<number>, ends: ArrayLike<number>, byteLength: (id: number) => number,
): TextTokenLabel[] {
  const out: TextTokenLabel[] = [];
  let tokenByteEnd = 0; // bytes up to the end of token i
  let spanByteEnd = 0; // bytes up to ends[i]
  let unit = 0;
  for (let i = 0; i < ids.length; i++) {
    tokenByteEnd += byteLength(ids[i]);
    for (; unit < ends[i]; ) {
      const cp = text.codePointAt(unit)!;
      const units = cp > 0xffff ? 2 : 1;
      spanByteEnd += utf8Length(cp);
      unit += units;
    }
    const span = text.slice(starts[i], ends[i]);
    const partOf = tokenByteEnd > spanByteEnd && ends[i] < text.length ? String.fromCodePoint(text.codePointAt(ends[i])!) : null;
    out.push({ text: span, partOf });
  }
  return out;
}

/** One label string: the span, "part of é", or "a + part of é". */
export function labelString(l: TextTokenLabel): string {
  if (!l.partOf) return l.text;
  return l.text ? `${l.text} + part of ${l.partOf}` : `part of ${l.partOf}`;
}

/** Bytes of one code point in UTF-8; a lone surrogate counts as U+FFFD (3), as TextEncoder does. */
function utf8Length(cp: number): number {
  return cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp > 0xffff ? 4 : 3;
}

/**
 * Label of a vocabulary token from its bytes alone (predictions, successors out of context):
 * complete UTF-8 sequences as text, bytes of an incomplete character as ⟨E6 9C⟩.
 */
export function bytesLabel(bytes: Uint8Array): string {
  let out = '';
  let i = 0;
  while (i < bytes.length) {
    const n = sequenceLength(bytes, i);
    if (n > 0) {
      out += new TextDecoder().decode(bytes.subarray(i, i + n));
      i += n;
    } else {
      let j = i + 1;
      while (j < bytes.length && sequenceLength(bytes, j) === 0) j++;
      out += `⟨${Array.from(bytes.subarray(i, j), (b) => b.toString(16).toUpperCase().padStart(2, '0')).join(' ')}⟩`;
      i = j;
    }
  }
  return out;
}

/** Length of the valid UTF-8 sequence starting at i, or 0 if none does. */
function sequenceLength(b: Uint8Array, i: number): number {
  const c = b[i];
  const n = c < 0x80 ? 1 : c >= 0xc2 && c <= 0xdf ? 2 : c >= 0xe0 && c <= 0xef ? 3 : c >= 0xf0 && c <= 0xf4 ? 4 : 0;
  if (n === 0 || i + n > b.length) return 0;
  for (let k = 1; k < n; k++) if ((b[i + k] & 0xc0) !== 0x80) return 0;
  if (n === 3 && c === 0xe0 && b[i + 1] < 0xa0) return 0; // overlong
  if (n === 3 && c === 0xed && b[i + 1] >= 0xa0) return 0; // surrogate
  if (n === 4 && c === 0xf0 && b[i + 1] < 0x90) return 0;
  if (n === 4 && c === 0xf4 && b[i + 1] >= 0x90) return 0;
  return n;
}
