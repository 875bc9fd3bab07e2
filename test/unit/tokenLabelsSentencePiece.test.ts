// Token labels with SentencePiece-style tokenizers (Llama 2, Gemma, Metaspace look-alikes of
// test/fixtures/tokenizers/): every token is labelled by the characters of its span, "part of X"
// when it holds only some bytes of X (byte fallback <0xNN>), and "▁" when it is only the "▁" the
// tokenizer prepends. Expectations are computed here from the pieces and the text's UTF-8 alone.
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'fs';
import * as path from 'path';
import { TextTokenizer } from '../../src/engine/tokenizer';
import { labelString, textTokenLabels } from '../../src/engine/labels';
import { planOverlay } from '../../src/engine/overlay';
import type { Analysis } from '../../src/engine/analysis';
import { labelMarkdown } from '../../src/extension/tokenLabels';
import { ROOT } from '../support/fixtures';

const MARK = '\u2581';
const BYTE_TOKEN = /^<0x([0-9A-F]{2})>$/;
const enc = new TextEncoder();

/** Whether the tokenizer puts a "▁" standing for no character before a text (without added tokens). */
type Prepends = (text: string) => boolean;
const FIXTURES: { name: string; prepends: Prepends }[] = [
  { name: 'llama2', prepends: (t) => t.length > 0 }, // Prepend "▁" normalizer: always
  { name: 'gemma', prepends: () => false }, // Replace only
  { name: 'metaspace', prepends: (t) => !t.startsWith(' ') && !t.startsWith(MARK) }, // prepend_scheme "first"
];

/** Leading space and newline; é/本 (pieces), 한/emoji/ZWJ/ß/∑/☃/⟨ (only through <0xNN> byte
 *  tokens in these vocabularies), a typed "▁" alone, doubled, leading and inside a word. */
const TEXTS = [
  ' starts with a space',
  '\nstarts with a newline',
  '  two spaces, then\n\n two newlines',
  'café, 本, 한국어, 😀 and 👨‍👩‍👧 (ZWJ), e\u0301 decomposed',
  'a literal ▁ mark, ▁▁ two, and ▁word',
  '▁starts with the mark',
  'ß ∑ ☃ ⟨x⟩ Ω ñ',
  '한',
  ' 😀',
  '\n👨‍👩‍👧\n',
];

const fixture = (name: string): any => JSON.parse(fs.readFileSync(path.join(ROOT, 'test', 'fixtures', 'tokenizers', `${name}.json`), 'utf8'));

function piecesOf(json: any): Map<number, string> {
  const m = new Map<number, string>();
  for (const [k, v] of Object.entries(json.model.vocab)) m.set(v as number, k);
  for (const t of json.added_tokens) m.set(t.id, t.content);
  return m;
}

/**
 * The bytes of the ORIGINAL text's UTF-8 each token holds, [from, to), found by reading its piece
 * against the text: a byte token holds one byte; a "▁" is a space of the text, a typed "▁"
 * (E2 96 81), or, first of all, the prepended one (no bytes); any other character its own bytes.
 */
function byteRanges(text: string, ids: ArrayLike<number>, pieces: Map<number, string>, prepends: boolean): [number, number][] {
  const utf8 = enc.encode(text);
  const out: [number, number][] = [];
  let p = 0;
  let inserted = prepends ? 1 : 0;
  for (let i = 0; i < ids.length; i++) {
    const piece = pieces.get(ids[i])!;
    const from = p;
    const m = BYTE_TOKEN.exec(piece);
    if (m) {
      assert.equal(utf8[p], parseInt(m[1], 16), `token ${i} (${piece}) at byte ${p}`);
      p++;
    } else {
      for (const ch of piece) {
        if (ch === MARK && inserted > 0 && p === 0) inserted--;
        else if (ch === MARK && utf8[p] === 0x20) p++;
        else {
          const b = enc.encode(ch);
          assert.deepEqual(utf8.subarray(p, p + b.length), b, `token ${i} (${JSON.stringify(piece)}) at byte ${p}`);
          p += b.length;
        }
      }
    }
    out.push([from, p]);
  }
  assert.equal(p, utf8.length, 'the tokens hold every byte of the text');
  assert.equal(inserted, 0, 'the prepended "▁" was found');
  return out;
}

interface Expected { text: string; partOf: string | null; label: string }

/** A token's label from its bytes: the characters whose last byte it holds, and the character
 *  straddling its end (it holds that character's first bytes, not its last). */
function expectedLabels(text: string, ranges: [number, number][]): Expected[] {
  const chars: { ch: string; from: number; to: number }[] = [];
  let off = 0;
  for (const ch of text) {
    const n = enc.encode(ch).length;
    chars.push({ ch, from: off, to: off + n });
    off += n;
  }
  return ranges.map(([from, to]) => {
    const own = chars.filter((c) => c.to - 1 >= from && c.to - 1 < to).map((c) => c.ch).join('');
    const straddling = from < to ? chars.find((c) => c.from < to && to < c.to) : undefined;
    const partOf = straddling ? straddling.ch : null;
    const label = from === to ? MARK : partOf === null ? own : own ? `${own} + part of ${partOf}` : `part of ${partOf}`;
    return { text: own, partOf, label };
  });
}

for (const { name, prepends } of FIXTURES) {
  test(`${name}: every token's label is its span's text, "part of X" for a byte token inside X, "▁" for the prepended mark`, () => {
    const json = fixture(name);
    const tok = new TextTokenizer(json);
    const pieces = piecesOf(json);
    let partial = 0;
    let markers = 0;
    let byteTokens = 0;
    for (const text of TEXTS) {
      const t = tok.encode(text);
      const expected = expectedLabels(text, byteRanges(text, t.ids, pieces, prepends(text)));
      const labels = tok.labels(text, t);
      assert.equal(labels.length, t.ids.length);
      for (let i = 0; i < t.ids.length; i++) {
        const at = `${JSON.stringify(text)} token ${i} (${JSON.stringify(pieces.get(t.ids[i]))})`;
        const l = labels[i];
        assert.equal(text.slice(t.starts[i], t.ends[i]), expected[i].text, `${at}: span`);
        assert.equal(l.text, expected[i].text, `${at}: label text`);
        assert.equal(l.partOf, expected[i].partOf, `${at}: part of`);
        assert.equal(labelString(l), expected[i].label, `${at}: label`);
        assert.ok(!labelString(l).includes('\uFFFD'), at);
        if (l.partOf) partial++;
        if (l.marker) markers++;
        if (BYTE_TOKEN.test(pieces.get(t.ids[i])!)) byteTokens++;
      }
      // The same labels through textTokenLabels with the tokenizer's bytes (what the overlay uses).
      assert.deepEqual(textTokenLabels(text, t.ids, t.starts, t.ends, (id) => tok.bytesOf(id)), labels);
    }
    assert.ok(partial >= 10, `tokens holding part of a character (${partial})`);
    assert.ok(byteTokens >= 20, `byte tokens (${byteTokens})`);
    const prepended = TEXTS.filter(prepends).length;
    // The prepended "▁" is often merged into the first word's piece ("▁starts"); it is a token of
    // its own before a newline or a byte token.
    if (prepended) assert.ok(markers >= 2, `tokens that are only the prepended "▁" (${markers})`);
    else assert.equal(markers, 0);
  });
}

test('the prepended "▁" alone is labelled "▁", in the overlay\'s hints and the hover too', () => {
  const tok = new TextTokenizer(fixture('llama2'));
  const text = '\n한';
  const t = tok.encode(text);
  const labels = tok.labels(text, t);
  // "▁\n한" as ▁ | <0x0A> | <0xED> <0x95> <0x9C>
  assert.deepEqual(labels.map(labelString), ['▁', '\n', 'part of 한', 'part of 한', '한']);
  assert.deepEqual(labels[0], { text: '', partOf: null, marker: MARK });
  assert.equal(labelMarkdown(labels[0]), '`▁` (added by the tokenizer)');
  assert.equal(labelMarkdown(labels[2]), 'part of `한`');
  // Hints name the source token B by the same labels.
  for (let s = 0; s < t.ids.length; s++) {
    const q = t.ids.length - 1;
    const a = {
      dims: { nLayers: 1, nHeads: 1, nCtx: 64, dVocab: tok.vocabSize, tokenVocab: tok.vocabSize, bos: 1 },
      tokens: t, heads: [], inductionHeads: [{ layer: 0, head: 0 }],
      events: [{ query: q, source: s, successorId: t.ids[s], attention: 0.9, head: { layer: 0, head: 0 }, prob: 0.9, rank: 1, hit: false }],
      loss: [], predictions: Array.from(t.ids, (_, i) => (i === q ? [{ id: t.ids[s], prob: 0.9 }] : [])),
      windows: [], ablationGain: null, analyzedLength: text.length, cutBy: null,
    } as unknown as Analysis;
    const plan = planOverlay(a, text, { mode: 'all', attentionThreshold: 0.3, minAblationGain: 1 }, (id) => tok.bytesOf(id));
    assert.equal(plan.hints[0].text, labelString(labels[s]), `source ${s}`);
  }
});
