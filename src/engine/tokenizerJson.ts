// Reading an untrusted tokenizer.json: the checks every tokenizer passes (ids, shapes) and the BOS
// its post_processor adds. Any shape may come: every reader here checks what it indexes and
// throws EngineError (never a TypeError), and walks nested parts only to a fixed depth.
import { EngineError, quoted } from './errors';

/** Ids accepted when the model's vocabulary is not known (2^20, past every real vocabulary). */
export const DEFAULT_MAX_ID = 2 ** 20;

/** Real Sequences nest one level deep; past this a file is refused, not walked. */
export const MAX_NESTING = 8;

export const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Every id in model.vocab and added_tokens is a non-negative integer below `maxId`. Returns the
 *  number of ids (the largest + 1). */
export function checkIds(vocab: Record<string, unknown>, added: unknown, source: string, maxId?: number): number {
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
      if (typeof t.content !== 'string') throw new EngineError(`${source}: added token ${quoted(t.id ?? null)} has content ${quoted(t.content ?? null)}, not a string`);
      see(t.content, t.id, 'added token');
    }
  }
  const limit = maxId ?? DEFAULT_MAX_ID;
  if (top < limit) return top + 1;
  throw new EngineError(maxId === undefined
    ? `${source}: token ${quoted(topToken)} has id ${top}; the lens reads vocabularies of up to ${DEFAULT_MAX_ID.toLocaleString('en-US')} ids`
    : `${source}: has ${top + 1} tokens but the model's vocabulary (d_vocab) is ${maxId}: the tokenizer belongs to another model (token ${quoted(topToken)} has id ${top})`);
}

/** One added token as @huggingface/tokenizers reads it (`normalized` defaults to not special). */
export interface AddedTokenInfo {
  content: string;
  id: number;
  special: boolean;
  normalized: boolean;
  lstrip: boolean;
  rstrip: boolean;
}

/** added_tokens, already checked by checkIds (a list of objects with string content). */
export function addedTokens(added: unknown): AddedTokenInfo[] {
  if (!Array.isArray(added)) return [];
  return added.filter(isObject).map((t) => {
    const special = Boolean(t.special ?? false);
    return {
      content: String(t.content),
      id: Number(t.id),
      special,
      normalized: Boolean(t.normalized ?? !special),
      lstrip: Boolean(t.lstrip ?? false),
      rstrip: Boolean(t.rstrip ?? false),
    };
  });
}

/**
 * The id of the special token the post_processor puts before a single sequence (the BOS a model
 * was trained with), or null when it puts none first. TemplateProcessing: its `single` template's
 * first item, when a SpecialToken (id from special_tokens[name].ids[0], else `lookup(name)`);
 * inside a Sequence the last processor that puts a token first wins (it runs last); the legacy
 * BertProcessing/RobertaProcessing put `cls` first; ByteLevel puts nothing. Also checks the
 * shapes the library reads while encoding, so a malformed file fails here, not mid-encode.
 */
export function postProcessorBos(pp: unknown, lookup: (name: string) => number | undefined, vocabSize: number, source: string): number | null {
  const fail = (what: string) => new EngineError(`${source}: post_processor ${what}`);
  const checkedId = (id: number, name: string): number => {
    if (id >= vocabSize) throw fail(`puts ${quoted(name)} (id ${id}) first, past the vocabulary's ${vocabSize} ids`);
    return id;
  };
  const template = (single: unknown, specials: unknown): number | null => {
    if (!Array.isArray(single)) throw fail(`template "single" is ${quoted(single ?? null)}, not a list`);
    for (const item of single) {
      const special = isObject(item) ? item.SpecialToken : undefined;
      const sequence = isObject(item) ? item.Sequence : undefined;
      if (isObject(special) && typeof special.id === 'string') continue;
      if (isObject(sequence) && (sequence.id === 'A' || sequence.id === 'B')) continue;
      throw fail(`template item ${quoted(item)} is neither a SpecialToken nor a Sequence`);
    }
    const first = single[0] as Record<string, unknown> | undefined;
    if (first === undefined || !isObject(first.SpecialToken)) return null;
    const name = first.SpecialToken.id as string;
    const entry = isObject(specials) && Object.hasOwn(specials, name) ? specials[name] : undefined;
    const ids = isObject(entry) && Array.isArray(entry.ids) ? entry.ids : [];
    const id = typeof ids[0] === 'number' && Number.isSafeInteger(ids[0]) && ids[0] >= 0 ? ids[0] : lookup(name);
    if (id === undefined) throw fail(`puts ${quoted(name)} first, which is not in the vocabulary`);
    return checkedId(id, name);
  };
  const walk = (p: unknown, depth: number, first: number | null): number | null => {
    if (depth > MAX_NESTING) throw fail(`nests deeper than ${MAX_NESTING} levels`);
    if (!isObject(p)) throw fail(`holds ${quoted(p)}, not a processor object`);
    switch (p.type) {
      case 'ByteLevel':
        return first;
      case 'TemplateProcessing':
        return template(p.single, p.special_tokens) ?? first;
      case 'BertProcessing':
      case 'RobertaProcessing': {
        const cls = p.cls;
        if (!Array.isArray(cls) || typeof cls[0] !== 'string' || typeof cls[1] !== 'number' || !Number.isSafeInteger(cls[1]) || cls[1] < 0) {
          throw fail(`${p.type} has cls ${quoted(cls ?? null)}, not a [token, id] pair`);
        }
        return checkedId(cls[1], cls[0]);
      }
      case 'Sequence': {
        if (!Array.isArray(p.processors)) throw fail(`Sequence has processors ${quoted(p.processors ?? null)}, not a list`);
        let bos = first;
        for (const q of p.processors) bos = walk(q, depth + 1, bos);
        return bos;
      }
      default:
        throw fail(`type ${quoted(p.type ?? null)} is not supported (TemplateProcessing, ByteLevel, BertProcessing, RobertaProcessing, Sequence are)`);
    }
  };
  return pp === null || pp === undefined ? null : walk(pp, 0, null);
}
