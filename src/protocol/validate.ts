// Runtime validation of every message that crosses a trust boundary: panel → host (the webview
// is untrusted), worker → host and host → worker (a bug or a crash on the other side must not
// turn into a confusing failure far from its cause). No dependencies beyond this folder.
//
// Validators are small functions that compose: each takes the raw value, the path of that value
// (for the reason) and a context (sizes the message must agree with), and returns either a fresh
// value built from the validated fields or a reason naming the field. Objects are rebuilt from
// their declared fields only, read as own data properties: undeclared fields, `__proto__`,
// `constructor` and getters never get through. Typed arrays are passed on as they are (no copy).
//
// Adding a message variant: add it to the type in panel.ts / worker.ts, then one entry in the
// matching table below (PANEL_TO_HOST, FROM_WORKER, TO_WORKER); the tables are typed so that a
// variant without an entry, or an entry that does not build the variant's fields, does not compile.
import type { HeadRef, Matrix, PanelCircuits, PanelToHost } from './panel';
import type { FromWorker, ToWorker } from './worker';
import { pass, fail, describe, element, isRecord, literal, int, num, anyNum, str, bool, f32, i32, optional, nullable, obj, arrayOf, tuple2, refine, withCtx, oneOf, run, type Validation, type Validator } from './validators';

export type { Validation, Validator } from './validators';

// ---- Shared pieces -----------------------------------------------------------------------------

const MAX_INT32 = 2 ** 31 - 1;
/** A request id: a positive safe integer. */
export const requestId = int(1, Number.MAX_SAFE_INTEGER);
/** A head by position, without knowing the model: non-negative integers. */
export const headRef: Validator<HeadRef> = obj({ layer: int(0, MAX_INT32), head: int(0, MAX_INT32) });
/** A [rows, cols] matrix whose data has rows*cols values. */
export const matrix: Validator<Matrix> = refine(obj({ shape: tuple2(int(0, MAX_INT32), int(0, MAX_INT32)), data: f32() }), (m) =>
  m.data.length === m.shape[0] * m.shape[1] ? null : `data: expected ${m.shape[0]}×${m.shape[1]} = ${m.shape[0] * m.shape[1]} values, got ${m.data.length}`,
);

/** The circuits the worker computes for the panel (top-level shape, matrix sizes). */
export const panelCircuits: Validator<PanelCircuits> = obj({
  previousTokenQK: obj({ head: headRef, subDiagonalMass: anyNum, pattern: matrix }),
  kCompositionPattern: obj({ previousHead: headRef, inductionHead: headRef, scores: matrix, maxAbs: anyNum, bos: optional(bool) }),
  ovCircuit: refine(obj({ head: headRef, tokens: arrayOf(str(10_000), { max: 100_000 }), matrix, standardized: matrix, diagonalMaxRows: int(0, MAX_INT32) }), (o) =>
    [o.matrix, o.standardized].every((m) => m.shape[0] === o.tokens.length && m.shape[1] === o.tokens.length)
      ? null
      : `matrix: expected shape [${o.tokens.length}, ${o.tokens.length}] (one row and column per token), got [${o.matrix.shape}] and [${o.standardized.shape}]`,
  ),
  copying: arrayOf(obj({ layer: int(0, MAX_INT32), head: int(0, MAX_INT32), eigenCopyingScore: anyNum, top1Accuracy: anyNum }), { max: 100_000 }),
  kComposition: obj({ scores: arrayOf(arrayOf(anyNum, { max: 100_000 }), { max: 100_000 }), baseline: anyNum }),
});

// ---- Panel → host ------------------------------------------------------------------------------

/** What the host knows about the analysis the panel shows (null: none is shown). */
export interface PanelContext {
  nLayers: number;
  nHeads: number;
  nTokens: number;
}

export const EXPORT_VIEWS = ['tokens', 'events', 'heads', 'pattern', 'circuits'] as const;
export const MAX_DATA_URL = 50 * 2 ** 20;
export const PNG_DATA_URL_PREFIX = 'data:image/png;base64,';
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

const pngDataUrl: Validator<string> = (v, path, ctx) => {
  const r = str(MAX_DATA_URL)(v, path, ctx);
  if (!r.ok) return r;
  if (!r.value.startsWith(PNG_DATA_URL_PREFIX)) return fail(path, `expected a string starting with '${PNG_DATA_URL_PREFIX}', got ${describe(r.value.slice(0, 40))}…`);
  if (!BASE64.test(r.value.slice(PNG_DATA_URL_PREFIX.length))) return fail(path, `expected base64 after '${PNG_DATA_URL_PREFIX}'`);
  return r;
};

/** The head mask: exactly `n` numbers, each 0 or 1 (a fresh array). */
function mask01(n: number): Validator<number[]> {
  return (v, path) => {
    if (!Array.isArray(v)) return fail(path, `expected an array of ${n} values of 0 or 1, got ${describe(v)}`);
    if (v.length !== n) return fail(path, `expected ${n} values of 0 or 1, got ${v.length}`);
    const out: number[] = [];
    for (let i = 0; i < n; i++) {
      const x = element(v, i);
      if (x !== 0 && x !== 1) return fail(`${path}[${i}]`, `expected 0 or 1, got ${describe(x)}`);
      out.push(x === 0 ? 0 : 1);
    }
    return pass(out);
  };
}

const NO_ANALYSIS = 'no analysis is shown, so there is nothing to refer to';

const PANEL_TO_HOST = oneOf<PanelToHost, PanelContext | null>({
  ready: obj({}),
  selectHead: withCtx(NO_ANALYSIS, (c: PanelContext) => obj({ head: obj({ layer: int(0, c.nLayers - 1), head: int(0, c.nHeads - 1) }) })),
  revealToken: withCtx(NO_ANALYSIS, (c: PanelContext) => obj({ index: int(0, c.nTokens - 1) })),
  setMask: withCtx(NO_ANALYSIS, (c: PanelContext) => obj({ mask: mask01(c.nLayers * c.nHeads) })),
  requestCircuits: obj({}),
  testPath: withCtx(NO_ANALYSIS, (c: PanelContext) => refine(obj({
    path: obj({
      sender: obj({ layer: int(0, c.nLayers - 1), head: int(0, c.nHeads - 1) }),
      receiver: obj({ layer: int(0, c.nLayers - 1), head: int(0, c.nHeads - 1) }),
      path: literal('q', 'k', 'v'), mode: literal('zero', 'mean'), norm: literal('recompute', 'frozen'),
    }),
  }), (m) => (m.path.receiver.layer > m.path.sender.layer ? null : 'path: the receiver must be in a later layer than the sender'))),
  paintDisappeared: obj({}),
  exportJson: obj({}),
  exportPng: obj({ view: literal(...EXPORT_VIEWS), dataUrl: pngDataUrl }),
  perf: obj({ mark: str(100), ms: num(0) }),
});

/** A message from the panel's webview, checked against the analysis it shows (null: none). */
export function validatePanelToHost(raw: unknown, ctx: PanelContext | null): Validation<PanelToHost> {
  return run(PANEL_TO_HOST, raw, ctx);
}

// ---- Worker → host -----------------------------------------------------------------------------

/** The sizes a 'result' must have: those of the forward request it answers. */
export interface ResultExpectation {
  batch: number;
  seq: number;
  dVocab: number;
  nLayers: number;
  nHeads: number;
  dModel: number;
  wantAttentions: boolean;
  /** Rows asked for (attention on demand), if any, and attribution pairs. */
  rows?: number;
  pairs?: number;
}

type ResultFields = Omit<Extract<FromWorker, { type: 'result' }>, 'type'>;

/** Sizes a result has whatever was asked: top-k values and ids agree. */
function resultShape(m: ResultFields): string | null {
  if (m.topK) {
    const { k, values, ids } = m.topK;
    if (values.length !== ids.length) return `topK: values has ${values.length} entries but ids has ${ids.length}`;
    if (values.length % k !== 0) return `topK: ${values.length} values are not a whole number of rows of k = ${k}`;
  }
  return null;
}

/** Sizes a result must have for the request it answers. */
function resultSizes(m: ResultFields, e: ResultExpectation): string | null {
  const rows = e.batch * e.seq;
  if (m.logits.length !== rows * e.dVocab) return `logits: expected ${e.batch}×${e.seq}×${e.dVocab} = ${rows * e.dVocab} values, got ${m.logits.length}`;
  const nAttn = e.batch * e.nLayers * e.nHeads * e.seq * e.seq;
  const attnDims = `${e.batch}×${e.nLayers}×${e.nHeads}×${e.seq}×${e.seq} = ${nAttn}`;
  if (e.wantAttentions && m.attentions === null) return `attentions: expected a Float32Array of ${attnDims} values (attentions were requested), got null`;
  if (m.attentions !== null && m.attentions.length !== nAttn) return `attentions: expected ${attnDims} values, got ${m.attentions.length}`;
  const heads = e.batch * e.nLayers * e.nHeads;
  if (e.rows !== undefined && (!m.attnRows || !m.prevAttn)) return `attnRows and prevAttn: expected for the ${e.rows} rows asked, got none`;
  if (m.attnRows && m.attnRows.length !== heads * (e.rows ?? -1) * e.seq) return `attnRows: expected ${heads}×${e.rows ?? 0}×${e.seq} values, got ${m.attnRows.length}`;
  if (m.dla && m.dla.length !== heads * (e.pairs ?? -1)) return `dla: expected ${heads}×${e.pairs ?? 0} values, got ${m.dla.length}`;
  if (m.prevAttn && m.prevAttn.length !== heads * e.seq) return `prevAttn: expected ${heads}×${e.seq} values, got ${m.prevAttn.length}`;
  if (m.resid && m.resid.length !== rows * e.dModel) return `resid: expected ${e.batch}×${e.seq}×${e.dModel} = ${rows * e.dModel} values, got ${m.resid.length}`;
  if (m.logsumexp && m.logsumexp.length !== rows) return `logsumexp: expected ${e.batch}×${e.seq} = ${rows} values, got ${m.logsumexp.length}`;
  if (m.topK) {
    const { k, values, ids } = m.topK;
    if (k > e.dVocab) return `topK.k: expected at most d_vocab = ${e.dVocab}, got ${k}`;
    if (values.length !== rows * k) return `topK.values: expected ${e.batch}×${e.seq}×${k} = ${rows * k} values, got ${values.length}`;
    for (let i = 0; i < ids.length; i++) {
      if (ids[i] < 0 || ids[i] >= e.dVocab) return `topK.ids[${i}]: expected a token id in [0, ${e.dVocab - 1}], got ${ids[i]}`;
    }
  }
  return null;
}

/** A plain object passed on as it is; its reader checks it (assembleModel re-validates the model). */
const opaqueObject: Validator<unknown> = (v, path) => (isRecord(v) && !Array.isArray(v) ? pass(v) : fail(path, `expected an object, got ${describe(v)}`));

const FROM_WORKER = oneOf<FromWorker, ResultExpectation | undefined>({
  progress: obj({ requestId, stage: literal('reading', 'building', 'session'), done: optional(num(0)), total: optional(num(0)) }),
  opened: obj({ requestId, parts: obj({ folder: opaqueObject, tokenizerJson: opaqueObject, hash: str(200) }) }),
  inspected: obj({ requestId, summary: obj({ id: str(1000), nLayers: int(1, 4096), nHeads: int(1, 4096), nCtx: int(1, 1 << 24), kind: str(1000) }) }),
  loaded: obj({ requestId, loadMs: num(0), dims: obj({ nLayers: int(1, 4096), nHeads: int(1, 4096), dVocab: int(1, 1 << 24), dModel: int(1, 1 << 20) }) }),
  result: refine(
    obj({
      requestId,
      logits: f32(),
      attentions: nullable(f32()),
      logsumexp: optional(f32()),
      topK: optional(obj({ k: int(1, MAX_INT32), values: f32(), ids: i32() })),
      resid: optional(f32()),
      attnRows: optional(f32()),
      prevAttn: optional(f32()),
      dla: optional(f32()),
      runMs: num(0),
    }),
    (m, expect: ResultExpectation | undefined) => resultShape(m) ?? (expect ? resultSizes(m, expect) : null),
  ),
  circuits: obj({ requestId, circuits: panelCircuits }),
  unloaded: obj({ requestId }),
  pong: obj({ requestId }),
  error: obj({ requestId, message: str(10_000) }),
});

/**
 * A message from the inference worker. With `expect` (the sizes of the forward request it
 * answers), a 'result' must also have those sizes; other types ignore it.
 */
export function validateFromWorker(raw: unknown, expect?: ResultExpectation): Validation<FromWorker> {
  return run(FROM_WORKER, raw, expect);
}

// ---- Host → worker -----------------------------------------------------------------------------

export const MAX_SEQ = 65_536;
const modelDir = str(32_768, 1);

const TO_WORKER = oneOf<ToWorker, undefined>({
  open: obj({ requestId, modelDir }),
  cancel: obj({ requestId }),
  inspect: obj({ requestId, modelDir }),
  load: obj({ requestId, modelDir, stamp: optional(str(200)), threads: optional(int(0, 1024)) }),
  forward: refine(
    obj({
      requestId,
      modelDir,
      stamp: optional(str(200)),
      ids: i32(),
      batch: int(1),
      seq: int(1, MAX_SEQ),
      headMask: optional(f32()),
      wantAttentions: bool,
      residAt: optional(int(1, 4096)),
      from: optional(obj({ layer: int(1, 4096), resid: f32() })),
      rows: optional(i32()),
      dlaPairs: optional(i32()),
      path: optional(obj({
        sender: headRef, receiver: headRef, path: literal('q', 'k', 'v'), mode: literal('zero', 'mean'), norm: literal('recompute', 'frozen'),
      })),
    }),
    (m) => (m.ids.length !== m.batch * m.seq ? `ids: expected ${m.batch}×${m.seq} = ${m.batch * m.seq} values, got ${m.ids.length}`
      : m.rows && (m.batch !== 1 || m.rows.some((r) => r < 0 || r >= m.seq)) ? `rows: expected positions in [0, ${m.seq - 1}] of one sequence`
      : m.dlaPairs && (!m.rows || m.dlaPairs.length % 2 || m.dlaPairs.some((v, i) => v < 0 || (i % 2 === 0 && v >= m.rows!.length))) ? 'dlaPairs: expected (row index, token id) pairs within the rows asked' : null),
  ),
  unload: obj({ requestId, modelDir, stamp: optional(str(200)) }),
  circuits: obj({ requestId, modelDir, previousHead: headRef, inductionHead: headRef }),
  ping: obj({ requestId }),
  crashForTest: obj({ requestId, how: literal('exit', 'oom') }),
});

/** A message from the host, checked on the worker's side. */
export function validateToWorker(raw: unknown): Validation<ToWorker> {
  return run(TO_WORKER, raw, undefined);
}
