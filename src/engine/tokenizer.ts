// Tokenizer with exact UTF-16 offsets. The BPE itself comes from @huggingface/tokenizers (ids
// only); offsets are computed here by mapping every token back to the UTF-8 bytes it stands for.
// Two kinds are read: byte-level BPE (GPT-2, Pythia, Llama 3, Qwen), whose tokens spell the text's
// bytes, and SentencePiece-style BPE with byte fallback (Llama 2, TinyLlama, Mistral, Phi-3, Gemma),
// whose tokens spell a normalized text (spaces as "▁", maybe a "▁" prepended) that
// tokenizerPipeline.ts rebuilds with a map back to the original. Anything else is refused.
import { Tokenizer } from '@huggingface/tokenizers';
import { EngineError, quoted } from './errors';
import { bytesLabel, textTokenLabels, type TextTokenLabel } from './labels';
import { utf8Layout } from './utf8';
import { addedTokens, checkIds, DEFAULT_MAX_ID, isObject, MAX_NESTING, postProcessorBos } from './tokenizerJson';
import { byteTokenName, SPACE_MARK, spansOf, type SentencePiecePipeline } from './tokenizerPipeline';
import { sentencePieceSetup } from './tokenizerSentencePiece';

export { DEFAULT_MAX_ID };

export interface TokenizedText {
  /** Token ids, without BOS. */
  ids: Int32Array;
  /** UTF-16 offsets: token i covers text.slice(starts[i], ends[i]); spans tile the text. A token
   *  holding only part of a character, or only the "▁" a SentencePiece tokenizer prepends, has an
   *  empty span (start = end). */
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
const BYTE_TOKEN = /^<0x([0-9A-F]{2})>$/;

/** Depth-limited: the JSON is untrusted, and real Sequences are one level deep. */
function hasByteLevel(p: unknown, depth = 0): boolean {
  if (!isObject(p) || depth > MAX_NESTING) return false;
  return p.type === 'ByteLevel' || (p.type === 'Sequence' && Array.isArray(p.pretokenizers) && p.pretokenizers.some((q: unknown) => hasByteLevel(q, depth + 1)));
}

export class TextTokenizer {
  private readonly hf: Tokenizer;
  private readonly tokenBytes: (Uint8Array | null)[];
  /** SentencePiece-style only: the normalization mirror, and per id the byte a byte token stands for (-1 for other tokens). */
  private readonly sp: { pipeline: SentencePiecePipeline; byteValue: Int16Array } | null;
  readonly vocabSize: number;
  /** The id of the special token the tokenizer's post_processor puts before a single sequence:
   *  the BOS the model was trained with (Llama 3 <|begin_of_text|>, Llama 2 and Mistral <s>,
   *  Gemma <bos>), or null when it puts none first (GPT-2, Qwen, no post_processor). encode()
   *  never adds it: its ids are the text's alone. */
  readonly addsBos: number | null;

  /** `maxId`: ids must lie below it; the model's vocabulary size (d_vocab) when the tokenizer is
   *  opened for a model. Checked before anything sized by ids is allocated. */
  constructor(tokenizerJson: unknown, private readonly source = 'tokenizer.json', options: { maxId?: number } = {}) {
    const json = tokenizerJson as Record<string, unknown> & { model: Record<string, unknown> & { vocab: Record<string, unknown> } };
    if (!isObject(json) || !isObject(json.model)) throw new EngineError(`${source}: not a Hugging Face tokenizer.json (no model)`);
    if (json.model.type !== 'BPE') {
      throw new EngineError(
        `${source}: model type ${quoted(json.model.type ?? null)} is not supported: the lens reads BPE tokenizers, byte-level (GPT-2, Pythia, Llama 3, Qwen) or SentencePiece-style with byte_fallback (Llama 2, Mistral, Gemma)`,
      );
    }
    if (!isObject(json.model.vocab)) throw new EngineError(`${source}: not a Hugging Face tokenizer.json (no model.vocab)`);
    const ids = checkIds(json.model.vocab, json.added_tokens, source, options.maxId);
    if (!Array.isArray(json.model.merges)) throw new EngineError(`${source}: model.merges must be a list`);
    const vocab = json.model.vocab;
    const added = addedTokens(json.added_tokens);
    const lookup = (name: string) => added.findLast((t) => t.content === name)?.id ?? (Object.hasOwn(vocab, name) ? (vocab[name] as number) : undefined);
    this.addsBos = postProcessorBos(json.post_processor, lookup, ids, source);
    // Byte-level: GPT-2 and Pythia use ByteLevel alone, Llama 3 and Qwen a Sequence ending in it.
    const setup = hasByteLevel(json.pre_tokenizer) ? null : sentencePieceSetup(json, json.model, added, source);
    try {
      this.hf = new Tokenizer(setup?.libraryJson ?? json, {});
    } catch (e) {
      throw new EngineError(`${source}: cannot be loaded: ${(e as Error).message}`);
    }
    const all = this.hf.get_vocab(true);
    let maxId = -1;
    for (const id of all.values()) maxId = Math.max(maxId, id);
    this.vocabSize = maxId + 1;
    this.tokenBytes = new Array<Uint8Array | null>(this.vocabSize).fill(null);
    this.sp = setup && { pipeline: setup.pipeline, byteValue: new Int16Array(this.vocabSize).fill(-1) };
    const special = new Set(added.filter((t) => t.special).map((t) => t.id));
    // Vocabularies may leave ids unused (the library reports those without a token string).
    for (const [tok, id] of all) {
      if (typeof tok !== 'string') continue;
      if (!this.sp) this.tokenBytes[id] = byteLevelBytes(tok);
      else this.tokenBytes[id] = special.has(id) || tok === json.model.unk_token ? null : this.pieceBytes(tok, id, this.sp.byteValue);
    }
  }

  /** A SentencePiece token's text bytes: its piece with "▁" as a space, or the byte of <0xNN>. */
  private pieceBytes(tok: string, id: number, byteValue: Int16Array): Uint8Array {
    const m = BYTE_TOKEN.exec(tok);
    if (!m) return new TextEncoder().encode(tok.replaceAll(SPACE_MARK, ' '));
    byteValue[id] = parseInt(m[1], 16);
    return Uint8Array.of(byteValue[id]);
  }

  /** The text bytes a token stands for (empty for special tokens; a SentencePiece piece's "▁" is a
   *  space, a byte token <0xNN> its byte). */
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
    if (text.length === 0) return { ids: new Int32Array(0), starts: new Int32Array(0), ends: new Int32Array(0) };
    let enc: { ids: number[]; tokens: string[] };
    try {
      enc = this.hf.encode(text, { add_special_tokens: false });
    } catch (e) {
      throw new EngineError(`${this.source}: cannot tokenize the text: ${(e as Error).message}`);
    }
    const ids = enc.ids;
    if (this.sp) {
      const { pipeline, byteValue } = this.sp;
      const utf8 = new TextEncoder();
      // What the model read: a byte token's one byte, else the token's string (a piece, or the
      // text an added token matched).
      const bytesAt = (i: number) => {
        const b = byteValue[ids[i]];
        return b >= 0 && enc.tokens[i] === byteTokenName(b) ? Uint8Array.of(b) : utf8.encode(enc.tokens[i]);
      };
      const { starts, ends } = spansOf(text, pipeline.normalize(text), ids.length, bytesAt, this.source);
      return { ids: Int32Array.from(ids), starts, ends };
    }
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

  /** Labels of the tokens of `text` as encode() gave them (or a prefix of them): each token's
   *  span, "part of X" for one that ends inside character X (a byte token <0xNN>, a byte-level
   *  piece), "▁" for one that is only the "▁" a SentencePiece tokenizer prepends. Every view that
   *  labels tokens of a text goes through here; no byte count is summed against the text. */
  labels(text: string, tokens: TokenizedText): TextTokenLabel[] {
    return textTokenLabels(text, tokens.ids, tokens.starts, tokens.ends, (id) => this.bytesOf(id));
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

/** A byte-level token's bytes, or null for a special token (it stands for no text bytes). */
function byteLevelBytes(tok: string): Uint8Array | null {
  const out = new Uint8Array(tok.length);
  for (let i = 0; i < tok.length; i++) {
    const b = BYTE_OF_CHAR.get(tok[i]);
    if (b === undefined) return null;
    out[i] = b;
  }
  return out;
}
