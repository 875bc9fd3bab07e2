import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'fs';
import * as path from 'path';
import { TextTokenizer } from '../../src/engine/tokenizer';
import { mulberry32 } from '../../src/engine/probe';
import { MODEL_DIR, reference } from '../support/fixtures';

const tok = new TextTokenizer(JSON.parse(fs.readFileSync(path.join(MODEL_DIR, 'tokenizer.json'), 'utf8')));

/** Checks the tiling and the byte ownership rule independently of the engine's own layout code. */
function checkSpans(text: string) {
  const t = tok.encode(text);
  assert.equal(t.ids.length, t.starts.length);
  let expectStart = 0;
  let cumBytes = 0;
  for (let i = 0; i < t.ids.length; i++) {
    assert.equal(t.starts[i], expectStart, `token ${i} starts where the previous ended`);
    assert.ok(t.ends[i] >= t.starts[i]);
    expectStart = t.ends[i];
    cumBytes += tok.bytesOf(t.ids[i]).length;
    // The token owns every character whose last byte it holds: all of text[0, end) fits in the
    // bytes so far, and the next character does not.
    const before = Buffer.byteLength(text.slice(0, t.ends[i]));
    assert.ok(before <= cumBytes, `token ${i}: ${before} bytes of text before its end, only ${cumBytes} emitted`);
    if (t.ends[i] < text.length) {
      const cp = text.codePointAt(t.ends[i])!;
      const units = cp > 0xffff ? 2 : 1;
      assert.ok(Buffer.byteLength(text.slice(0, t.ends[i] + units)) > cumBytes, `token ${i} should own the next character`);
    }
  }
  assert.equal(expectStart, text.length, 'spans cover the whole text');
  assert.equal(tok.decode(t.ids), text.toWellFormed(), 'decoding the ids gives back the text');
}

test('exact UTF-16 spans for a known mixed string', () => {
  const text = 'héllo 😀 wörld\r\n\tfoo  bar';
  const t = tok.encode(text);
  const pieces = Array.from(t.ids, (_, i) => text.slice(t.starts[i], t.ends[i]));
  assert.equal(pieces.join(''), text);
  // "😀" is 4 UTF-8 bytes split over several byte tokens: only the token with the last byte owns it.
  const emojiAt = text.indexOf('😀');
  const owner = Array.from(t.ids).findIndex((_, i) => t.starts[i] <= emojiAt && emojiAt < t.ends[i]);
  assert.equal(text.slice(t.starts[owner], t.ends[owner]), '😀');
  assert.equal(t.starts[owner], emojiAt);
  assert.equal(t.ends[owner], emojiAt + 2);
  assert.equal(t.starts[owner - 1], t.ends[owner - 1], 'the tokens with the first bytes of the emoji are empty spans');
});

test('ids equal the Python BPE encoder on the fixture text', () => {
  const ref = reference();
  assert.deepEqual(Array.from(tok.encode(ref.text).ids), ref.analysis.ids);
});

test('property: spans tile random text and decode round-trips', () => {
  const rnd = mulberry32(42);
  const alphabet = ['a', 'Z', ' ', '  ', '\t', '\r\n', '\n', '(', '_', '7', 'é', 'ß', '中', '文', '😀', '👍🏽', 'e\u0301', '\u0301', '\ud800', '\udc00', 'ü', "'s", '—', '\u00a0'];
  for (let n = 0; n < 400; n++) {
    let s = '';
    const len = rnd() % 40;
    for (let i = 0; i < len; i++) s += alphabet[rnd() % alphabet.length];
    checkSpans(s);
  }
});

test('empty text gives no tokens', () => {
  const t = tok.encode('');
  assert.equal(t.ids.length, 0);
});

test('a tokenizer that is not BPE is refused with the file and the model type named', () => {
  assert.throws(() => new TextTokenizer({ model: { type: 'WordPiece', vocab: {} } }, '/x/tokenizer.json'), /\/x\/tokenizer.json: model type "WordPiece" is not supported/);
  assert.throws(() => new TextTokenizer({}, '/y/tokenizer.json'), /\/y\/tokenizer.json: not a Hugging Face tokenizer.json/);
});
