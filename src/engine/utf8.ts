// UTF-8 layout of a JavaScript string, the way TextEncoder encodes it (a lone surrogate becomes
// U+FFFD, three bytes), so byte offsets from a tokenizer map back to UTF-16 offsets exactly.

export interface Utf8Layout {
  /** For the first UTF-16 unit of each character: how many units the character spans (1 or 2). */
  unitsAt: Uint8Array;
  /** For the first UTF-16 unit of each character: byte offset just after its last byte. */
  charByteEnd: Int32Array;
  totalBytes: number;
}

export function utf8Layout(text: string): Utf8Layout {
  const n = text.length;
  const unitsAt = new Uint8Array(n);
  const charByteEnd = new Int32Array(n);
  let bytes = 0;
  for (let u = 0; u < n; ) {
    const c = text.charCodeAt(u);
    let units = 1;
    let len: number;
    if (c < 0x80) len = 1;
    else if (c < 0x800) len = 2;
    else if (c >= 0xd800 && c <= 0xdbff && u + 1 < n) {
      const d = text.charCodeAt(u + 1);
      if (d >= 0xdc00 && d <= 0xdfff) {
        units = 2;
        len = 4;
      } else len = 3;
    } else len = 3; // BMP characters and lone surrogates (encoded as U+FFFD)
    bytes += len;
    unitsAt[u] = units;
    charByteEnd[u] = bytes;
    u += units;
  }
  return { unitsAt, charByteEnd, totalBytes: bytes };
}
