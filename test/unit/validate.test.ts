import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import type { PanelCircuits, PanelToHost } from '../../src/protocol/panel';
import type { FromWorker, ToWorker } from '../../src/protocol/worker';
import {
  MAX_DATA_URL,
  validateFromWorker,
  validatePanelToHost,
  validateToWorker,
  type PanelContext,
  type ResultExpectation,
  type Validation,
} from '../../src/protocol/validate';

// ---- Helpers -----------------------------------------------------------------------------------

const CTX: PanelContext = { nLayers: 2, nHeads: 8, nTokens: 10 };
const PNG = 'data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==';

function accepted<T>(r: Validation<T>): T {
  if (!r.ok) assert.fail(`expected the message to pass, got: ${r.reason}`);
  return r.msg;
}

/** The message fails, and the reason starts with `field` (the field's path), then ':'. */
function rejected<T>(r: Validation<T>, field: string, detail?: RegExp): string {
  if (r.ok) assert.fail(`expected the message to fail on ${field}, it passed: ${JSON.stringify(r.msg)}`);
  assert.ok(r.reason.startsWith(`${field}:`), `reason should name ${field}: ${r.reason}`);
  if (detail) assert.match(r.reason, detail);
  return r.reason;
}

const ones = (n: number) => new Array<number>(n).fill(1);

// ---- Panel → host ------------------------------------------------------------------------------

const VALID_PANEL: PanelToHost[] = [
  { type: 'ready' },
  { type: 'selectHead', head: { layer: 0, head: 0 } },
  { type: 'selectHead', head: { layer: 1, head: 7 } },
  { type: 'revealToken', index: 0 },
  { type: 'revealToken', index: 9 },
  { type: 'setMask', mask: ones(16) },
  { type: 'setMask', mask: [...ones(15), 0] },
  { type: 'requestCircuits' },
  { type: 'exportJson' },
  ...(['tokens', 'events', 'heads', 'pattern', 'circuits'] as const).map((view) => ({ type: 'exportPng' as const, view, dataUrl: PNG })),
  { type: 'perf', mark: 'firstPaint:512', ms: 12.5 },
  { type: 'perf', mark: 'x'.repeat(100), ms: 0 },
];

for (const m of VALID_PANEL) {
  test(`panel → host: a valid ${m.type} passes and is rebuilt field for field (${JSON.stringify(m).slice(0, 60)})`, () => {
    const msg = accepted(validatePanelToHost(m, CTX));
    assert.deepStrictEqual(msg, m);
    assert.notStrictEqual(msg, m, 'a fresh object, not the input');
  });
}

test('panel → host: messages that need no analysis pass without one', () => {
  for (const m of VALID_PANEL.filter((x) => !['selectHead', 'revealToken', 'setMask'].includes(x.type))) {
    assert.deepStrictEqual(accepted(validatePanelToHost(m, null)), m);
  }
});

test('panel → host: the reason for a wrong-length mask says what was expected and what came', () => {
  const r = validatePanelToHost({ type: 'setMask', mask: ones(15) }, CTX);
  assert.deepStrictEqual(r, { ok: false, reason: 'setMask.mask: expected 16 values of 0 or 1, got 15' });
});

const bigPng = () => ({ type: 'exportPng', view: 'tokens', dataUrl: 'data:image/png;base64,' + 'A'.repeat(MAX_DATA_URL) });

const INVALID_PANEL: [string, () => unknown, PanelContext | null, string, RegExp?][] = [
  ['mask one value short', () => ({ type: 'setMask', mask: ones(15) }), CTX, 'setMask.mask', /16 values of 0 or 1, got 15/],
  ['mask one value long', () => ({ type: 'setMask', mask: ones(17) }), CTX, 'setMask.mask', /got 17/],
  ['mask value 0.5', () => ({ type: 'setMask', mask: [1, 1, 1, 0.5, ...ones(12)] }), CTX, 'setMask.mask[3]', /0 or 1, got 0\.5/],
  ['mask value "1"', () => ({ type: 'setMask', mask: ['1', ...ones(15)] }), CTX, 'setMask.mask[0]', /a string/],
  ['mask value NaN', () => ({ type: 'setMask', mask: [...ones(15), NaN] }), CTX, 'setMask.mask[15]', /NaN/],
  // eslint-disable-next-line no-sparse-arrays -- a sparse array is one of the inputs
  ['mask with a hole', () => ({ type: 'setMask', mask: [...ones(7), , ...ones(8)] }), CTX, 'setMask.mask[7]', /undefined/],
  ['mask as a Float32Array', () => ({ type: 'setMask', mask: new Float32Array(16).fill(1) }), CTX, 'setMask.mask', /Float32Array\(16\)/],
  ['mask as an object', () => ({ type: 'setMask', mask: { length: 16 } }), CTX, 'setMask.mask'],
  ['mask missing', () => ({ type: 'setMask' }), CTX, 'setMask.mask', /missing/],
  ['mask without an analysis', () => ({ type: 'setMask', mask: ones(16) }), null, 'setMask', /no analysis/],
  ['negative token index', () => ({ type: 'revealToken', index: -1 }), CTX, 'revealToken.index', /\[0, 9\], got -1/],
  ['NaN token index', () => ({ type: 'revealToken', index: NaN }), CTX, 'revealToken.index', /NaN/],
  ['Infinity token index', () => ({ type: 'revealToken', index: Infinity }), CTX, 'revealToken.index'],
  ['fractional token index', () => ({ type: 'revealToken', index: 1.5 }), CTX, 'revealToken.index', /1\.5/],
  ['token index nTokens', () => ({ type: 'revealToken', index: 10 }), CTX, 'revealToken.index', /got 10/],
  ['token index far past the end', () => ({ type: 'revealToken', index: 1e12 }), CTX, 'revealToken.index'],
  ['token index as a string', () => ({ type: 'revealToken', index: '3' }), CTX, 'revealToken.index', /"3" \(a string\)/],
  ['token index as a bigint', () => ({ type: 'revealToken', index: 3n }), CTX, 'revealToken.index', /bigint/],
  ['token index missing', () => ({ type: 'revealToken' }), CTX, 'revealToken.index', /missing/],
  ['token index without an analysis', () => ({ type: 'revealToken', index: 0 }), null, 'revealToken', /no analysis/],
  ['token index inherited, not own', () => Object.assign(Object.create({ index: 1 }), { type: 'revealToken' }), CTX, 'revealToken.index', /missing/],
  ['token index behind a getter', () => ({ type: 'revealToken', get index() { return 1; } }), CTX, 'revealToken.index', /getter/],
  ['head past nHeads', () => ({ type: 'selectHead', head: { layer: 0, head: 8 } }), CTX, 'selectHead.head.head', /\[0, 7\], got 8/],
  ['layer past nLayers', () => ({ type: 'selectHead', head: { layer: 2, head: 0 } }), CTX, 'selectHead.head.layer', /\[0, 1\], got 2/],
  ['negative head', () => ({ type: 'selectHead', head: { layer: 0, head: -1 } }), CTX, 'selectHead.head.head'],
  ['layer as a string', () => ({ type: 'selectHead', head: { layer: '1', head: 0 } }), CTX, 'selectHead.head.layer', /a string/],
  ['head missing', () => ({ type: 'selectHead' }), CTX, 'selectHead.head', /missing/],
  ['head without its layer', () => ({ type: 'selectHead', head: { head: 0 } }), CTX, 'selectHead.head.layer', /missing/],
  ['head as an array', () => ({ type: 'selectHead', head: [0, 1] }), CTX, 'selectHead.head', /an object, got an array/],
  ['head without an analysis', () => ({ type: 'selectHead', head: { layer: 0, head: 0 } }), null, 'selectHead', /no analysis/],
  ['huge PNG data URL', bigPng, CTX, 'exportPng.dataUrl', new RegExp(`at most ${MAX_DATA_URL} characters`)],
  ['JPEG data URL', () => ({ type: 'exportPng', view: 'tokens', dataUrl: 'data:image/jpeg;base64,AAAA' }), CTX, 'exportPng.dataUrl', /data:image\/png;base64,/],
  ['SVG data URL', () => ({ type: 'exportPng', view: 'tokens', dataUrl: 'data:image/svg+xml,<svg/>' }), CTX, 'exportPng.dataUrl'],
  ['javascript: URL', () => ({ type: 'exportPng', view: 'tokens', dataUrl: 'javascript:alert(1)' }), CTX, 'exportPng.dataUrl'],
  ['PNG data URL that is not base64', () => ({ type: 'exportPng', view: 'tokens', dataUrl: PNG + '"><script>' }), CTX, 'exportPng.dataUrl', /base64/],
  ['data URL not a string', () => ({ type: 'exportPng', view: 'tokens', dataUrl: 42 }), CTX, 'exportPng.dataUrl'],
  ['unknown export view', () => ({ type: 'exportPng', view: 'settings', dataUrl: PNG }), CTX, 'exportPng.view', /'tokens', 'events', 'heads', 'pattern', 'circuits'/],
  ['export view missing', () => ({ type: 'exportPng', dataUrl: PNG }), CTX, 'exportPng.view', /missing/],
  ['perf mark too long', () => ({ type: 'perf', mark: 'x'.repeat(101), ms: 1 }), CTX, 'perf.mark', /at most 100/],
  ['perf mark not a string', () => ({ type: 'perf', mark: {}, ms: 1 }), CTX, 'perf.mark'],
  ['negative perf time', () => ({ type: 'perf', mark: 'a', ms: -1 }), CTX, 'perf.ms'],
  ['NaN perf time', () => ({ type: 'perf', mark: 'a', ms: NaN }), CTX, 'perf.ms'],
  ['infinite perf time', () => ({ type: 'perf', mark: 'a', ms: Infinity }), CTX, 'perf.ms'],
  ['perf time as a string', () => ({ type: 'perf', mark: 'a', ms: '5' }), CTX, 'perf.ms'],
  ['unknown type', () => ({ type: 'runShell', command: 'rm -rf /' }), CTX, 'type', /unknown message type "runShell"/],
  ['type "constructor"', () => ({ type: 'constructor' }), CTX, 'type', /unknown/],
  ['type "toString"', () => ({ type: 'toString' }), CTX, 'type', /unknown/],
  ['type "__proto__"', () => JSON.parse('{"type":"__proto__"}'), CTX, 'type', /unknown/],
  ['type "hasOwnProperty"', () => ({ type: 'hasOwnProperty' }), CTX, 'type', /unknown/],
  ['type differs in case', () => ({ type: 'Ready' }), CTX, 'type', /unknown/],
  ['type not a string', () => ({ type: 1 }), CTX, 'type', /expected a string/],
  ['type missing', () => ({ index: 1 }), CTX, 'type', /missing/],
  ['type only inherited', () => Object.create({ type: 'ready' }), CTX, 'type', /missing/],
  ['type behind a getter', () => ({ get type() { return 'ready'; } }), CTX, 'type', /getter/],
  ['null', () => null, CTX, 'message', /got null/],
  ['undefined', () => undefined, CTX, 'message', /got undefined/],
  ['a number', () => 42, CTX, 'message'],
  ['a string', () => 'ready', CTX, 'message'],
  ['a boolean', () => true, CTX, 'message'],
  ['an array', () => [{ type: 'ready' }], CTX, 'message', /array/],
  ['a typed array', () => new Uint8Array(4), CTX, 'message', /Uint8Array/],
  ['a function', () => () => 'ready', CTX, 'message'],
];

for (const [name, make, ctx, field, detail] of INVALID_PANEL) {
  test(`panel → host rejects ${name}, naming ${field}`, () => {
    rejected(validatePanelToHost(make(), ctx), field, detail);
  });
}

test('panel → host: __proto__ and constructor keys are not copied; nothing is polluted', () => {
  const raw = JSON.parse('{"type":"selectHead","head":{"layer":1,"head":2,"__proto__":{"polluted":true}},"__proto__":{"polluted":true},"constructor":{"prototype":{"polluted":true}}}');
  assert.ok(Object.prototype.hasOwnProperty.call(raw, '__proto__'), 'JSON.parse makes an own __proto__ key');
  const msg = accepted(validatePanelToHost(raw, CTX));
  assert.deepStrictEqual(msg, { type: 'selectHead', head: { layer: 1, head: 2 } });
  for (const o of [msg, (msg as { head: object }).head]) {
    assert.equal(Object.getPrototypeOf(o), Object.prototype);
    assert.ok(!Object.prototype.hasOwnProperty.call(o, '__proto__'));
    assert.ok(!Object.prototype.hasOwnProperty.call(o, 'constructor'));
    assert.equal((o as { polluted?: unknown }).polluted, undefined);
  }
  assert.equal(({} as { polluted?: unknown }).polluted, undefined);
});

test('panel → host: extra fields are dropped, including type-confused ones', () => {
  const msg = accepted(validatePanelToHost({ type: 'revealToken', index: 3, extra: 'x', then: () => 1, toJSON: 5, length: 'a' }, CTX));
  assert.deepStrictEqual(msg, { type: 'revealToken', index: 3 });
  const perf = accepted(validatePanelToHost({ type: 'perf', mark: 'm', ms: 1, get boom(): number { throw new Error('read'); } }, CTX));
  assert.deepStrictEqual(perf, { type: 'perf', mark: 'm', ms: 1 });
});

test('panel → host: the mask is a fresh array of plain 0 and 1 (-0 becomes 0)', () => {
  const mask = [-0, ...ones(15)];
  const msg = accepted(validatePanelToHost({ type: 'setMask', mask }, CTX)) as Extract<PanelToHost, { type: 'setMask' }>;
  assert.notStrictEqual(msg.mask, mask);
  assert.ok(Object.is(msg.mask[0], 0));
});

test('panel → host: a hostile Proxy is reported, not thrown', () => {
  const hostile = new Proxy({}, { getOwnPropertyDescriptor() { throw new Error('trap'); }, get() { throw new Error('trap'); } });
  rejected(validatePanelToHost(hostile, CTX), 'message', /could not be read/);
  const revoked = Proxy.revocable({}, {});
  revoked.revoke();
  rejected(validatePanelToHost(revoked.proxy, CTX), 'message');
});

// ---- Worker → host -----------------------------------------------------------------------------

const EXPECT: ResultExpectation = { batch: 2, seq: 3, dVocab: 5, nLayers: 2, nHeads: 2, dModel: 4, wantAttentions: true };
const N_LOGITS = 2 * 3 * 5;
const N_ATTN = 2 * 2 * 2 * 3 * 3;

function result(over: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    type: 'result',
    requestId: 7,
    logits: new Float32Array(N_LOGITS),
    attentions: new Float32Array(N_ATTN),
    logsumexp: new Float32Array(6),
    topK: { k: 2, values: new Float32Array(12), ids: Int32Array.from({ length: 12 }, (_, i) => i % 5) },
    runMs: 4.25,
    ...over,
  };
}

function circuits(): PanelCircuits {
  return {
    previousTokenQK: { head: { layer: 0, head: 1 }, subDiagonalMass: 0.93, pattern: { shape: [3, 3], data: new Float32Array(9) } },
    kCompositionPattern: { previousHead: { layer: 0, head: 1 }, inductionHead: { layer: 1, head: 0 }, scores: { shape: [4, 4], data: new Float32Array(16) }, maxAbs: 0 },
    ovCircuit: { head: { layer: 1, head: 0 }, tokens: ['a', ' b'], matrix: { shape: [2, 2], data: Float32Array.from([1, 0, 0, 1]) }, standardized: { shape: [2, 2], data: Float32Array.from([1, -1, -1, 1]) }, diagonalMaxRows: 2 },
    copying: [{ layer: 1, head: 0, eigenCopyingScore: 0.8, top1Accuracy: NaN }],
    kComposition: { scores: [[0.1, 0.2], [0.3, 0.4]], baseline: 0.05 },
  };
}

const VALID_FROM_WORKER: [string, FromWorker, ResultExpectation?][] = [
  ['loaded', { type: 'loaded', requestId: 1, loadMs: 120.5, dims: { nLayers: 2, nHeads: 8, dVocab: 2048, dModel: 128 } }],
  ['result with everything', result() as FromWorker, EXPECT],
  ['result without the optional fields', { type: 'result', requestId: 2, logits: new Float32Array(N_LOGITS), attentions: null, runMs: 0 }, { ...EXPECT, wantAttentions: false }],
  ['result without expected sizes', result({ logits: new Float32Array(1), attentions: null, logsumexp: new Float32Array(1) }) as FromWorker],
  ['pong', { type: 'pong', requestId: 3 }],
  ['opened', { type: 'opened', requestId: 4, parts: { folder: { dir: '/m' }, tokenizerJson: { model: {} }, hash: 'abc' } }],
  ['inspected', { type: 'inspected', requestId: 5, summary: { id: 'm', nLayers: 2, nHeads: 8, nCtx: 512, kind: 'attention-only' } }],
  ['circuits', { type: 'circuits', requestId: 4, circuits: circuits() }],
  ['unloaded', { type: 'unloaded', requestId: 5 }],
  ['pong', { type: 'pong', requestId: Number.MAX_SAFE_INTEGER }],
  ['error', { type: 'error', requestId: 6, message: 'the model folder has no weights' }],
  ['error with the longest message', { type: 'error', requestId: 6, message: 'x'.repeat(10_000) }],
];

for (const [name, m, expect] of VALID_FROM_WORKER) {
  test(`worker → host: a valid ${name} passes and is rebuilt field for field`, () => {
    const msg = accepted(validateFromWorker(m, expect));
    assert.deepStrictEqual(msg, m);
    assert.notStrictEqual(msg, m);
  });
}

test('worker → host: typed arrays are passed on, not copied', () => {
  const raw = result();
  const msg = accepted(validateFromWorker(raw, EXPECT)) as Extract<FromWorker, { type: 'result' }>;
  assert.strictEqual(msg.logits, raw.logits);
  assert.strictEqual(msg.attentions, raw.attentions);
});

test('worker → host: an optional field sent as undefined (structured clone keeps it) is left out', () => {
  const msg = accepted(validateFromWorker(result({ logsumexp: undefined, topK: undefined }), EXPECT));
  assert.ok(!('logsumexp' in msg) && !('topK' in msg));
});

/** An object that claims to be a Float32Array. */
const fakeF32 = () => Object.create(Float32Array.prototype, { length: { value: N_LOGITS }, [Symbol.toStringTag]: { value: 'Float32Array' } });

const INVALID_FROM_WORKER: [string, unknown, ResultExpectation | undefined, string, RegExp?][] = [
  ['logits one short', result({ logits: new Float32Array(N_LOGITS - 1) }), EXPECT, 'result.logits', /2×3×5 = 30 values, got 29/],
  ['logits one too many', result({ logits: new Float32Array(N_LOGITS + 1) }), EXPECT, 'result.logits'],
  ['logits as a Float64Array', result({ logits: new Float64Array(N_LOGITS) }), EXPECT, 'result.logits', /Float64Array/],
  ['logits as a plain array', result({ logits: new Array(N_LOGITS).fill(0) }), EXPECT, 'result.logits', /an array/],
  ['logits as a fake Float32Array', result({ logits: fakeF32() }), EXPECT, 'result.logits'],
  ['logits null', result({ logits: null }), EXPECT, 'result.logits'],
  ['logits missing', (() => { const r = result(); delete r.logits; return r; })(), EXPECT, 'result.logits', /missing/],
  ['attentions missing when wanted', result({ attentions: null }), EXPECT, 'result.attentions', /requested/],
  ['attentions field absent', (() => { const r = result(); delete r.attentions; return r; })(), EXPECT, 'result.attentions', /missing/],
  ['attentions of the wrong length', result({ attentions: new Float32Array(N_ATTN - 3) }), EXPECT, 'result.attentions', /72 values, got 69/],
  ['attentions of the wrong length when not wanted', result({ attentions: new Float32Array(5) }), { ...EXPECT, wantAttentions: false }, 'result.attentions'],
  ['attentions as an Int32Array', result({ attentions: new Int32Array(N_ATTN) }), EXPECT, 'result.attentions'],
  ['logsumexp of the wrong length', result({ logsumexp: new Float32Array(5) }), EXPECT, 'result.logsumexp'],
  ['logsumexp null', result({ logsumexp: null }), EXPECT, 'result.logsumexp'],
  ['topK values and ids of different lengths', result({ topK: { k: 2, values: new Float32Array(12), ids: new Int32Array(10) } }), undefined, 'result.topK', /values has 12 entries but ids has 10/],
  ['topK lengths differ, with sizes', result({ topK: { k: 2, values: new Float32Array(12), ids: new Int32Array(11) } }), EXPECT, 'result.topK'],
  ['topK not a multiple of k', result({ topK: { k: 5, values: new Float32Array(12), ids: new Int32Array(12) } }), undefined, 'result.topK'],
  ['topK of the wrong size', result({ topK: { k: 3, values: new Float32Array(12), ids: new Int32Array(12) } }), EXPECT, 'result.topK.values'],
  ['topK id past the vocabulary', result({ topK: { k: 2, values: new Float32Array(12), ids: Int32Array.from({ length: 12 }, (_, i) => (i === 4 ? 5 : 0)) } }), EXPECT, 'result.topK.ids[4]'],
  ['topK negative id', result({ topK: { k: 2, values: new Float32Array(12), ids: Int32Array.from({ length: 12 }, (_, i) => (i === 0 ? -1 : 0)) } }), EXPECT, 'result.topK.ids[0]'],
  ['topK k = 0', result({ topK: { k: 0, values: new Float32Array(0), ids: new Int32Array(0) } }), undefined, 'result.topK.k'],
  ['topK ids as a Float32Array', result({ topK: { k: 2, values: new Float32Array(12), ids: new Float32Array(12) } }), undefined, 'result.topK.ids'],
  ['runMs NaN', result({ runMs: NaN }), EXPECT, 'result.runMs'],
  ['runMs missing', (() => { const r = result(); delete r.runMs; return r; })(), EXPECT, 'result.runMs', /missing/],
  ['requestId 0', { type: 'pong', requestId: 0 }, undefined, 'pong.requestId'],
  ['requestId negative', { type: 'pong', requestId: -3 }, undefined, 'pong.requestId'],
  ['requestId fractional', { type: 'pong', requestId: 1.5 }, undefined, 'pong.requestId'],
  ['requestId past the safe integers', { type: 'pong', requestId: 2 ** 53 }, undefined, 'pong.requestId'],
  ['requestId as a string', { type: 'unloaded', requestId: '5' }, undefined, 'unloaded.requestId', /a string/],
  ['requestId missing', { type: 'unloaded' }, undefined, 'unloaded.requestId', /missing/],
  ['loadMs infinite', { type: 'loaded', requestId: 1, loadMs: Infinity, dims: { nLayers: 2, nHeads: 8, dVocab: 2048 } }, undefined, 'loaded.loadMs'],
  ['error message not a string', { type: 'error', requestId: 1, message: { text: 'boom' } }, undefined, 'error.message', /expected a string/],
  ['error message a number', { type: 'error', requestId: 1, message: 404 }, undefined, 'error.message'],
  ['error message missing', { type: 'error', requestId: 1 }, undefined, 'error.message', /missing/],
  ['error message too long', { type: 'error', requestId: 1, message: 'x'.repeat(10_001) }, undefined, 'error.message', /at most 10000/],
  ['circuits null', { type: 'circuits', requestId: 1, circuits: null }, undefined, 'circuits.circuits'],
  ['circuits without kComposition', { type: 'circuits', requestId: 1, circuits: (({ kComposition, ...rest }) => rest)(circuits()) }, undefined, 'circuits.circuits.kComposition', /missing/],
  ['circuits with kComposition undefined', { type: 'circuits', requestId: 1, circuits: { ...circuits(), kComposition: undefined } }, undefined, 'circuits.circuits.kComposition', /got undefined/],
  ['circuits matrix data of the wrong length', { type: 'circuits', requestId: 1, circuits: { ...circuits(), previousTokenQK: { ...circuits().previousTokenQK, pattern: { shape: [3, 3], data: new Float32Array(8) } } } }, undefined, 'circuits.circuits.previousTokenQK.pattern.data', /3×3 = 9 values, got 8/],
  ['circuits matrix shape not a pair', { type: 'circuits', requestId: 1, circuits: { ...circuits(), kCompositionPattern: { ...circuits().kCompositionPattern, scores: { shape: [16], data: new Float32Array(16) } } } }, undefined, 'circuits.circuits.kCompositionPattern.scores.shape'],
  ['circuits matrix data as an array', { type: 'circuits', requestId: 1, circuits: { ...circuits(), ovCircuit: { ...circuits().ovCircuit, matrix: { shape: [2, 2], data: [1, 0, 0, 1] } } } }, undefined, 'circuits.circuits.ovCircuit.matrix.data'],
  ['circuits OV matrix not one row per token', { type: 'circuits', requestId: 1, circuits: { ...circuits(), ovCircuit: { ...circuits().ovCircuit, tokens: ['a'] } } }, undefined, 'circuits.circuits.ovCircuit.matrix'],
  ['circuits token not a string', { type: 'circuits', requestId: 1, circuits: { ...circuits(), ovCircuit: { ...circuits().ovCircuit, tokens: ['a', 2] } } }, undefined, 'circuits.circuits.ovCircuit.tokens[1]'],
  ['circuits copying not an array', { type: 'circuits', requestId: 1, circuits: { ...circuits(), copying: {} } }, undefined, 'circuits.circuits.copying'],
  ['circuits kComposition row not numbers', { type: 'circuits', requestId: 1, circuits: { ...circuits(), kComposition: { scores: [[0.1], ['x']], baseline: 0 } } }, undefined, 'circuits.circuits.kComposition.scores[1][0]'],
  ['unknown type', { type: 'shellOutput', requestId: 1 }, undefined, 'type', /unknown message type "shellOutput"/],
  ['a ToWorker message', { type: 'ping', requestId: 1 }, undefined, 'type', /unknown/],
  ['null', null, undefined, 'message'],
  ['an array', [], undefined, 'message'],
  ['a string', 'pong', undefined, 'message'],
];

for (const [name, raw, expect, field, detail] of INVALID_FROM_WORKER) {
  test(`worker → host rejects ${name}, naming ${field}`, () => {
    rejected(validateFromWorker(raw, expect), field, detail);
  });
}

test('worker → host: the expected sizes apply only to results', () => {
  accepted(validateFromWorker({ type: 'pong', requestId: 1 }, EXPECT));
  accepted(validateFromWorker({ type: 'error', requestId: 1, message: 'x' }, EXPECT));
});

// ---- Host → worker -----------------------------------------------------------------------------

const VALID_TO_WORKER: [string, ToWorker][] = [
  ['open', { type: 'open', requestId: 7, modelDir: '/m' }],
  ['inspect', { type: 'inspect', requestId: 8, modelDir: '/m' }],
  ['cancel', { type: 'cancel', requestId: 9 }],
  ['load', { type: 'load', requestId: 1, modelDir: '/models/attn-only-2l' }],
  ['load with threads', { type: 'load', requestId: 1, modelDir: 'C:\\models\\m', threads: 4 }],
  ['forward', { type: 'forward', requestId: 2, modelDir: '/m', ids: new Int32Array(6), batch: 2, seq: 3, wantAttentions: false }],
  ['forward with a head mask', { type: 'forward', requestId: 2, modelDir: '/m', ids: new Int32Array(65_536), batch: 1, seq: 65_536, headMask: new Float32Array(16), wantAttentions: true }],
  ['unload', { type: 'unload', requestId: 3, modelDir: '/m' }],
  ['circuits', { type: 'circuits', requestId: 4, modelDir: '/m', previousHead: { layer: 0, head: 7 }, inductionHead: { layer: 1, head: 4 } }],
  ['ping', { type: 'ping', requestId: 5 }],
  ['crashForTest', { type: 'crashForTest', requestId: 6, how: 'oom' }],
];

for (const [name, m] of VALID_TO_WORKER) {
  test(`host → worker: a valid ${name} passes and is rebuilt field for field`, () => {
    const msg = accepted(validateToWorker(m));
    assert.deepStrictEqual(msg, m);
    assert.notStrictEqual(msg, m);
  });
}

test('host → worker: threads and headMask sent as undefined (as WorkerPool does) are left out', () => {
  assert.deepStrictEqual(accepted(validateToWorker({ type: 'load', requestId: 1, modelDir: '/m', threads: undefined })), { type: 'load', requestId: 1, modelDir: '/m' });
  const ids = new Int32Array(3);
  assert.deepStrictEqual(
    accepted(validateToWorker({ type: 'forward', requestId: 1, modelDir: '/m', ids, batch: 1, seq: 3, headMask: undefined, wantAttentions: true })),
    { type: 'forward', requestId: 1, modelDir: '/m', ids, batch: 1, seq: 3, wantAttentions: true },
  );
});

const forward = (over: Record<string, unknown>) => ({ type: 'forward', requestId: 2, modelDir: '/m', ids: new Int32Array(6), batch: 2, seq: 3, wantAttentions: false, ...over });

const INVALID_TO_WORKER: [string, unknown, string, RegExp?][] = [
  ['ids shorter than batch×seq', forward({ ids: new Int32Array(5) }), 'forward.ids', /2×3 = 6 values, got 5/],
  ['ids as a Float32Array', forward({ ids: new Float32Array(6) }), 'forward.ids', /Int32Array/],
  ['ids as a plain array', forward({ ids: [1, 2, 3, 4, 5, 6] }), 'forward.ids'],
  ['ids as a Uint32Array', forward({ ids: new Uint32Array(6) }), 'forward.ids'],
  ['batch 0', forward({ batch: 0 }), 'forward.batch'],
  ['batch fractional', forward({ batch: 1.5 }), 'forward.batch'],
  ['seq 0', forward({ seq: 0 }), 'forward.seq'],
  ['seq past 65,536', forward({ seq: 65_537, batch: 1, ids: new Int32Array(65_537) }), 'forward.seq', /65536/],
  ['seq as a string', forward({ seq: '3' }), 'forward.seq'],
  ['headMask as a plain array', forward({ headMask: ones(16) }), 'forward.headMask'],
  ['headMask null', forward({ headMask: null }), 'forward.headMask'],
  ['wantAttentions as a string', forward({ wantAttentions: 'true' }), 'forward.wantAttentions', /boolean/],
  ['wantAttentions missing', forward({ wantAttentions: undefined }), 'forward.wantAttentions', /missing|boolean/],
  ['modelDir empty', { type: 'load', requestId: 1, modelDir: '' }, 'load.modelDir', /non-empty/],
  ['modelDir not a string', { type: 'unload', requestId: 1, modelDir: ['/m'] }, 'unload.modelDir'],
  ['threads negative', { type: 'load', requestId: 1, modelDir: '/m', threads: -1 }, 'load.threads'],
  ['threads as a string', { type: 'load', requestId: 1, modelDir: '/m', threads: '4' }, 'load.threads'],
  ['circuits head without its head index', { type: 'circuits', requestId: 1, modelDir: '/m', previousHead: { layer: 0 }, inductionHead: { layer: 1, head: 0 } }, 'circuits.previousHead.head', /missing/],
  ['circuits negative layer', { type: 'circuits', requestId: 1, modelDir: '/m', previousHead: { layer: 0, head: 0 }, inductionHead: { layer: -1, head: 0 } }, 'circuits.inductionHead.layer'],
  ['crashForTest with an unknown way', { type: 'crashForTest', requestId: 1, how: 'segfault' }, 'crashForTest.how', /'exit', 'oom'/],
  ['ping without a requestId', { type: 'ping' }, 'ping.requestId', /missing/],
  ['unknown type', { type: 'eval', requestId: 1, code: 'process.exit()' }, 'type', /unknown/],
  ['a FromWorker message', { type: 'pong', requestId: 1 }, 'type', /unknown/],
  ['null', null, 'message'],
  ['a number', 3, 'message'],
];

for (const [name, raw, field, detail] of INVALID_TO_WORKER) {
  test(`host → worker rejects ${name}, naming ${field}`, () => {
    rejected(validateToWorker(raw), field, detail);
  });
}

// ---- Random junk -------------------------------------------------------------------------------

/** mulberry32: a small deterministic PRNG, so a failure can be replayed. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const TYPES = ['ready', 'selectHead', 'revealToken', 'setMask', 'requestCircuits', 'exportJson', 'exportPng', 'perf', 'loaded', 'result', 'circuits', 'opened', 'inspected', 'cancel', 'open', 'inspect', 'unloaded', 'pong', 'error', 'load', 'forward', 'unload', 'ping', 'crashForTest', 'constructor', '__proto__', 'toString', ''];
const KEYS = ['type', 'head', 'layer', 'index', 'mask', 'view', 'dataUrl', 'mark', 'ms', 'requestId', 'loadMs', 'logits', 'attentions', 'logsumexp', 'topK', 'k', 'values', 'ids', 'runMs', 'circuits', 'message', 'modelDir', 'threads', 'batch', 'seq', 'headMask', 'wantAttentions', 'previousHead', 'inductionHead', 'how', 'shape', 'data', '__proto__', 'constructor', 'prototype', 'length', '0'];

function junkMaker(rand: () => number) {
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)];
  const small = () => Math.floor(rand() * 20) - 3;
  const scalar = (): unknown =>
    pick<() => unknown>([
      () => null,
      () => undefined,
      () => rand() < 0.5,
      small,
      () => rand() * 100 - 50,
      () => pick([NaN, Infinity, -Infinity, -0, 2 ** 53, -(2 ** 31), Number.MAX_VALUE, Number.EPSILON]),
      () => pick(TYPES),
      () => pick(KEYS),
      () => pick(['', '1', 'NaN', 'data:image/png;base64,AAAA', 'data:image/png;base64,@@', 'tokens', 'exit', 'x'.repeat(101), '\u0000\uffff\ud800']),
      () => BigInt(small()),
      () => Symbol('junk'),
      () => () => 1,
    ])();
  const typed = (): unknown => {
    const n = Math.floor(rand() * 40);
    return new (pick([Float32Array, Int32Array, Float64Array, Uint8Array, Uint32Array, Int16Array]))(n).map(() => small());
  };
  const value = (depth: number): unknown => {
    const r = rand();
    if (depth <= 0 || r < 0.45) return scalar();
    if (r < 0.6) return typed();
    if (r < 0.75) return Array.from({ length: Math.floor(rand() * (rand() < 0.2 ? 20 : 5)) }, () => (rand() < 0.5 ? pick([0, 1]) : value(depth - 1)));
    return object(depth - 1);
  };
  const object = (depth: number): Record<string, unknown> => {
    // Object.defineProperty, so that '__proto__' becomes an own key as JSON.parse makes it.
    const o: Record<string, unknown> = {};
    const n = Math.floor(rand() * 6);
    for (let i = 0; i < n; i++) Object.defineProperty(o, pick(KEYS), { value: value(depth), enumerable: true, configurable: true, writable: true });
    return o;
  };
  return { pick, value, object, rand };
}

/** A copy of `m` with one field (perhaps nested) replaced by junk, deleted, or junk added. */
function mutate(m: unknown, j: ReturnType<typeof junkMaker>): unknown {
  if (m === null || typeof m !== 'object' || ArrayBuffer.isView(m)) return j.rand() < 0.5 ? j.value(2) : m;
  const copy: Record<string, unknown> = Array.isArray(m) ? ([...m] as unknown as Record<string, unknown>) : { ...(m as Record<string, unknown>) };
  const keys = Object.keys(copy);
  const r = j.rand();
  if (keys.length && r < 0.4) {
    const k = j.pick(keys);
    copy[k] = mutate(copy[k], j);
  } else if (keys.length && r < 0.7) {
    copy[j.pick(keys)] = j.value(2);
  } else if (keys.length && r < 0.85) {
    delete copy[j.pick(keys)];
  } else {
    Object.defineProperty(copy, j.pick(KEYS), { value: j.value(2), enumerable: true, configurable: true, writable: true });
  }
  return copy;
}

const ALLOWED_KEYS: Record<string, string[]> = {};
for (const m of [...VALID_PANEL, ...VALID_FROM_WORKER.map((x) => x[1]), result(), ...VALID_TO_WORKER.map((x) => x[1])]) {
  ALLOWED_KEYS[m.type as string] = [...new Set([...(ALLOWED_KEYS[m.type as string] ?? []), ...Object.keys(m)])];
}
ALLOWED_KEYS.load.push('threads');
ALLOWED_KEYS.forward.push('headMask');

function checkOutcome(r: Validation<{ type: string }>, again: () => Validation<unknown>, what: string): boolean {
  assert.equal(typeof r.ok, 'boolean', what);
  if (!r.ok) {
    assert.equal(typeof r.reason, 'string', what);
    assert.ok(r.reason.length > 0 && r.reason.length < 400, `${what}: reason of ${r.reason.length} characters`);
    assert.match(r.reason, /^[\w.[\]]+: /, `${what}: the reason starts with a field: ${r.reason}`);
    return false;
  }
  assert.equal(Object.getPrototypeOf(r.msg), Object.prototype, what);
  for (const k of Object.keys(r.msg)) assert.ok(ALLOWED_KEYS[r.msg.type].includes(k), `${what}: ${r.msg.type} passed with an undeclared field ${k}`);
  assert.ok(!Object.prototype.hasOwnProperty.call(r.msg, '__proto__'), what);
  assert.ok(again().ok, `${what}: what passed once passes again`);
  return true;
}

test('2,000 random junk values per validator: none throws, each returns ok or a reason naming a field', (t) => {
  const j = junkMaker(prng(0x5eed));
  const validPanel = VALID_PANEL.filter((m) => m.type !== 'exportPng' || j.rand() < 0.3);
  const validFrom = [...VALID_FROM_WORKER.map((x) => x[1]), result()];
  const validTo = VALID_TO_WORKER.map((x) => x[1]);
  const raw = (valid: readonly object[]) => {
    const r = j.rand();
    if (r < 0.3) return j.value(4);
    if (r < 0.5) return Object.assign(j.object(3), { type: j.pick(TYPES) });
    return mutate(j.pick(valid), j);
  };
  const passed = { panel: 0, from: 0, to: 0 };
  for (let i = 0; i < 2000; i++) {
    const p = raw(validPanel);
    const ctx = j.rand() < 0.2 ? null : j.rand() < 0.8 ? CTX : { nLayers: Math.floor(j.rand() * 4), nHeads: Math.floor(j.rand() * 9), nTokens: Math.floor(j.rand() * 12) };
    if (checkOutcome(validatePanelToHost(p, ctx), () => validatePanelToHost(p, ctx), `panel #${i}`)) passed.panel++;

    const f = raw(validFrom);
    const expect = j.rand() < 0.5 ? undefined : EXPECT;
    if (checkOutcome(validateFromWorker(f, expect), () => validateFromWorker(f, expect), `from worker #${i}`)) passed.from++;

    const t = raw(validTo);
    if (checkOutcome(validateToWorker(t), () => validateToWorker(t), `to worker #${i}`)) passed.to++;
  }
  // The mutations leave some messages valid (an extra key, a field replaced by an equal one), so
  // both outcomes are exercised; most junk fails.
  t.diagnostic(`passed: panel ${passed.panel}, from worker ${passed.from}, to worker ${passed.to} (of 2000 each)`);
  for (const [k, n] of Object.entries(passed)) assert.ok(n > 20 && n < 1500, `${k}: ${n} of 2000 passed`);
});
