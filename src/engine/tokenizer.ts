// Tokenizer with exact UTF-16 offsets. The BPE itself comes from @huggingface/tokenizers (ids
// only); offsets are computed here by mapping every token back to the UTF-8 bytes it stands for.
import { Tokenizer } from '@huggingface/tokenizers';
import { EngineError, quoted } from './errors';
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

/** Ids accepted when the model's vocabulary is not known (2^20, past every real vocabulary). */
export const DEFAULT_MAX_ID = 2 ** 20;

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Every id in model.vocab and added_tokens is a non-negative integer below `maxId`. */
function checkIds(vocab: Record<string, unknown>, added: unknown, source: string, maxId?: number): void {
  let top = -1;
  let topToken = '';
  const see = (token: unknown, id: unknown, where: string) => {
    if (typeof id !== 'number' || !Number.isSafeInteger(id) || id < 0) {
      throw new EngineError(`${source}: ${where} ${quoted(token)} has id ${quoted(id ?? null)}, not a non-negative integer`);
    }
    if (id > top) [top, topToken] = [id, String(token)];
  };
  for (const [token, id] of Object.entries(vocab)) see(token, id, 'model.vocab token');
  if (added !== undefined && added !== null) {
    if (!Array.isArray(added)) throw new EngineError(`${source}: added_tokens must be a list`);
    for (const t of added) {
      if (!isObject(t)) throw new EngineError(`${source}: added_tokens holds ${quoted(t)}, not a token object`);
      see(t.content, t.id, 'added token');
    }
  }
  const limit = maxId ?? DEFAULT_MAX_ID;
  if (top < limit) return;
  throw new EngineError(maxId === undefined
    ? `${source}: token ${quoted(topToken)} has id ${top}; the lens reads vocabularies of up to ${DEFAULT_MAX_ID.toLocaleString('en-US')} ids`
    : `${source}: has ${top + 1} tokens but the model's vocabulary (d_vocab) is ${maxId}: the tokenizer belongs to another model (token ${quoted(topToken)} has id ${top})`);
}

type PreTokenizer = { type?: unknown; pretokenizers?: unknown };

/** Depth-limited: the JSON is untrusted, and real Sequences are one level deep. */
function hasByteLevel(p: PreTokenizer | undefined, depth = 0): boolean {
  if (!isObject(p) || depth > 8) return false;
  return p.type === 'ByteLevel' || (p.type === 'Sequence' && Array.isArray(p.pretokenizers) && (p.pretokenizers as unknown[]).some((q) => hasByteLevel(q as PreTokenizer, depth + 1)));
}

export class TextTokenizer {
  private readonly hf: Tokenizer;
  private readonly tokenBytes: (Uint8Array | null)[];
  readonly vocabSize: number;

  /** `maxId`: ids must lie below it; the model's vocabulary size (d_vocab) when the tokenizer is
   *  opened for a model. Checked before anything sized by ids is allocated. */
  constructor(tokenizerJson: unknown, private readonly source = 'tokenizer.json', options: { maxId?: number } = {}) {
    const json = tokenizerJson as { model?: { type?: unknown; vocab?: unknown; merges?: unknown }; pre_tokenizer?: PreTokenizer; added_tokens?: unknown };
    if (!isObject(json) || !isObject(json.model) || !isObject(json.model.vocab)) {
      throw new EngineError(`${source}: not a Hugging Face tokenizer.json (no model.vocab)`);
    }
    // Byte-level: GPT-2 and Pythia use ByteLevel alone, Llama 3 and Qwen a Sequence ending in it.
    if (json.model.type !== 'BPE' || !hasByteLevel(json.pre_tokenizer)) {
      throw new EngineError(
        `${source}: only byte-level BPE tokenizers are supported (model ${quoted(json.model.type ?? null)}, pre_tokenizer ${quoted(json.pre_tokenizer?.type ?? null)})`,
      );
    }
    checkIds(json.model.vocab, json.added_tokens, source, options.maxId);
    if (!Array.isArray(json.model.merges)) throw new EngineError(`${source}: model.merges must be a list`);
    try {
      this.hf = new Tokenizer(json, {});
    } catch (e) {
      throw new EngineError(`${source}: cannot be loaded: ${(e as Error).message}`);
    }
    const vocab = this.hf.get_vocab(true);
    let maxId = -1;
    for (const id of vocab.values()) maxId = Math.max(maxId, id);
    this.vocabSize = maxId + 1;
    this.tokenBytes = new Array<Uint8Array | null>(this.vocabSize).fill(null);
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
