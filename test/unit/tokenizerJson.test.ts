// What a tokenizer.json may hold: the BOS its post_processor adds (addsBos), byte-level look-alikes
// of Llama 3 and Qwen, and clean refusals (EngineError, never a TypeError) of what offsets cannot
// follow or the file's shape does not allow.
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'fs';
import * as path from 'path';
import { Tokenizer } from '@huggingface/tokenizers';
import { TextTokenizer } from '../../src/engine/tokenizer';
import { EngineError } from '../../src/engine/errors';
import { mulberry32 } from '../../src/engine/probe';
import { MODEL_DIR, ROOT } from '../support/fixtures';

type Json = any;
const fixtureJson = (name: string): Json => JSON.parse(fs.readFileSync(path.join(ROOT, 'test', 'fixtures', 'tokenizers', `${name}.json`), 'utf8'));
const bundled = (): Json => JSON.parse(fs.readFileSync(path.join(MODEL_DIR, 'tokenizer.json'), 'utf8'));
const MARK = '\u2581';

/** Throws an EngineError (a user-facing message), not a TypeError or RangeError. */
function refused(f: () => unknown, message?: RegExp) {
  assert.throws(f, (e: unknown) => {
    assert.ok(e instanceof EngineError, `expected an EngineError, got ${(e as Error)?.name}: ${(e as Error)?.message}`);
    if (message) assert.match(e.message, message);
    return true;
  });
}

test('addsBos: the special token each post_processor puts first', () => {
  assert.equal(new TextTokenizer(fixtureJson('llama3')).addsBos, 2048, 'Llama 3: Sequence[ByteLevel, TemplateProcessing] puts <|begin_of_text|>');
  assert.equal(new TextTokenizer(fixtureJson('llama2')).addsBos, 1, 'Llama 2 / TinyLlama: <s>');
  assert.equal(new TextTokenizer(fixtureJson('metaspace')).addsBos, 1, 'Mistral-like: <s>');
  assert.equal(new TextTokenizer(fixtureJson('gemma')).addsBos, 2, 'Gemma: <bos>');
  assert.equal(new TextTokenizer(fixtureJson('qwen')).addsBos, null, 'Qwen: ByteLevel only');
  assert.equal(new TextTokenizer(bundled()).addsBos, null, 'GPT-2-like: no post_processor');
});

test('addsBos: special_tokens ids first, then added tokens and vocabulary; templates that start with the sequence add none', () => {
  const withPost = (pp: unknown, base = fixtureJson('llama2')) => new TextTokenizer({ ...base, post_processor: pp }).addsBos;
  const seqA = { Sequence: { id: 'A', type_id: 0 } };
  const special = (id: string) => ({ SpecialToken: { id, type_id: 0 } });
  assert.equal(withPost({ type: 'TemplateProcessing', single: [special('<s>'), seqA], special_tokens: { '<s>': { id: '<s>', ids: [7], tokens: ['<s>'] } } }), 7);
  assert.equal(withPost({ type: 'TemplateProcessing', single: [special('</s>'), seqA], special_tokens: {} }), 2, 'looked up in added_tokens');
  assert.equal(withPost({ type: 'TemplateProcessing', single: [special('▁the'), seqA] }), fixtureJson('llama2').model.vocab['▁the'], 'looked up in the vocabulary');
  assert.equal(withPost({ type: 'TemplateProcessing', single: [seqA, special('</s>')] }), null, '$A first');
  assert.equal(withPost({ type: 'TemplateProcessing', single: [] }), null);
  assert.equal(withPost(null), null);
  assert.equal(withPost({ type: 'ByteLevel' }), null);
  assert.equal(withPost({ type: 'Sequence', processors: [{ type: 'ByteLevel' }] }), null);
  const tpl = (name: string) => ({ type: 'TemplateProcessing', single: [special(name), seqA] });
  assert.equal(withPost({ type: 'Sequence', processors: [tpl('<s>'), tpl('</s>')] }), 2, 'the last template to put a token first runs last');
  assert.equal(withPost({ type: 'Sequence', processors: [tpl('<s>'), { type: 'TemplateProcessing', single: [seqA, special('</s>')] }] }), 1);
  assert.equal(withPost({ type: 'BertProcessing', cls: ['<s>', 1], sep: ['</s>', 2] }), 1);
  assert.equal(withPost({ type: 'RobertaProcessing', cls: ['<s>', 0], sep: ['</s>', 2] }, bundled()), 0);
});

test('malformed post_processors are refused with EngineError', () => {
  let deep: Json = { type: 'ByteLevel' };
  for (let i = 0; i < 100000; i++) deep = { type: 'Sequence', processors: [deep] };
  const cases: unknown[] = [
    [], 'TemplateProcessing', 5, true, { type: 'Unknown' }, {},
    { type: 'TemplateProcessing' }, { type: 'TemplateProcessing', single: {} }, { type: 'TemplateProcessing', single: [[]] },
    { type: 'TemplateProcessing', single: [null] }, { type: 'TemplateProcessing', single: [{ SpecialToken: [] }] },
    { type: 'TemplateProcessing', single: [{ SpecialToken: { id: 5 } }] }, { type: 'TemplateProcessing', single: [{ Sequence: { id: 'C' } }] },
    { type: 'TemplateProcessing', single: [{ SpecialToken: { id: '<nope>' } }] },
    { type: 'TemplateProcessing', single: [{ SpecialToken: { id: '<s>' } }], special_tokens: { '<s>': { ids: [1e9] } } },
    { type: 'Sequence' }, { type: 'Sequence', processors: {} }, { type: 'Sequence', processors: [null] }, { type: 'Sequence', processors: [[]] },
    { type: 'BertProcessing' }, { type: 'BertProcessing', cls: {} }, { type: 'RobertaProcessing', cls: ['<s>', -1] }, deep,
  ];
  for (const base of [fixtureJson('llama2'), bundled()]) {
    for (const pp of cases) refused(() => new TextTokenizer({ ...base, post_processor: pp }), /post_processor/);
  }
});

test('byte-level look-alikes of Llama 3 and Qwen: ids as the library, spans tile', () => {
  const texts = ['def f(x):\n    return x  # é 本 한 😀\r\n', '  two  spaces ', '<|begin_of_text|>hi', "it's 1234 ▁▁"];
  for (const name of ['llama3', 'qwen']) {
    const json = fixtureJson(name);
    const tok = new TextTokenizer(json, name);
    for (const text of texts) {
      const t = tok.encode(text);
      assert.deepEqual(Array.from(t.ids), new Tokenizer(json, {}).encode(text, { add_special_tokens: false }).ids, `${name}: ${text}`);
      assert.equal(Array.from(t.ids, (_, i) => text.slice(t.starts[i], t.ends[i])).join(''), text);
      assert.equal(t.ends[t.ids.length - 1], text.length);
    }
  }
  // Qwen's NFC changes a decomposed é: byte-level offsets cannot follow, and say so.
  refused(() => new TextTokenizer(fixtureJson('qwen'), 'qwen').encode('e\u0301'), /tokens do not cover the text/);
});

test('what SentencePiece-style offsets cannot follow is refused by name', () => {
  const sp = fixtureJson('llama2');
  const refuses = (edit: (j: Json) => void, message: RegExp) => {
    const j = fixtureJson('llama2');
    edit(j);
    refused(() => new TextTokenizer(j, '/m/tokenizer.json'), message);
  };
  refused(() => new TextTokenizer({ ...sp, model: { type: 'Unigram', vocab: [['<unk>', 0]], unk_id: 0 } }), /model type "Unigram" is not supported/);
  refused(() => new TextTokenizer({ ...sp, model: { ...sp.model, type: 'WordPiece' } }), /model type "WordPiece" is not supported/);
  refuses((j) => (j.normalizer = { type: 'NFKC' }), /\/m\/tokenizer\.json: normalizer "NFKC" is not supported/);
  refuses((j) => (j.normalizer = { type: 'Sequence', normalizers: [{ type: 'Lowercase' }, j.normalizer] }), /normalizer "Lowercase" is not supported/);
  refuses((j) => (j.normalizer = { type: 'Precompiled', precompiled_charsmap: 'AAAA' }), /normalizer "Precompiled" is not supported/);
  refuses((j) => (j.normalizer = { type: 'Replace', pattern: { Regex: ' {2,}' }, content: ' ' }), /normalizer Replace \{"Regex"/);
  refuses((j) => (j.normalizer = { type: 'Prepend', prepend: '>>' }), /normalizer Prepend ">>"/);
  refuses((j) => (j.normalizer = [j.normalizer]), /normalizer \[/);
  refuses((j) => ((j.normalizer = null), (j.pre_tokenizer = { type: 'Metaspace', replacement: '_', prepend_scheme: 'always' })), /Metaspace with replacement "_"/);
  refuses((j) => ((j.normalizer = null), (j.pre_tokenizer = { type: 'Metaspace', replacement: MARK, prepend_scheme: 'sometimes' })), /prepend_scheme "sometimes"/);
  refuses((j) => ((j.normalizer = null), (j.pre_tokenizer = { type: 'Metaspace', replacement: MARK, add_prefix_space: false, prepend_scheme: 'always' })), /add_prefix_space false/);
  refuses((j) => (j.pre_tokenizer = { type: 'Whitespace' }), /pre_tokenizer "Whitespace" is not supported/);
  refuses((j) => ((j.normalizer = null), (j.pre_tokenizer = { type: 'Split', pattern: { String: ' ' }, behavior: 'Removed', invert: false })), /pre_tokenizer Split/);
  refuses((j) => (j.model.byte_fallback = false), /needs byte_fallback/);
  refuses((j) => delete j.model.vocab['<0x7F>'], /no byte token <0x7F>/);
  refuses((j) => (j.model.end_of_word_suffix = '</w>'), /end_of_word_suffix "<\/w>" is not supported/);
  let deep: Json = { type: 'Replace', pattern: { String: ' ' }, content: MARK };
  for (let i = 0; i < 100000; i++) deep = { type: 'Sequence', normalizers: [deep] };
  refuses((j) => (j.normalizer = deep), /nests deeper than 8 levels/);
  let deepPre: Json = { type: 'ByteLevel' };
  for (let i = 0; i < 100000; i++) deepPre = { type: 'Sequence', pretokenizers: [deepPre] };
  refuses((j) => (j.pre_tokenizer = deepPre), /pre_tokenizer "Sequence" is not supported/);
});

test('Metaspace as old files write it: add_prefix_space false means never, as Rust reads it', () => {
  const j = fixtureJson('metaspace');
  j.pre_tokenizer = { type: 'Metaspace', replacement: MARK, add_prefix_space: false, split: false };
  const tok = new TextTokenizer(j);
  assert.equal(tok.tokenText(tok.encode('hello').ids[0])[0], 'h', 'no ▁ prepended');
});

test('fuzz: random shapes in the pipeline parts load cleanly or fail with EngineError, and encode never throws a TypeError', () => {
  const rnd = mulberry32(99);
  const pick = <T>(xs: T[]): T => xs[rnd() % xs.length];
  const weird = (): unknown => pick<unknown>([null, undefined, [], {}, 'x', 0, -1, 1e300, true, [null], [{}], { type: 'Sequence' }, { type: 'Sequence', normalizers: [null] },
    { type: 'Sequence', pretokenizers: 'a' }, { type: 'Sequence', processors: [{}] }, { type: 'Metaspace' }, { type: 'Metaspace', replacement: MARK, split: 'yes' },
    { type: 'Replace' }, { type: 'Replace', pattern: {} }, { type: 'Prepend' }, { type: 'TemplateProcessing', single: [{ SpecialToken: {} }] },
    { type: 'Split', pattern: { String: ' ' }, invert: false }, { type: 'ByteLevel', add_prefix_space: 'x' }]);
  const parts = ['normalizer', 'pre_tokenizer', 'post_processor', 'decoder', 'added_tokens'];
  for (let n = 0; n < 300; n++) {
    const j = fixtureJson(pick(['llama2', 'gemma', 'metaspace', 'llama3']));
    for (let k = 0; k < 1 + (rnd() % 2); k++) j[pick(parts)] = weird();
    let tok: TextTokenizer;
    try {
      tok = new TextTokenizer(j);
    } catch (e) {
      assert.ok(e instanceof EngineError, `case ${n}: ${(e as Error).name}: ${(e as Error).message}`);
      continue;
    }
    try {
      tok.encode('hi  there\n本😀 ▁x');
    } catch (e) {
      assert.ok(e instanceof EngineError, `case ${n} encode: ${(e as Error).name}: ${(e as Error).message}`);
    }
  }
});
