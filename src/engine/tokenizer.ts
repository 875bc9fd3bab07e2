// Tokenizer with exact UTF-16 offsets. The BPE itself comes from @huggingface/tokenizers (ids
// only); offsets are computed here by mapping every token back to the UTF-8 bytes it stands for.
import { Tokenizer } from '@huggingface/tokenizers';
import { EngineError } from './errors';
import { bytesLabel } from './labels';
import { utf8Layout } from './utf8';

export interface TokenizedText {
  /** Token ids, without BOS. */
  ids: Int32Array;
  /** UTF-16 offsets: token i covers text.slice(starts[i], ends[i]); spans tile the text. */
  starts: Int32Array;
  ends: Int32Array;
}

/** GPT-2's reversible byte <-> printable character table (byte-level BPE vocabularies). */
function byteLevelDecoderTable(): Map<string, number> {
  const bs: number[] = [];
  for (let b = 0x21; b <= 0x7e; b++) bs.push(b);
  for (let b = 0xa1; b <= 0xac; b++) bs.push(b);
  for (let b = 0xae; b <= 0xff; b++) bs.push(b);
  const cs = bs.slice();
  let n = 0;
  for (let b = 0; b < 256; b++) {
    if (!bs.includes(b)) {
      bs.push(b);
      cs.push(256 + n++);
    }
  }
  const table = new Map<string, number>();
  bs.forEach((b, i) => table.set(String.fromCharCode(cs[i]), b));
  return table;
}

const BYTE_OF_CHAR = byteLevelDecoderTable();

type PreTokenizer = { type?: string; pretokenizers?: PreTokenizer[] };

function hasByteLevel(p: PreTokenizer | undefined): boolean {
  return !!p && (p.type === 'ByteLevel' || (p.type === 'Sequence' && !!p.pretokenizers?.some(hasByteLevel)));
}

export class TextTokenizer {
  private readonly hf: Tokenizer;
  private readonly tokenBytes: (Uint8Array | null)[];
  readonly vocabSize: number;

  constructor(tokenizerJson: unknown, private readonly source = 'tokenizer.json') {
    const json = tokenizerJson as { model?: { type?: string; vocab?: Record<string, number> }; pre_tokenizer?: PreTokenizer };
    if (!json || typeof json !== 'object' || !json.model || typeof json.model.vocab !== 'object') {
      throw new EngineError(`${source}: not a Hugging Face tokenizer.json (no model.vocab)`);
    }
    // Byte-level: GPT-2 and Pythia use ByteLevel alone, Llama 3 and Qwen a Sequence ending in it.
    if (json.model.type !== 'BPE' || !hasByteLevel(json.pre_tokenizer)) {
      throw new EngineError(
        `${source}: only byte-level BPE tokenizers are supported (model ${json.model.type}, pre_tokenizer ${json.pre_tokenizer?.type})`,
      );
    }
    try {
      this.hf = new Tokenizer(json, {});
    } catch (e) {
      throw new EngineError(`${source}: cannot be loaded: ${(e as Error).message}`);
    }
    const vocab = this.hf.get_vocab(true);
    let maxId = -1;
    for (const id of vocab.values()) maxId = Math.max(maxId, id);
    this.vocabSize = maxId + 1;
    this.tokenBytes = new Array(this.vocabSize).fill(null);
    // Vocabularies may leave ids unused (the library reports those without a token string).
    for (const [tok, id] of vocab) if (typeof tok === 'string') this.tokenBytes[id] = this.bytesOfToken(tok);
  }

  private bytesOfToken(tok: string): Uint8Array | null {
    const out = new Uint8Array(tok.length);
    for (let i = 0; i < tok.length; i++) {
      const b = BYTE_OF_CHAR.get(tok[i]);
      if (b === undefined) return null; // a special token: it stands for no text bytes
      out[i] = b;
    }
    return out;
  }

  /** The text bytes a token stands for (empty for special tokens). */
  bytesOf(id: number): Uint8Array {
    return this.tokenBytes[id] ?? new Uint8Array(0);
  }

  /** A token's text, as the user would read it: its characters, with the bytes of a character it
   *  holds only part of shown as ⟨E6 9C⟩ (never U+FFFD). Special tokens by name. */
  tokenText(id: number): string {
    const b = this.tokenBytes[id];
    if (b === null || b === undefined) return this.hf.id_to_token(id) ?? `<${id}>`;
    return bytesLabel(b);
  }

  encode(text: string): TokenizedText {
    const ids = text.length === 0 ? [] : this.hf.encode(text, { add_special_tokens: false }).ids;
    const layout = utf8Layout(text);
    const starts = new Int32Array(ids.length);
    const ends = new Int32Array(ids.length);
    // lastByteEnd[u] = byte offset just after the last byte of the character whose last UTF-16
    // unit is u; a token ending at byte b owns every character whose last byte lies before b.
    let unit = 0;
    let byteEnd = 0;
    for (let i = 0; i < ids.length; i++) {
      const bytes = this.tokenBytes[ids[i]];
      byteEnd += bytes ? bytes.length : 0;
      starts[i] = unit;
      while (unit < text.length && layout.charByteEnd[unit] <= byteEnd) unit += layout.unitsAt[unit];
      ends[i] = unit;
    }
    if (byteEnd !== layout.totalBytes || unit !== text.length) {
      throw new EngineError(
        `${this.source}: tokens do not cover the text (${byteEnd} of ${layout.totalBytes} bytes); the tokenizer normalizes text, which offsets cannot follow`,
      );
    }
    return { ids: Int32Array.from(ids), starts, ends };
  }

  decode(ids: ArrayLike<number>): string {
    let n = 0;
    for (let i = 0; i < ids.length; i++) n += this.bytesOf(ids[i]).length;
    const buf = new Uint8Array(n);
    let o = 0;
    for (let i = 0; i < ids.length; i++) {
      const b = this.bytesOf(ids[i]);
      buf.set(b, o);
      o += b.length;
    }
    return new TextDecoder().decode(buf);
  }
}
