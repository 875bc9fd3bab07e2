// SentencePiece-style BPE (Llama 2, TinyLlama, Mistral, Phi-3, Gemma): pieces mark a space with
// "▁", characters missing from the vocabulary fall back to byte tokens <0x00>..<0xFF>. This file
// checks that a tokenizer.json is one whose normalization offsets can follow exactly (prepending
// "▁" or " ", replacing " " with "▁", Metaspace "▁") and refuses anything else by name;
// tokenizerPipeline.ts rebuilds the normalized text and the spans.
import { EngineError, quoted } from './errors';
import { isObject, MAX_NESTING, type AddedTokenInfo } from './tokenizerJson';
import { applySteps, byteTokenName, SentencePiecePipeline, SPACE_MARK, type Metaspace, type Step } from './tokenizerPipeline';

const NORMALIZERS = 'SentencePiece-style BPE tokenizers may only prepend "▁" and replace " " with "▁" (offsets cannot follow other changes to the text)';
const PRE_TOKENIZERS = 'SentencePiece-style BPE tokenizers may have none, Metaspace "▁", or a Split on " " once spaces became "▁"';
/** Rust's Metaspace split=true: every "▁" starts a new word (MergedWithNext); the JS library
 *  ignores `split`, so a Split pre-tokenizer doing it is added to the library's copy. */
const SPLIT_WORDS = { type: 'Split', pattern: { Regex: `${SPACE_MARK}[^${SPACE_MARK}]*|[^${SPACE_MARK}]+` }, behavior: 'Isolated', invert: true };

function normalizerSteps(n: unknown, source: string, depth = 0): Step[] {
  if (n === null || n === undefined) return [];
  const refuse = (what: string) => new EngineError(`${source}: normalizer ${what} is not supported: ${NORMALIZERS}`);
  if (depth > MAX_NESTING) throw new EngineError(`${source}: normalizer nests deeper than ${MAX_NESTING} levels`);
  if (!isObject(n)) throw refuse(quoted(n));
  if (n.type === 'Sequence') {
    if (!Array.isArray(n.normalizers)) throw refuse(`Sequence with normalizers ${quoted(n.normalizers ?? null)}`);
    return n.normalizers.flatMap((m: unknown) => normalizerSteps(m, source, depth + 1));
  }
  if (n.type === 'Prepend') {
    if (n.prepend === SPACE_MARK || n.prepend === ' ') return [{ prepend: n.prepend }];
    throw refuse(`Prepend ${quoted(n.prepend ?? null)}`);
  }
  if (n.type === 'Replace') {
    const p = n.pattern;
    if (isObject(p) && p.Regex === undefined && p.String === ' ' && n.content === SPACE_MARK) return ['replace'];
    throw refuse(`Replace ${quoted(p ?? null)} with ${quoted(n.content ?? null)}`);
  }
  throw refuse(quoted(n.type ?? null));
}

/** The pre_tokenizer: what the offsets must mirror (Metaspace or nothing), and the library's copy. */
function preTokenizer(p: unknown, steps: Step[], source: string): { metaspace: Metaspace | null; library: unknown } {
  if (p === null || p === undefined) return { metaspace: null, library: null };
  const refuse = (what: string) => new EngineError(`${source}: pre_tokenizer ${what} is not supported: ${PRE_TOKENIZERS}`);
  if (!isObject(p)) throw refuse(quoted(p));
  if (p.type === 'Metaspace') {
    if (p.replacement !== SPACE_MARK) throw refuse(`Metaspace with replacement ${quoted(p.replacement ?? null)}`);
    if (p.str_rep !== undefined && p.str_rep !== SPACE_MARK) throw refuse(`Metaspace with str_rep ${quoted(p.str_rep)}`);
    if (p.split !== undefined && typeof p.split !== 'boolean') throw refuse(`Metaspace with split ${quoted(p.split)}`);
    // As Rust reads it: an old file's add_prefix_space false means "never"; split defaults to true.
    const scheme = p.prepend_scheme ?? (p.add_prefix_space === false ? 'never' : 'always');
    if (scheme !== 'first' && scheme !== 'always' && scheme !== 'never') throw refuse(`Metaspace with prepend_scheme ${quoted(scheme)}`);
    if (p.add_prefix_space === false && scheme !== 'never') throw refuse(`Metaspace with add_prefix_space false and prepend_scheme ${quoted(scheme)}`);
    const metaspace = { type: 'Metaspace', replacement: SPACE_MARK, prepend_scheme: scheme, split: false };
    const library = p.split === false ? metaspace : { type: 'Sequence', pretokenizers: [metaspace, SPLIT_WORDS] };
    return { metaspace: { scheme }, library };
  }
  // Gemma: Split on " " after a normalizer that left no " " to split on.
  const pattern = p.pattern;
  if (p.type === 'Split' && isObject(pattern) && pattern.String === ' ' && pattern.Regex === undefined && p.invert === false
    && !applySteps(steps, ' a b ', [0, 1, 2, 3, 4]).text.includes(' ')) {
    return { metaspace: null, library: p };
  }
  throw refuse(p.type === 'Split' ? `Split ${quoted(pattern ?? null)}` : quoted(p.type ?? null));
}

/**
 * Checks a BPE tokenizer.json that is not byte-level against what SentencePiece-style offsets can
 * follow, and returns the pipeline that mirrors its normalization plus the JSON to give the library.
 */
export function sentencePieceSetup(json: Record<string, unknown>, model: Record<string, unknown>, added: AddedTokenInfo[], source: string) {
  const what = `not byte-level (pre_tokenizer ${quoted((isObject(json.pre_tokenizer) ? json.pre_tokenizer.type : json.pre_tokenizer) ?? null)})`;
  if (model.byte_fallback !== true) {
    throw new EngineError(`${source}: a BPE tokenizer that is ${what} needs byte_fallback (SentencePiece-style, as Llama 2, Mistral and Gemma have); this one has none, so offsets of unknown characters cannot be known`);
  }
  for (const key of ['end_of_word_suffix', 'continuing_subword_prefix', 'continuing_subword_suffix'] as const) {
    if (model[key] !== undefined && model[key] !== null && model[key] !== '') throw new EngineError(`${source}: model.${key} ${quoted(model[key])} is not supported`);
  }
  const vocab = model.vocab as Record<string, unknown>;
  for (let b = 0; b < 256; b++) {
    const name = byteTokenName(b);
    if (!Object.hasOwn(vocab, name)) throw new EngineError(`${source}: byte_fallback is on but the vocabulary has no byte token ${name}`);
  }
  const steps = normalizerSteps(json.normalizer, source);
  const pre = preTokenizer(json.pre_tokenizer, steps, source);
  return { libraryJson: { ...json, pre_tokenizer: pre.library }, pipeline: new SentencePiecePipeline(steps, json.normalizer !== null, pre.metaspace, added) };
}

