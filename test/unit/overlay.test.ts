import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { bucketOf, INTENSITY_BUCKETS, planOverlay, tokenAt } from '../../src/engine/overlay';
import type { Analysis } from '../../src/engine/analysis';
import { codeSpan } from '../../src/extension/markdownText';

function fakeAnalysis(): Analysis {
  // "ab cd ab cd": tokens a|b| c|d| a|b| c|d with an event at the second "a" (q=4, source 1)
  // and at the second " c" (q=6, source 3).
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
    windows: [], ablationGain: null, analysedLength: 11,
  };
}

test('intensity buckets cover [threshold, 1] in equal steps', () => {
  assert.equal(bucketOf(0.3, 0.3), 0);
  assert.equal(bucketOf(1, 0.3), INTENSITY_BUCKETS - 1);
  assert.equal(bucketOf(0.3 + 0.7 * 0.45, 0.3), 2);
});

test('overlay plan: queries by bucket, sources, hits and hints from the events above the threshold', () => {
  const p = planOverlay(fakeAnalysis(), 0.3, (id) => `t${id}`);
  assert.deepEqual(p.shown.map((e) => e.query), [4, 6]);
  assert.deepEqual(p.queries[4], [{ start: 5, end: 7 }]);
  assert.deepEqual(p.queries[0], [{ start: 8, end: 10 }]);
  assert.deepEqual(p.sources, [{ start: 1, end: 2 }, { start: 4, end: 5 }]);
  assert.deepEqual(p.hits, [{ start: 7, end: 8 }, { start: 10, end: 11 }]);
  assert.deepEqual(p.hints, [{ start: 5, end: 7, text: 't2' }], 'a hint only where the top-1 prediction is the successor');
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
});
