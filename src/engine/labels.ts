// Token labels as a reader reads them: characters, never U+FFFD. A token may hold only some bytes
// of a character (é, 本, 한, emoji are 2-4 bytes; byte-level BPE splits them anywhere,
// SentencePiece's byte fallback into <0xNN> tokens); such a token is labelled by the character it
// is part of, or by its bytes when it has no place in a text.

/** Label of a token seen in the text: the characters of its span, plus the character whose first
 *  bytes it holds when it ends mid-character. `partOf` is that character, or null. `marker` is set
 *  only for a token that stands for no character of the text: the "▁" a SentencePiece tokenizer
 *  prepends to a text (or to a section after an added token), labelled "▁". */
export interface TextTokenLabel {
  text: string;
  partOf: string | null;
  marker?: string;
}

const SPACE_MARK = '\u2581';

/**
 * Labels every token of a tokenized text from its spans (exact: the tokenizer's UTF-16 offsets,
 * which tile the text; a character belongs to the token holding its last byte) and `tokenBytes`,
 * a token's bytes (TextTokenizer.bytesOf; TextTokenizer.labels calls this). The bytes only say
 * where each token ends inside a character: the tokens' bytes in a row are UTF-8 with the text's
 * character boundaries (for SentencePiece, the normalized text with "▁" as a space), so a token
 * ends mid-character exactly when that stream has a character left open after it; then it holds
 * the first bytes of the character that starts at its span's end. Byte counts are never matched
 * against the text, so a prepended "▁" or a typed "▁" (3 text bytes, one space in bytesOf)
 * shifts nothing. A number instead of bytes is a byte count of tokens that spell the text's UTF-8
 * exactly (byte-level BPE); their bytes are then read from the text.
 */
export function textTokenLabels(
  text: string, ids: ArrayLike<number>, starts: ArrayLike<number>, ends: ArrayLike<number>,
  tokenBytes: (id: number) => Uint8Array | number,
): TextTokenLabel[] {
  const out: TextTokenLabel[] = [];
  let utf8: Uint8Array | null = null;
  let offset = 0; // bytes of the text read so far, for byte counts
  let open = 0; // continuation bytes the last character of the stream still lacks
  for (let i = 0; i < ids.length; i++) {
    let bytes = tokenBytes(ids[i]);
    if (typeof bytes === 'number') {
      utf8 ??= new TextEncoder().encode(text);
      const from = offset;
      offset += bytes;
      bytes = utf8.subarray(from, offset);
    }
    for (const b of bytes) open = (b & 0xc0) === 0x80 ? Math.max(0, open - 1) : b >= 0xf0 ? 3 : b >= 0xe0 ? 2 : b >= 0xc0 ? 1 : 0;
    const span = text.slice(starts[i], ends[i]);
    const partOf = open > 0 && ends[i] < text.length ? String.fromCodePoint(text.codePointAt(ends[i])!) : null;
    // Whole characters but none of the text's: what the tokenizer put in (its spaces are "▁").
    if (!span && open === 0 && bytes.length > 0) out.push({ text: span, partOf, marker: bytesLabel(bytes).replaceAll(' ', SPACE_MARK) });
    else out.push({ text: span, partOf });
  }
  return out;
}

/** One label string: the span, "part of é", "a + part of é", or the marker ("▁"). */
export function labelString(l: TextTokenLabel): string {
  if (!l.partOf) return l.text || (l.marker ?? '');
  return l.text ? `${l.text} + part of ${l.partOf}` : `part of ${l.partOf}`;
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
