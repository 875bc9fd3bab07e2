import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'fs';
import * as path from 'path';
import { bucketOf, eventMatters, INTENSITY_BUCKETS, planOverlay, rankEvents, tokenAt, visibleText, type EventFilter } from '../../src/engine/overlay';
import type { Analysis } from '../../src/engine/analysis';
import { bytesLabel, labelString, textTokenLabels } from '../../src/engine/labels';
import { graphemeBoundaries, hintAnchor, snapToGraphemes } from '../../src/engine/textSpans';
import { TextTokenizer } from '../../src/engine/tokenizer';
import { codeSpan } from '../../src/extension/markdownText';
import { MODEL_DIR } from '../support/fixtures';

const TEXT = 'ab cd ab cd';
const bytes = (id: number) => new TextEncoder().encode(['', 'a', 'b', ' c', 'd'][id] ?? '');

function fakeAnalysis(): Analysis {
  // "ab cd ab cd": tokens a|b| c|d| a|b| c|d with events at the second "a" (q=4, source 1),
  // the second " c" (q=6, source 3) and the last "d" (q=7, source 4).
  const starts = Int32Array.from([0, 1, 2, 4, 5, 7, 8, 10]);
  const ends = Int32Array.from([1, 2, 4, 5, 7, 8, 10, 11]);
  return {
    dims: { nLayers: 2, nHeads: 2, nCtx: 64, dVocab: 10, tokenVocab: 10, bos: 0 },
    tokens: { ids: Int32Array.from([1, 2, 3, 4, 1, 2, 3, 4]), starts, ends },
    heads: [], inductionHeads: [{ layer: 1, head: 0 }],
    events: [
      { query: 4, source: 1, successorId: 2, attention: 0.95, head: { layer: 1, head: 0 }, prob: 0.8, rank: 1, hit: true },
      { query: 6, source: 3, successorId: 4, attention: 0.35, head: { layer: 1, head: 0 }, prob: 0.1, rank: 3, hit: true },
      { query: 7, source: 4, successorId: 1, attention: 0.1, head: { layer: 1, head: 0 }, prob: 0.1, rank: 3, hit: false },
    ],
    loss: [], predictions: [[], [], [], [], [{ id: 2, prob: 0.8 }], [], [{ id: 9, prob: 0.5 }], []],
    windows: [], ablationGain: [null, null, null, null, 2.5, null, 0.2, null], analyzedLength: 11, cutBy: null,
  };
}

const ALL: EventFilter = { mode: 'all', attentionThreshold: 0.3, minAblationGain: 1 };
const MATTER: EventFilter = { ...ALL, mode: 'matter' };

test('intensity buckets cover [threshold, 1] in equal steps', () => {
  assert.equal(bucketOf(0.3, 0.3), 0);
  assert.equal(bucketOf(1, 0.3), INTENSITY_BUCKETS - 1);
  assert.equal(bucketOf(0.3 + 0.7 * 0.45, 0.3), 2);
});

test('overlay plan, all events: queries by bucket, sources, hits and hints above the attention threshold', () => {
  const p = planOverlay(fakeAnalysis(), TEXT, ALL, bytes);
  assert.deepEqual(p.shown.map((e) => e.query), [4, 6]);
  assert.equal(p.total, 3);
  // Ranges leave out the space a token starts with (" a" is drawn on "a").
  assert.deepEqual(p.queries[4], [{ start: 6, end: 7 }]);
  assert.deepEqual(p.queries[0], [{ start: 9, end: 10 }]);
  assert.deepEqual(p.sources, [{ start: 1, end: 2 }, { start: 4, end: 5 }]);
  assert.deepEqual(p.hits, [{ start: 7, end: 8 }, { start: 10, end: 11 }]);
  // The second "a" is followed by "b" inside the word "ab": the hint goes after the word and
  // names the piece that predicts: a→b.
  assert.deepEqual(p.hints.map((h) => [h.at, h.text, h.label]), [[8, 'b', '·a→b']], 'a hint only where the top-1 prediction is the successor');
});

test('overlay plan, events that matter: attention and ablation gain both over their thresholds', () => {
  const a = fakeAnalysis();
  const p = planOverlay(a, TEXT, MATTER, bytes);
  assert.deepEqual(p.shown.map((e) => e.query), [4], 'q=6 has gain 0.2 < 1; q=7 has attention 0.1');
  assert.deepEqual(p.queries.flat(), [{ start: 6, end: 7 }]);
  assert.equal(eventMatters(a.events[0], 1, MATTER), true, 'the gain threshold is inclusive');
  assert.equal(eventMatters(a.events[0], null, MATTER), false, 'an unknown gain does not matter');
  assert.equal(eventMatters(a.events[0], 0.99, MATTER), false);
  // No ablation yet: nothing matters.
  assert.deepEqual(planOverlay({ ...a, ablationGain: null }, TEXT, MATTER, bytes).shown, []);
});

test('one hint per word: the last piece of the word that predicts', () => {
  // "total" as t|ot|al, each repeated and predicting its successor: only al's hint is shown.
  const text = 'total total';
  const starts = Int32Array.from([0, 1, 3, 5, 6, 7, 9]);
  const ends = Int32Array.from([1, 3, 5, 6, 7, 9, 11]);
  const ev = (query: number, source: number, successorId: number) => ({ query, source, successorId, attention: 0.9, head: { layer: 1, head: 0 }, prob: 0.9, rank: 1, hit: true });
  const a: Analysis = {
    ...fakeAnalysis(),
    tokens: { ids: Int32Array.from([1, 2, 3, 4, 1, 2, 3]), starts, ends },
    events: [ev(4, 1, 2), ev(5, 2, 3), ev(6, 3, 4)],
    predictions: [[], [], [], [], [{ id: 2, prob: 0.9 }], [{ id: 3, prob: 0.9 }], [{ id: 4, prob: 0.9 }]],
    ablationGain: [null, null, null, null, 2, 2, 2],
  };
  const p = planOverlay(a, text, ALL, bytes);
  assert.deepEqual(p.hints.map((h) => [h.at, h.label]), [[11, '→·']], 'after the word, the last piece (al) predicts what follows it (the space)');
});

test('events rank by ablation gain, then attention; unknown gains last', () => {
  assert.deepEqual(rankEvents(fakeAnalysis()), [0, 1, 2]);
  const a = fakeAnalysis();
  a.ablationGain = [null, null, null, null, 0.1, null, 3, null];
  assert.deepEqual(rankEvents(a), [1, 0, 2]);
});

test('hints never split a word: after the word holding the token, whatever the script', () => {
  const at = (text: string, s: number, e: number) => hintAnchor(text, graphemeBoundaries(text), s, e);
  assert.equal(at('class TextWrapper:', 6, 10), 17, '"Text" of TextWrapper: after the word');
  assert.equal(at('f(alse)', 0, 1), 1, '"f" followed by "(": right after it');
  assert.equal(at('x = foo_bar2(1)', 4, 7), 12, 'underscores and digits are word characters');
  assert.equal(at('a (b)', 0, 2), 2, 'a token ending in a space: right after it');
  assert.equal(at('naïve café', 0, 2), 5, 'accented letters are word characters');
  assert.equal(at('ке́ша x', 0, 2), 5, 'a combining accent stays with its letter');
  assert.equal(at('本当に', 0, 1), 3, 'CJK letters are word characters');
  assert.equal(at('naïve x', 2, 2), 5, 'a token holding only the first byte of ï: after the word ï belongs to');
  assert.equal(at('a:\r\nb', 1, 4), 2, 'a token ending in a line break: the hint stays on its line');
});

test('highlights snap to whole grapheme clusters (ZWJ sequences, variation selectors)', () => {
  const family = '👨‍👩‍👧'; // man ZWJ woman ZWJ girl: 8 UTF-16 units, one character on screen
  const text = `x${family}y❤️z`;
  const b = graphemeBoundaries(text);
  assert.deepEqual(Array.from(b), [0, 1, 9, 10, 12, 13]);
  assert.deepEqual(snapToGraphemes(b, 3, 4), { start: 1, end: 9 }, 'the ZWJ between two people widens to the family');
  assert.deepEqual(snapToGraphemes(b, 10, 11), { start: 10, end: 12 }, 'the heart takes its variation selector');
  assert.deepEqual(snapToGraphemes(b, 11, 12), { start: 10, end: 12 }, 'a lone variation selector sits on its heart');
  assert.deepEqual(snapToGraphemes(b, 5, 5), { start: 5, end: 5 }, 'an empty span stays empty');
});

test('token labels: characters of the span, "part of X" where a token ends mid-character, never U+FFFD', () => {
  const tok = new TextTokenizer(JSON.parse(fs.readFileSync(path.join(MODEL_DIR, 'tokenizer.json'), 'utf8')));
  const text = 'café 本 한국어 👨‍👩‍👧 ❤️ naïve';
  const t = tok.encode(text);
  const labels = textTokenLabels(text, t.ids, t.starts, t.ends, (id) => tok.bytesOf(id).length);
  // Independently: walk the token bytes, find for every token the characters it holds fully or in part.
  const enc = new TextEncoder();
  const charStarts: number[] = []; // byte offset where each code point starts
  const chars: string[] = [];
  let off = 0;
  for (const ch of text) {
    charStarts.push(off);
    chars.push(ch);
    off += enc.encode(ch).length;
  }
  let b0 = 0;
  let partials = 0;
  for (let i = 0; i < t.ids.length; i++) {
    const b1 = b0 + tok.bytesOf(t.ids[i]).length;
    const l = labels[i];
    assert.ok(!labelString(l).includes('\uFFFD'), `token ${i}: ${labelString(l)}`);
    assert.equal(l.text, text.slice(t.starts[i], t.ends[i]));
    // The character whose bytes straddle this token's end, if any: the token holds part of it.
    const k = charStarts.findIndex((s, j) => s < b1 && s + enc.encode(chars[j]).length > b1);
    assert.equal(l.partOf, k >= 0 ? chars[k] : null, `token ${i} bytes [${b0}, ${b1})`);
    if (l.partOf) partials++;
    b0 = b1;
  }
  assert.ok(partials >= 2, `the text has tokens ending mid-character (${partials})`);
  assert.equal(labelString({ text: '', partOf: '本' }), 'part of 本');
  assert.equal(labelString({ text: 'a', partOf: 'é' }), 'a + part of é');
});

test('vocabulary tokens label incomplete characters by their bytes', () => {
  assert.equal(bytesLabel(new TextEncoder().encode('héllo')), 'héllo');
  assert.equal(bytesLabel(Uint8Array.from([0xe6, 0x9c])), '⟨E6 9C⟩');
  assert.equal(bytesLabel(Uint8Array.from([0x61, 0xe6, 0x9c])), 'a⟨E6 9C⟩');
  assert.equal(bytesLabel(Uint8Array.from([0xac, 0x62])), '⟨AC⟩b', 'a continuation byte alone');
  assert.equal(bytesLabel(Uint8Array.from([0xf0, 0x9f, 0x98, 0x80])), '😀');
  assert.equal(visibleText(' \n\t'), '·↵⇥');
  assert.equal(visibleText(''), '∅');
});

test('tokenAt finds the token holding an offset', () => {
  const a = fakeAnalysis();
  assert.equal(tokenAt(a, 0), 0);
  assert.equal(tokenAt(a, 3), 2);
  assert.equal(tokenAt(a, 10), 7);
  assert.equal(tokenAt(a, 11), -1);
});

test('codeSpan: backticks and newlines cannot break out of the span', () => {
  assert.equal(codeSpan('foo'), '`foo`');
  assert.equal(codeSpan('a`b'), '``a`b``');
  assert.equal(codeSpan('`x'), '`` `x ``');
  assert.equal(codeSpan('\n'), '`\\n`');
  assert.equal(codeSpan('<img src=x onerror=alert(1)>'), '`<img src=x onerror=alert(1)>`');
  assert.equal(codeSpan(''), '(empty)', 'never a bare double backtick');
  assert.equal(codeSpan('a\u200bb'), '`a⟨U+200B⟩b`');
});

test('invisible tokens get a visible placeholder', () => {
  assert.equal(visibleText('\ufeff'), '⟨U+FEFF⟩');
  assert.equal(visibleText('\u200b\u00ad\u2028'), '⟨U+200B⟩⟨U+00AD⟩⟨U+2028⟩');
  assert.equal(visibleText('x\r\ny'), 'x↵y');
  assert.equal(visibleText('\u0007'), '⟨U+0007⟩');
  assert.equal(visibleText('é 本'), 'é·本', 'visible characters stay as they are');
});
