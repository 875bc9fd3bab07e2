import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { planWindows, type Analysis } from '../../src/engine/analysis';
import { attentionAt, attentionIndex, windowOf } from '../../src/engine/attentionIndex';
import type { CircuitsReport } from '../../src/engine/circuits';
import { diagonalMaxRows, maxAbsFinite, panelCircuits, standardizeRows } from '../../src/engine/circuitsView';
import { openModel } from '../../src/engine/model';
import {
  ablationEffect, BaselineKeeper, circuitHeads, headPattern, mostActiveInductionHead, panelAnalysis, textScores,
} from '../../src/engine/panelViews';
import type { HeadScore } from '../../src/engine/probe';
import { ModelSession } from '../../src/engine/session';
import { OrtModel } from '../../src/worker/ortModel';
import { f32, MODEL_DIR, reference } from '../support/fixtures';

const ref = reference();

// --- Hand-made analysis: 2 layers x 2 heads, n_ctx 4 (3 tokens a window, stride 1), 5 tokens:
// windows [0,3) owning 0..2, [1,4) owning 3, [2,5) owning 4. Every attention value names where it
// sits: (window+1)·10000 + layer·1000 + head·100 + query position·10 + key position (BOS at 0).

const code = (w: number, l: number, h: number, qp: number, kp: number) => (w + 1) * 10000 + l * 1000 + h * 100 + qp * 10 + kp;

function handMade(events: { query: number; source: number }[] = [], opts: { dropWindow?: number; heads?: Partial<HeadScore>[] } = {}): Analysis {
  const L = 2, H = 2, N = 5;
  const windows = planWindows(N, 4).map((w, wi) => {
    const S = w.end - w.start + 1;
    const A = new Float32Array(L * H * S * S);
    let i = 0; // row-major [layer][head][query][key], upper triangle included (never read)
    for (let l = 0; l < L; l++) for (let h = 0; h < H; h++) for (let qp = 0; qp < S; qp++) for (let kp = 0; kp < S; kp++) A[i++] = code(wi, l, h, qp, kp);
    return { ...w, attentions: wi === opts.dropWindow ? null : A };
  });
  const heads = [0, 1].flatMap((layer) => [0, 1].map((head) => ({ layer, head, induction: 0, previousToken: 0, duplicateToken: 0 })));
  (opts.heads ?? []).forEach((x, i) => Object.assign(heads[i], x));
  return {
    dims: { nLayers: L, nHeads: H, nCtx: 4, dVocab: 10, tokenVocab: 10, bos: 0 },
    tokens: { ids: Int32Array.from([1, 2, 3, 4, 5]), starts: Int32Array.from([0, 1, 2, 3, 4]), ends: Int32Array.from([1, 2, 3, 4, 5]) },
    heads,
    inductionHeads: [{ layer: 1, head: 0 }, { layer: 1, head: 1 }],
    events: events.map((e) => ({ ...e, successorId: 0, attention: 0.5, head: { layer: 1, head: 1 }, prob: 0.5, rank: 1, hit: true })),
    loss: [1, 1, 1, 1, null],
    predictions: [[], [], [], [], []],
    windows,
    ablationGain: null,
    analyzedLength: 5,
    cutBy: null,
  };
}

test('windows and attention indexing: token indices, BOS at position 0, the owning window', () => {
  const a = handMade();
  assert.deepEqual(a.windows.map((w) => [w.start, w.end, w.ownStart, w.ownEnd]), [[0, 3, 0, 3], [1, 4, 3, 4], [2, 5, 4, 5]]);
  assert.deepEqual([0, 1, 2, 3, 4, 5].map((q) => windowOf(a, q) && a.windows.indexOf(windowOf(a, q)!)), [0, 0, 0, 1, 2, undefined]);
  assert.equal(attentionAt(a, a.windows[0], 0, 0, 0, 0), 10011);
  assert.equal(attentionAt(a, a.windows[0], 1, 1, 2, 1), 11132);
  assert.equal(attentionAt(a, a.windows[1], 0, 1, 3, 1), 20131);
  assert.equal(attentionAt(a, a.windows[2], 1, 0, 4, 4), 31033);
  assert.equal(attentionIndex(2, 4, 1, 1, 3, 2), 3 * 16 + 3 * 4 + 2);
  assert.throws(() => attentionAt(a, a.windows[0], 0, 0, 1, 2), RangeError, 'a key after the query');
  assert.throws(() => attentionAt(a, a.windows[1], 0, 0, 3, 0), RangeError, 'a key before the window');
  assert.throws(() => attentionAt(a, a.windows[0], 0, 0, 3, 1), RangeError, 'a query past the window');
  assert.throws(() => attentionAt(a, a.windows[0], 2, 0, 1, 1), RangeError, 'no such layer');
  const b = handMade([], { dropWindow: 1 });
  assert.throws(() => attentionAt(b, b.windows[1], 0, 0, 3, 3), /not kept/);
});

test('headPattern: each query row from its own window, BOS dropped, keys outside the window 0', () => {
  const p = headPattern(handMade(), { layer: 1, head: 1 });
  assert.deepEqual(p.shape, [5, 5]);
  assert.deepEqual(Array.from(p.data), [
    11111, 0, 0, 0, 0,
    11121, 11122, 0, 0, 0,
    11131, 11132, 11133, 0, 0,
    0, 21131, 21132, 21133, 0,
    0, 0, 31131, 31132, 31133,
  ]);
  const q = headPattern(handMade([], { dropWindow: 1 }), { layer: 0, head: 0 });
  assert.deepEqual(Array.from(q.data.subarray(10, 25)), [10031, 10032, 10033, 0, 0, 0, 0, 0, 0, 0, 0, 0, 30031, 30032, 30033]);
});

test('textScores: previous-token attention over the owned positions with a previous token in the window, induction over the events', () => {
  const a = handMade([{ query: 3, source: 2 }, { query: 4, source: 3 }]);
  const s = textScores(a);
  assert.deepEqual(s.map((x) => [x.layer, x.head]), [[0, 0], [0, 1], [1, 0], [1, 1]]);
  const l1h1 = s[3];
  assert.equal(l1h1.textPreviousToken, (11121 + 11132 + 21132 + 31132) / 4);
  assert.equal(l1h1.textInduction, (21132 + 31132) / 2);
  assert.equal(s[0].textPreviousToken, (10021 + 10032 + 20032 + 30032) / 4);
  assert.equal(l1h1.induction, 0, 'the probe scores are kept');
  // A window whose attentions were not kept counts for nothing.
  const b = textScores(handMade([{ query: 3, source: 2 }, { query: 4, source: 3 }], { dropWindow: 1 }))[3];
  assert.equal(b.textPreviousToken, (11121 + 11132 + 31132) / 3);
  assert.equal(b.textInduction, 31132);
  assert.ok(Number.isNaN(textScores(handMade())[3].textInduction), 'no events: NaN');
});

test('mostActiveInductionHead: the induction head most attended on the events, else the best probe score', () => {
  const withEvents = mostActiveInductionHead(handMade([{ query: 3, source: 2 }], { heads: [{}, {}, { induction: 0.9 }, { induction: 0.5 }] }));
  assert.deepEqual(withEvents.head, { layer: 1, head: 1 });
  assert.deepEqual(withEvents, { head: { layer: 1, head: 1 }, basis: 'text', meanAttention: 21132, events: 1 });
  const none = mostActiveInductionHead(handMade([], { heads: [{}, {}, { induction: 0.9 }, { induction: 0.5 }] }));
  assert.deepEqual(none.head, { layer: 1, head: 0 });
  assert.deepEqual(none, { head: { layer: 1, head: 0 }, basis: 'probe', score: 0.9 });
});

test('circuitHeads: the best previous-token head of layer 0 and the best induction head of layer 1', () => {
  const heads = [
    { layer: 0, head: 0, induction: 0.9, previousToken: 0.2, duplicateToken: 0 },
    { layer: 0, head: 1, induction: 0, previousToken: 0.8, duplicateToken: 0 },
    { layer: 1, head: 0, induction: 0.3, previousToken: 0.9, duplicateToken: 0 },
    { layer: 1, head: 1, induction: 0.7, previousToken: 0, duplicateToken: 0 },
  ];
  assert.deepEqual(circuitHeads({ heads }), { previousHead: { layer: 0, head: 1 }, inductionHead: { layer: 1, head: 1 } });
});

test('ablationEffect: means over finite losses and over the events\' probabilities; null without a baseline', () => {
  const loss = Float32Array.from([1, 2, NaN]);
  assert.equal(ablationEffect(loss, [0.1, 0.3], null), null);
  const e = ablationEffect(loss, [0.1, 0.3], { loss: Float32Array.from([0.5, NaN, 1.5]), eventProb: Float32Array.from([0.25, NaN]) })!;
  assert.equal(e.lossBefore, 1);
  assert.equal(e.lossAfter, 1.5);
  assert.equal(e.probBefore, 0.25);
  assert.ok(Math.abs(e.probAfter - 0.2) < 1e-12);
  const empty = ablationEffect(new Float32Array(0), [], { loss: new Float32Array(0), eventProb: new Float32Array(0) })!;
  assert.deepEqual(empty, { lossBefore: 0, lossAfter: 0, probBefore: 0, probAfter: 0 });
});

test('BaselineKeeper: an unablated run is kept; an ablated run of the same document is compared with it', () => {
  const k = new BaselineKeeper();
  const a = handMade([{ query: 3, source: 2 }]);
  const on = new Float32Array(4).fill(1);
  const off = Float32Array.from([1, 1, 0, 1]);
  assert.equal(k.compare('file:///a', a, off), null, 'nothing kept yet');
  assert.equal(k.compare('file:///a', a, on), null);
  const b = k.compare('file:///a', a, off)!;
  assert.deepEqual(b.loss, a.loss);
  assert.deepEqual([...b.eventProb], [[3, 0.5]]);
  assert.equal(k.compare('file:///b', a, off), null, 'another document');
  k.clear();
  assert.equal(k.compare('file:///a', a, off), null);
});

test('circuit figures: largest finite |score|, rows standardised, rows whose maximum is diagonal', () => {
  assert.equal(maxAbsFinite([1, -3, NaN, -Infinity, 2]), 3);
  assert.equal(maxAbsFinite([NaN, NaN]), 0);
  const z = standardizeRows({ shape: [2, 3], data: Float32Array.from([1, 2, 3, 5, 5, 5]) });
  const s = Math.sqrt(2 / 3);
  assert.deepEqual(z.shape, [2, 3]);
  assert.deepEqual(Array.from(z.data), [-1 / s, 0, 1 / s, 0, 0, 0].map(Math.fround), 'a constant row is divided by 1');
  assert.equal(diagonalMaxRows({ shape: [3, 3], data: Float32Array.from([3, 1, 0, 2, 2, 1, 0, 5, 5]) }), 1, 'ties go to the first maximum');
  assert.equal(diagonalMaxRows({ shape: [2, 2], data: Float32Array.from([1, 0, 0, 1]) }), 2);
  const report: CircuitsReport = {
    copying: [{ layer: 1, head: 0, eigenCopyingScore: 0.5, top1Accuracy: 0.25 }],
    kComposition: { scores: [[0.1]], baseline: 0.05 },
    previousTokenQK: { head: { layer: 0, head: 2 }, subDiagonalMass: 0.7, pattern: Float32Array.from([1, 0, 0, 0.4, 0.6, 0, 0.1, 0.8, 0.1]), n: 3 },
    kCompositionPattern: { previousHead: { layer: 0, head: 2 }, inductionHead: { layer: 1, head: 0 }, tokens: Int32Array.from([0, 7]), scores: Float32Array.from([-4, NaN, 2, 3]), seq: 2 },
    ovCircuit: { head: { layer: 1, head: 0 }, tokenIds: [7, 9], matrix: Float32Array.from([2, 1, 0, 4]) },
  };
  const c = panelCircuits(report, (id) => `t${id}`);
  assert.deepEqual(c.previousTokenQK.pattern.shape, [3, 3]);
  assert.deepEqual(Array.from(c.previousTokenQK.pattern.data), Array.from(report.previousTokenQK.pattern));
  assert.equal(c.kCompositionPattern.maxAbs, 4);
  assert.deepEqual(c.kCompositionPattern.scores.shape, [2, 2]);
  assert.deepEqual(c.ovCircuit.tokens, ['t7', 't9']);
  assert.deepEqual(Array.from(c.ovCircuit.standardized.data), [1, -1, -1, 1]);
  assert.equal(c.ovCircuit.diagonalMaxRows, 2);
  assert.deepEqual(c.copying, report.copying);
  assert.deepEqual(c.kComposition, report.kComposition);
});

test('panel circuits keep the first 64 positions of the positional pattern', () => {
  const n = 70;
  const pattern = Float32Array.from({ length: n * n }, (_, i) => i);
  const c = panelCircuits({
    copying: [], kComposition: { scores: [], baseline: 0 },
    previousTokenQK: { head: { layer: 0, head: 0 }, subDiagonalMass: 0, pattern, n },
    kCompositionPattern: { previousHead: { layer: 0, head: 0 }, inductionHead: { layer: 1, head: 0 }, tokens: new Int32Array(0), scores: new Float32Array(0), seq: 0 },
    ovCircuit: { head: { layer: 1, head: 0 }, tokenIds: [], matrix: new Float32Array(0) },
  }, String);
  assert.deepEqual(c.previousTokenQK.pattern.shape, [64, 64]);
  assert.equal(c.previousTokenQK.pattern.data[0 * 64 + 5], 5);
  assert.equal(c.previousTokenQK.pattern.data[63 * 64 + 63], 63 * n + 63);
  assert.equal(c.kCompositionPattern.maxAbs, 0);
  assert.equal(c.ovCircuit.diagonalMaxRows, 0);
});

// --- Against the PyTorch reference.

test('headPattern and textScores read the attention PyTorch computed for the parity sequence', () => {
  // parity_attentions: [1, n_layers, n_heads, 64, 64] for BOS + 32 random tokens + the first 31 again.
  const [, L, H, T] = ref.parity.attentionsShape;
  const A = f32('parity_attentions.f32');
  const ids = ref.parity.ids.slice(1);
  const N = ids.length;
  assert.equal(T, N + 1);
  const torch = (l: number, h: number, q: number, k: number) => A[l * H * T * T + h * T * T + (q + 1) * T + (k + 1)];
  // Induction events of the repeat: token 32+i is token i again, its successor is token i+1.
  const events = Array.from({ length: N - 32 }, (_, i) => ({ query: 32 + i, source: i + 1 }));
  events.forEach((e) => assert.equal(ids[e.query], ids[e.source - 1]));
  const base = handMade();
  const heads = Array.from({ length: L * H }, (_, i) => ({ layer: Math.floor(i / H), head: i % H, induction: 0, previousToken: 0, duplicateToken: 0 }));
  const a: Analysis = {
    ...base,
    dims: { ...base.dims, nLayers: L, nHeads: H, nCtx: 512 },
    tokens: { ids: Int32Array.from(ids), starts: Int32Array.from(ids, (_, i) => i), ends: Int32Array.from(ids, (_, i) => i + 1) },
    heads,
    events: events.map((e) => ({ ...e, successorId: ids[e.source], attention: 0, head: { layer: 1, head: 0 }, prob: 0, rank: 1, hit: true })),
    loss: ids.map(() => 1),
    predictions: ids.map(() => []),
    windows: [{ start: 0, end: N, ownStart: 0, ownEnd: N, attentions: A }],
  };
  const scores = textScores(a);
  for (const h of heads) {
    const p = headPattern(a, h);
    for (let q = 0; q < N; q++) for (let k = 0; k < N; k++) assert.equal(p.data[q * N + k], k <= q ? torch(h.layer, h.head, q, k) : 0);
    let prev = 0, ind = 0;
    for (let q = 1; q < N; q++) prev += torch(h.layer, h.head, q, q - 1);
    for (const e of events) ind += torch(h.layer, h.head, e.query, e.source);
    const s = scores[h.layer * H + h.head];
    assert.ok(Math.abs(s.textPreviousToken - prev / (N - 1)) < 1e-6, `L${h.layer}H${h.head} previous-token`);
    assert.ok(Math.abs(s.textInduction - ind / events.length) < 1e-6, `L${h.layer}H${h.head} induction`);
  }
  // The reference's induction heads are the ones that attend to the successor on the repeat.
  for (const h of ref.analysis.inductionHeads) assert.ok(scores[h.layer * H + h.head].textInduction > 0.3, `L${h.layer}H${h.head}`);
});

async function session() {
  const m = openModel(MODEL_DIR);
  return new ModelSession(m, await OrtModel.load(m.folder));
}

test('on the fixture text, the panel views equal the attention and losses of the PyTorch reference', async () => {
  const s = await session();
  const a = await s.analyze(ref.text, { inductionThreshold: ref.inductionThreshold, topK: 5 });
  const r = ref.analysis;
  const N = a.tokens.ids.length;
  assert.equal(a.events.length, r.events.length);
  const patterns = new Map<string, Float32Array>();
  const pattern = (h: { layer: number; head: number }) => {
    const key = `${h.layer}:${h.head}`;
    if (!patterns.has(key)) patterns.set(key, headPattern(a, h).data);
    return patterns.get(key)!;
  };
  // Every event's attention, as PyTorch computed it for the event's head, is in that head's pattern.
  for (const e of r.events) assert.ok(Math.abs(pattern(e.head)[e.query * N + e.source] - e.attention) < 1e-4, `event at ${e.query}`);
  // The text scores are the means of those patterns over the text's positions and events.
  const scores = textScores(a);
  for (const h of a.heads) {
    const p = pattern(h);
    let prev = 0, ind = 0;
    for (let q = 1; q < N; q++) prev += p[q * N + q - 1];
    for (const e of r.events) ind += p[e.query * N + e.source];
    const x = scores.find((y) => y.layer === h.layer && y.head === h.head)!;
    assert.ok(Math.abs(x.textPreviousToken - prev / (N - 1)) < 1e-6);
    assert.ok(Math.abs(x.textInduction - ind / r.events.length) < 1e-6);
  }
  // The event's head is the induction head attending most to its source: no other does more.
  for (const e of r.events) {
    for (const h of r.inductionHeads) assert.ok(pattern(h)[e.query * N + e.source] <= e.attention + 1e-4);
  }
  const pick = mostActiveInductionHead(a);
  assert.ok(r.inductionHeads.some((h) => h.layer === pick.head.layer && h.head === pick.head.head));

  // The whole panel message, unablated then ablated (compared with the kept unablated run).
  const keeper = new BaselineKeeper();
  const on = new Float32Array(a.dims.nLayers * a.dims.nHeads).fill(1);
  const filter = { mode: 'matter' as const, attentionThreshold: 0.3, minAblationGain: 0.5 };
  const input = { requestId: 1, session: s, version: 'v1', fileName: 'x.txt', text: ref.text, origin: { line: 3, character: 2 }, analysis: a, filter, mask: on, elapsedMs: 5 };
  const p1 = panelAnalysis({ ...input, baseline: keeper.compare('file:///x.txt', a, on) });
  assert.deepEqual(p1.origin, { line: 3, character: 2 }, 'where the text starts in the document');
  assert.equal(p1.baseline, null);
  assert.equal(p1.ablationEffect, null);
  assert.deepEqual(p1.model, { id: 'attn-only-2l', version: 'v1', nLayers: 2, nHeads: 8, nCtx: 512 });
  assert.deepEqual(p1.heads, scores);
  assert.deepEqual(Array.from(p1.topK.ids.subarray(0, 5)), r.top5[0].map((p) => p.id));
  r.loss.forEach((l, q) => (l === null ? assert.ok(Number.isNaN(p1.loss[q])) : assert.ok(Math.abs(p1.loss[q] - l) < 1e-3)));
  for (const id of r.top5.flat().map((p) => p.id)) assert.equal(p1.vocabText[id], s.model.tokenizer.tokenText(id));
  const off = Float32Array.from(on);
  off[r.inductionHeads[0].layer * a.dims.nHeads + r.inductionHeads[0].head] = 0;
  const p2 = panelAnalysis({ ...input, mask: off, baseline: keeper.compare('file:///x.txt', a, off) });
  const losses = r.loss.filter((l): l is number => l !== null);
  const meanLoss = losses.reduce((x, y) => x + y, 0) / losses.length;
  const meanProb = r.events.reduce((x, e) => x + e.prob, 0) / r.events.length;
  const e = p2.ablationEffect!;
  assert.ok(Math.abs(e.lossBefore - meanLoss) < 1e-3 && Math.abs(e.lossAfter - meanLoss) < 1e-3, 'the same run on both sides');
  assert.ok(Math.abs(e.probBefore - meanProb) < 1e-4 && Math.abs(e.probAfter - meanProb) < 1e-4);
  await s.dispose();
});
