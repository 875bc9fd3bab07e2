// SentencePiece-style BPE tokenizers (Llama 2, Gemma, Metaspace conversions) on the look-alike
// fixtures of test/fixtures/tokenizers/ (training/make_tokenizers.py): ids as the library gives
// them, offsets that tile the text and agree with each token's piece byte for byte.
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { Tokenizer } from '@huggingface/tokenizers';
import { TextTokenizer } from '../../src/engine/tokenizer';
import { mulberry32 } from '../../src/engine/probe';
import * as fs from 'fs';
import * as path from 'path';
import { ROOT } from '../support/fixtures';

const MARK = '\u2581';
const fixtureJson = (name: string): any => JSON.parse(fs.readFileSync(path.join(ROOT, 'test', 'fixtures', 'tokenizers', `${name}.json`), 'utf8'));

/** Texts the ids are checked on: source code, prose with odd spacing, characters the vocabulary
 *  lacks (byte fallback), a literal ▁. */
const FIXTURE_TEXTS = [
  'def fib(n):\n    """Return the n-th Fibonacci number."""\n    a, b = 0, 1\n    for _ in range(n):\n        a, b = b, a + b\n    return a\n',
  'export class Counter {\r\n\tprivate count = 0;\r\n\tnext(): number {\r\n\t\treturn ++this.count; // 1, 2, 3\r\n\t}\r\n}\r\n',
  'import * as fs from \'fs\';\n\nconst x = { a: [1, 2], b: "two" };\n',
  '  Leading spaces, trailing spaces   ',
  'multiple   spaces  between    words',
  '\nstarts with a newline',
  ' starts with a space',
  'café, 本, 한국어, 😀 and 👨‍👩‍👧 (ZWJ), e\u0301 decomposed',
  'a literal ▁ mark, ▁▁ two, and ▁word',
  '▁starts with the mark',
  'ß ∑ ☃ ⟨unknown⟩ \u00a0nbsp \u2028 lone \ud800 surrogate',
  ' ',
  '▁',
  'x',
];

/** Pieces the random strings are drawn from. */
const RANDOM_PIECES = ['a', 'Z', ' ', '  ', '\t', '\r\n', '\n', '(', '_', '7', 'é', 'ß', '中', '本', '한', '😀', '👍🏽', '👨‍👩‍👧', 'e\u0301', '\u0301', '\ud800', '\udc00', MARK, '—', '\u00a0', 'def', ' return', 'the', ' the', 'x = 1'];
const BYTE_TOKEN = /^<0x([0-9A-F]{2})>$/;

/** How a variant treats the start of a text (without added tokens in it): whether a "▁" that
 *  stands for no character is put before it. */
type Prepend = (text: string) => boolean;
const always: Prepend = (t) => t.length > 0;
const ifNoSpace: Prepend = (t) => t.length > 0 && !t.startsWith(' ') && !t.startsWith(MARK);
const never: Prepend = () => false;

function metaspace(scheme: string, split: boolean) {
  const j = fixtureJson('metaspace');
  j.pre_tokenizer = { type: 'Metaspace', replacement: MARK, prepend_scheme: scheme, split };
  return j;
}

const VARIANTS: { name: string; json: () => any; prepend: Prepend; split?: boolean }[] = [
  { name: 'llama2 (Prepend + Replace normalizer)', json: () => fixtureJson('llama2'), prepend: always },
  { name: 'gemma (Replace normalizer, no prepend)', json: () => fixtureJson('gemma'), prepend: never },
  { name: 'metaspace first', json: () => fixtureJson('metaspace'), prepend: ifNoSpace },
  { name: 'metaspace always', json: () => metaspace('always', false), prepend: ifNoSpace },
  { name: 'metaspace never', json: () => metaspace('never', false), prepend: never },
  { name: 'metaspace always, split', json: () => metaspace('always', true), prepend: ifNoSpace, split: true },
];

/** The pieces of the vocabulary by id (model.vocab and added tokens). */
function piecesOf(json: any): Map<number, string> {
  const m = new Map<number, string>();
  for (const [k, v] of Object.entries(json.model.vocab)) m.set(v as number, k);
  for (const t of json.added_tokens) m.set(t.id, t.content);
  return m;
}

/** The bytes a token stands for in the normalized text: a byte token's byte, else its piece. */
function rawBytes(piece: string): Buffer {
  const m = BYTE_TOKEN.exec(piece);
  return m ? Buffer.from([parseInt(m[1], 16)]) : Buffer.from(piece, 'utf8');
}

/** Reference ids, computed apart from the engine: the library's own encode, or for split=true
 *  (which the library ignores) the library's BPE run on each "▁"-word as Rust's Metaspace splits. */
function referenceIds(json: any, text: string, v: (typeof VARIANTS)[number]): number[] {
  if (!v.split) return new Tokenizer(json, {}).encode(text, { add_special_tokens: false }).ids;
  const bare = new Tokenizer({ ...json, normalizer: null, pre_tokenizer: null }, {});
  let s = text.replaceAll(' ', MARK);
  if (v.prepend(text)) s = MARK + s;
  const words = s.match(new RegExp(`${MARK}[^${MARK}]*|[^${MARK}]+`, 'gu')) ?? [];
  return words.flatMap((w) => bare.encode(w, { add_special_tokens: false }).ids);
}

/** Spans tile the text; every token owns exactly the characters whose last normalized byte it
 *  holds; a token whose bytes are whole characters spans exactly those characters. */
function checkSpans(tok: TextTokenizer, pieces: Map<number, string>, text: string, prepended: boolean) {
  const t = tok.encode(text);
  const normalized = text.replaceAll(' ', MARK); // the model's text, less the prepended "▁"
  const bytesBefore = (end: number) => Buffer.byteLength(normalized.slice(0, end));
  let cum = 0;
  let expectStart = 0;
  for (let i = 0; i < t.ids.length; i++) {
    let raw = rawBytes(pieces.get(t.ids[i])!);
    if (i === 0 && prepended) {
      assert.deepEqual([...raw.subarray(0, 3)], [0xe2, 0x96, 0x81], 'the first token starts with the prepended ▁');
      raw = raw.subarray(3);
    }
    assert.equal(t.starts[i], expectStart, `token ${i} starts where the previous ended`);
    assert.ok(t.ends[i] >= t.starts[i]);
    expectStart = t.ends[i];
    const before = cum;
    cum += raw.length;
    assert.ok(bytesBefore(t.ends[i]) <= cum, `token ${i} of ${JSON.stringify(text)}: its span ends past its bytes`);
    if (t.ends[i] < text.length) {
      const units = text.codePointAt(t.ends[i])! > 0xffff ? 2 : 1;
      assert.ok(bytesBefore(t.ends[i] + units) > cum, `token ${i} of ${JSON.stringify(text)} should own the next character`);
    }
    if (bytesBefore(t.starts[i]) === before && bytesBefore(t.ends[i]) === cum) {
      assert.equal(normalized.slice(t.starts[i], t.ends[i]), new TextDecoder().decode(raw), `token ${i} of ${JSON.stringify(text)} spans its piece`);
    }
    if (i === 0 && prepended && raw.length === 0) assert.equal(t.ends[0], 0, 'a token of only the prepended ▁ has an empty span');
  }
  assert.equal(expectStart, text.length, 'spans cover the whole text');
  assert.equal(cum, Buffer.byteLength(normalized), 'the tokens hold every byte of the normalized text');
  const decoded = (prepended ? ' ' : '') + text.toWellFormed().replaceAll(MARK, ' ');
  assert.equal(tok.decode(t.ids), decoded, 'decode: pieces with ▁ as a space, byte tokens joined into characters');
}

for (const v of VARIANTS) {
  test(`${v.name}: ids equal the reference on source code, prose and odd characters`, () => {
    const json = v.json();
    const tok = new TextTokenizer(json, v.name);
    for (const text of FIXTURE_TEXTS) {
      assert.deepEqual(Array.from(tok.encode(text).ids), referenceIds(json, text, v), JSON.stringify(text));
      checkSpans(tok, piecesOf(json), text, v.prepend(text));
    }
  });

  test(`${v.name}: property, 500 random strings tile and match their pieces`, () => {
    const json = v.json();
    const tok = new TextTokenizer(json, v.name);
    const pieces = piecesOf(json);
    const rnd = mulberry32(7);
    for (let n = 0; n < 500; n++) {
      let s = '';
      const len = rnd() % 30;
      for (let i = 0; i < len; i++) s += RANDOM_PIECES[rnd() % RANDOM_PIECES.length];
      assert.deepEqual(Array.from(tok.encode(s).ids), referenceIds(json, s, v), JSON.stringify(s));
      checkSpans(tok, pieces, s, v.prepend(s));
    }
  });
}

test('Metaspace split=true splits words as Rust does, which the library alone does not', () => {
  const split = VARIANTS.find((x) => x.split)!;
  const tok = new TextTokenizer(split.json(), 'split');
  const library = new Tokenizer(metaspace('always', false), {}).encode('a  b', { add_special_tokens: false });
  const ids = Array.from(tok.encode('a  b').ids);
  assert.deepEqual(ids.map((id) => tok.tokenText(id)), [' a', ' ', ' b'], 'words ▁a ▁ ▁b');
  assert.notDeepEqual(ids, library.ids, 'without the split, BPE merges across words (▁a ▁▁ b)');
});

test('a token made only of the prepended ▁ has an empty span at the start', () => {
  const tok = new TextTokenizer(fixtureJson('llama2'), 'llama2');
  const t = tok.encode('\nx');
  assert.equal(tok.tokenText(t.ids[0]), ' ');
  assert.deepEqual([t.starts[0], t.ends[0]], [0, 0]);
  assert.deepEqual([t.starts[1], t.ends[1]], [0, 1], 'the newline (<0x0A>)');
});

test('a literal ▁ in the text maps to itself, a space to its ▁', () => {
  const tok = new TextTokenizer(fixtureJson('gemma'), 'gemma');
  const text = 'x▁y z';
  const t = tok.encode(text);
  const spans = Array.from(t.ids, (_, i) => text.slice(t.starts[i], t.ends[i]));
  assert.equal(spans.join(''), text);
  assert.ok(spans.includes('▁y') || spans.includes('▁'), spans.join('|'));
  assert.ok(spans.includes(' z'), spans.join('|'));
});

test('added tokens typed in the text: ids as the library, spans over their text, sections prepended as the library does', () => {
  for (const [name, bos, eos] of [['llama2', '<s>', '</s>'], ['metaspace', '<s>', '</s>'], ['gemma', '<bos>', '<eos>']]) {
    const json = fixtureJson(name);
    const tok = new TextTokenizer(json, name);
    for (const text of [`hi${bos} there${eos}`, `${bos}x`, `a${eos}b c${bos}`, `${bos}${bos} ${eos}`]) {
      const t = tok.encode(text);
      assert.deepEqual(Array.from(t.ids), new Tokenizer(json, {}).encode(text, { add_special_tokens: false }).ids, `${name} ${text}`);
      const spans = Array.from(t.ids, (_, i) => text.slice(t.starts[i], t.ends[i]));
      assert.equal(spans.join(''), text);
      for (const [i, id] of Array.from(t.ids).entries()) {
        if (id === json.model.vocab[bos] || id === json.model.vocab[eos]) assert.ok(spans[i] === bos || spans[i] === eos, `${name} ${text}: ${spans.join('|')}`);
      }
    }
    const bosId = json.model.vocab[bos];
    assert.equal(tok.bytesOf(bosId).length, 0, 'a special token stands for no text bytes');
    assert.equal(tok.tokenText(bosId), bos);
  }
});

test('added tokens that strip whitespace, and normalized added tokens, keep exact tiling', () => {
  const json = fixtureJson('llama2');
  const n = Object.keys(json.model.vocab).length;
  json.added_tokens.push(
    { id: n, content: '<mask>', single_word: false, lstrip: true, rstrip: true, normalized: false, special: true },
    { id: n + 1, content: 'foo bar', single_word: false, lstrip: false, rstrip: false, normalized: true, special: false },
  );
  const tok = new TextTokenizer(json, 'llama2+');
  for (const text of ['a  <mask>  b', '<mask> x', 'x <mask>', 'say foo bar now', 'foo bar', '  <mask>foo bar<mask>  ']) {
    const t = tok.encode(text);
    assert.deepEqual(Array.from(t.ids), new Tokenizer(json, {}).encode(text, { add_special_tokens: false }).ids, text);
    let at = 0;
    for (let i = 0; i < t.ids.length; i++) {
      assert.equal(t.starts[i], at, `${JSON.stringify(text)}: token ${i}`);
      at = t.ends[i];
    }
    assert.equal(at, text.length);
    const mask = Array.from(t.ids).indexOf(n);
    if (mask >= 0) assert.match(text.slice(t.starts[mask], t.ends[mask]), /^\s*<mask>\s*$/);
  }
  assert.equal(tok.tokenText(n + 1), 'foo bar', 'a non-special added token stands for its text');
});

test('bytesOf, tokenText and decode of SentencePiece vocabularies', () => {
  const json = fixtureJson('llama2');
  const tok = new TextTokenizer(json, 'llama2');
  const id = (p: string) => json.model.vocab[p] as number;
  assert.deepEqual([...tok.bytesOf(id('▁the'))], [...Buffer.from(' the')]);
  assert.deepEqual([...tok.bytesOf(id('<0xE6>'))], [0xe6]);
  assert.equal(tok.tokenText(id('<0xE6>')), '⟨E6⟩');
  assert.equal(tok.tokenText(0), '<unk>');
  assert.equal(tok.bytesOf(0).length, 0);
  assert.equal(tok.decode([id('<0xED>'), id('<0x95>'), id('<0x9C>'), id('▁the')]), '한 the');
  assert.equal(tok.vocabSize, Object.keys(json.model.vocab).length);
});
