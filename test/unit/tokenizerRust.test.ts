// TextTokenizer's ids against the Rust `tokenizers` library (test/fixtures/tokenizers/rust-ids.json,
// written by training/check_transformers.py): for every fixture tokenizer listed there, the ids of
// each text without special tokens exactly, and addsBos against the ids with special tokens.
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'fs';
import * as path from 'path';
import { TextTokenizer } from '../../src/engine/tokenizer';
import { ROOT } from '../support/fixtures';

interface RustIds {
  source: string;
  texts: string[];
  ids: Record<string, { plain: number[][]; special: number[][] }>;
}

const TOKENIZER_DIR = path.join(ROOT, 'test', 'fixtures', 'tokenizers');
const RUST: RustIds = JSON.parse(fs.readFileSync(path.join(TOKENIZER_DIR, 'rust-ids.json'), 'utf8'));

/** The first position where two id lists differ, with both ids and their tokens, or null. */
function firstDifference(tok: TextTokenizer, got: number[], want: number[]): string | null {
  const n = Math.max(got.length, want.length);
  for (let i = 0; i < n; i++) {
    if (got[i] === want[i]) continue;
    const name = (id: number | undefined) => (id === undefined ? '(none)' : `${id} ${JSON.stringify(tok.tokenText(id))}`);
    return `first difference at position ${i}: TextTokenizer ${name(got[i])}, Rust tokenizers ${name(want[i])} ` +
      `(lengths ${got.length} vs ${want.length}; context ${JSON.stringify(want.slice(Math.max(0, i - 3), i + 3).map((id) => tok.tokenText(id)))})`;
  }
  return null;
}

test('rust-ids.json: texts and one entry per fixture tokenizer', () => {
  assert.match(RUST.source, /tokenizers/);
  assert.ok(RUST.texts.length >= 9, `${RUST.texts.length} texts`);
  const files = Object.keys(RUST.ids);
  assert.ok(files.length >= 5, `${files.length} tokenizers`);
  for (const f of files) {
    assert.ok(fs.existsSync(path.join(TOKENIZER_DIR, f)), `${f} exists`);
    assert.equal(RUST.ids[f].plain.length, RUST.texts.length, `${f}: ids for every text`);
    assert.equal(RUST.ids[f].special.length, Math.min(3, RUST.texts.length), `${f}: ids with special tokens for the first 3 texts`);
  }
});

for (const [file, expected] of Object.entries(RUST.ids)) {
  const load = () => new TextTokenizer(JSON.parse(fs.readFileSync(path.join(TOKENIZER_DIR, file), 'utf8')), file);

  RUST.texts.forEach((text, t) => {
    test(`${file}: ids of text ${t} ${JSON.stringify(text.slice(0, 24))} equal the Rust library's`, () => {
      const tok = load();
      const got = Array.from(tok.encode(text).ids);
      const diff = firstDifference(tok, got, expected.plain[t]);
      if (diff) console.log(`${file}, text ${t} ${JSON.stringify(text)}: ${diff}`);
      assert.equal(diff, null, diff ?? '');
      assert.deepStrictEqual(got, expected.plain[t]);
    });
  });

  test(`${file}: addsBos agrees with the Rust ids with special tokens`, () => {
    const tok = load();
    expected.special.forEach((withSpecial, t) => {
      const plain = expected.plain[t];
      const want = tok.addsBos === null ? plain.slice(0, 3) : [tok.addsBos, ...plain].slice(0, 3);
      assert.deepStrictEqual(withSpecial, want, `text ${t}: addsBos ${tok.addsBos}; Rust with special tokens ${JSON.stringify(withSpecial)}, plain ${JSON.stringify(plain.slice(0, 3))}`);
    });
  });
}
