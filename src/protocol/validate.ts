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

// ---- Results and validators --------------------------------------------------------------------

export type Result<T> = { ok: true; value: T } | { ok: false; reason: string };
/** What the top-level validators return. */
export type Validation<T> = { ok: true; msg: T } | { ok: false; reason: string };

/** Checks `v` (found at `path`) and returns a fresh value, or a reason naming the field. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- a validator that ignores its context accepts any
export type Validator<T, C = any> = (v: unknown, path: string, ctx: C) => Result<T>;
/** A validator whose field may be absent (or undefined): the key is then left out of the result. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- as for Validator
export type OptionalValidator<T, C = any> = Validator<T | undefined, C> & { readonly optional: true };

const pass = <T>(value: T): Result<T> => ({ ok: true, value });
const fail = (path: string, reason: string): { ok: false; reason: string } => ({ ok: false, reason: path ? `${path}: ${reason}` : reason });
const child = (path: string, key: string) => (path ? `${path}.${key}` : key);

/** A short description of a value for a reason: never the whole of a long string or array. */
export function describe(v: unknown): string {
  if (v === null) return 'null';
  if (v === undefined) return 'undefined';
  switch (typeof v) {
    case 'string':
      return v.length > 40 ? `a string of ${v.length} characters` : `${JSON.stringify(v)} (a string)`;
    case 'number':
      return Object.is(v, -0) ? '-0' : String(v);
    case 'bigint':
      return `${v}n (a bigint)`;
    case 'boolean':
      return String(v);
    case 'symbol':
      return 'a symbol';
    case 'function':
      return 'a function';
  }
  try {
    if (Array.isArray(v)) return `an array of length ${v.length}`;
    const tag = typedArrayName(v);
    if (tag) return `${tag}(${(v as ArrayLike<unknown>).length})`;
    if (ArrayBuffer.isView(v)) return 'a DataView';
  } catch {
    return 'an unreadable object';
  }
  return 'an object';
}

// The internal name of a typed array ('Float32Array'), from %TypedArray%.prototype's
// Symbol.toStringTag getter: unlike instanceof or a toStringTag property it cannot be faked and
// works across realms. Undefined for everything else.
// eslint-disable-next-line @typescript-eslint/unbound-method -- always called with .call(v)
const typedArrayTag = Object.getOwnPropertyDescriptor(Object.getPrototypeOf(Int8Array.prototype), Symbol.toStringTag)!.get!;
function typedArrayName(v: unknown): string | undefined {
  return ArrayBuffer.isView(v) ? (typedArrayTag.call(v) as string | undefined) : undefined;
}

/** An own data property of `o`, never an inherited one and never through a getter. */
function own(o: object, key: string): { present: false } | { present: true; value: unknown } | { accessor: true; present: true } {
  const d = Object.getOwnPropertyDescriptor(o, key);
  if (!d) return { present: false };
  if (!('value' in d)) return { accessor: true, present: true };
  return { present: true, value: d.value };
}

function isRecord(v: unknown): v is object {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !ArrayBuffer.isView(v) && !(v instanceof ArrayBuffer);
}

const range = (min: number, max: number) =>
  max === Infinity ? (min === -Infinity ? '' : ` ≥ ${min}`) : min === -Infinity ? ` ≤ ${max}` : ` in [${min}, ${max}]`;

// ---- Leaves ------------------------------------------------------------------------------------

/** One of the given strings (or other primitives), compared with ===. */
export function literal<const L extends readonly (string | number | boolean | null)[]>(...values: L): Validator<L[number]> {
  const list = values.map((x) => (typeof x === 'string' ? `'${x}'` : String(x))).join(', ');
  return (v, path) => (values.includes(v as L[number]) ? pass(v as L[number]) : fail(path, `expected ${values.length === 1 ? list : `one of ${list}`}, got ${describe(v)}`));
}

/** An integer in [min, max] (inclusive); never NaN, never a string of digits. */
export function int(min = Number.MIN_SAFE_INTEGER, max = Number.MAX_SAFE_INTEGER): Validator<number> {
  return (v, path) =>
    typeof v === 'number' && Number.isInteger(v) && v >= min && v <= max ? pass(v === 0 ? 0 : v) : fail(path, `expected an integer${range(min, max)}, got ${describe(v)}`);
}

/** A finite number in [min, max] (inclusive). */
export function num(min = -Infinity, max = Infinity): Validator<number> {
  return (v, path) =>
    typeof v === 'number' && Number.isFinite(v) && v >= min && v <= max ? pass(v) : fail(path, `expected a finite number${range(min, max)}, got ${describe(v)}`);
}

/** Any number, NaN and ±Infinity included (measurements that may be undefined). */
export const anyNum: Validator<number> = (v, path) => (typeof v === 'number' ? pass(v) : fail(path, `expected a number, got ${describe(v)}`));

/** A string of at most `maxLen` characters (UTF-16 code units) and at least `minLen`. */
export function str(maxLen: number, minLen = 0): Validator<string> {
  return (v, path) => {
    if (typeof v !== 'string') return fail(path, `expected a string, got ${describe(v)}`);
    if (v.length > maxLen) return fail(path, `expected at most ${maxLen} characters, got ${v.length}`);
    if (v.length < minLen) return fail(path, minLen === 1 ? 'expected a non-empty string' : `expected at least ${minLen} characters, got ${v.length}`);
    return pass(v);
  };
}

export const bool: Validator<boolean> = (v, path) => (typeof v === 'boolean' ? pass(v) : fail(path, `expected a boolean, got ${describe(v)}`));

function typedArray<T>(name: string, len?: number): Validator<T> {
  return (v, path) => {
    if (typedArrayName(v) !== name) return fail(path, `expected a ${name}${len === undefined ? '' : ` of ${len} values`}, got ${describe(v)}`);
    const n = (v as ArrayLike<unknown>).length;
    if (len !== undefined && n !== len) return fail(path, `expected a ${name} of ${len} values, got ${n}`);
    return pass(v as T);
  };
}
/** A Float32Array, of exactly `len` values when given. Passed on as is. */
export const f32 = (len?: number): Validator<Float32Array> => typedArray<Float32Array>('Float32Array', len);
/** An Int32Array, of exactly `len` values when given. Passed on as is. */
export const i32 = (len?: number): Validator<Int32Array> => typedArray<Int32Array>('Int32Array', len);

// ---- Combinators -------------------------------------------------------------------------------

/** The field may be absent or undefined; it is then left out of the rebuilt object. */
export function optional<T, C>(inner: Validator<T, C>): OptionalValidator<T, C> {
  const f: Validator<T | undefined, C> = (v, path, ctx) => (v === undefined ? pass(undefined) : inner(v, path, ctx));
  return Object.assign(f, { optional: true as const });
}

/** The value may be null. */
export function nullable<T, C>(inner: Validator<T, C>): Validator<T | null, C> {
  return (v, path, ctx) => (v === null ? pass(null) : inner(v, path, ctx));
}

/* eslint-disable @typescript-eslint/no-explicit-any -- type-level plumbing over validators of any value and context */
type AnyValidator = Validator<any, any>;
type Shape = Record<string, AnyValidator>;
type Out<V> = V extends Validator<infer T, any> ? T : never;
/* eslint-enable @typescript-eslint/no-explicit-any */
type Simplify<T> = { [K in keyof T]: T[K] } & {};
export type ObjOut<S extends Shape> = Simplify<
  { [K in keyof S as S[K] extends { optional: true } ? never : K]: Out<S[K]> } & {
    [K in keyof S as S[K] extends { optional: true } ? K : never]?: Exclude<Out<S[K]>, undefined>;
  }
>;

/**
 * A plain object with the fields of `shape`: a fresh object holding only those fields, each
 * validated. Fields not in `shape` are dropped; inherited properties and getters are not read.
 */
export function obj<S extends Shape>(shape: S): Validator<ObjOut<S>> {
  const keys = Object.keys(shape);
  return (v, path, ctx) => {
    if (!isRecord(v)) return fail(path || 'message', `expected an object, got ${describe(v)}`);
    const out: Record<string, unknown> = {};
    for (const key of keys) {
      const validator = shape[key];
      const p = child(path, key);
      const f = own(v, key);
      if ('accessor' in f) return fail(p, 'expected a value, got a getter');
      if (!f.present && !(validator as { optional?: boolean }).optional) return fail(p, 'missing');
      const r = validator(f.present ? f.value : undefined, p, ctx);
      if (!r.ok) return r;
      if (r.value !== undefined) out[key] = r.value;
    }
    return pass(out as ObjOut<S>);
  };
}

function element(a: unknown[], i: number): unknown {
  const d = Object.getOwnPropertyDescriptor(a, i);
  return d && 'value' in d ? d.value : undefined;
}

/** An array of `item`s with a length in [min, max]; a fresh array. */
export function arrayOf<T, C>(item: Validator<T, C>, opts: { min?: number; max: number }): Validator<T[], C> {
  const min = opts.min ?? 0;
  return (v, path, ctx) => {
    if (!Array.isArray(v)) return fail(path, `expected an array, got ${describe(v)}`);
    if (v.length < min || v.length > opts.max) return fail(path, `expected an array of ${min === opts.max ? min : `${min} to ${opts.max}`} items, got ${v.length}`);
    const out: T[] = [];
    for (let i = 0; i < v.length; i++) {
      const r = item(element(v, i), `${path}[${i}]`, ctx);
      if (!r.ok) return r;
      out.push(r.value);
    }
    return pass(out);
  };
}

/** A pair, e.g. a matrix shape; a fresh tuple. */
export function tuple2<A, B, C>(a: Validator<A, C>, b: Validator<B, C>): Validator<[A, B], C> {
  return (v, path, ctx) => {
    if (!Array.isArray(v) || v.length !== 2) return fail(path, `expected an array of 2 items, got ${describe(v)}`);
    const ra = a(element(v, 0), `${path}[0]`, ctx);
    if (!ra.ok) return ra;
    const rb = b(element(v, 1), `${path}[1]`, ctx);
    if (!rb.ok) return rb;
    return pass([ra.value, rb.value]);
  };
}

/** Checks across fields once `inner` has passed: `check` returns null, or a reason that starts
 *  with the field it is about, relative to `path` (e.g. 'ids: expected …', 'topK.ids[3]: …'). */
export function refine<T, C>(inner: Validator<T, C>, check: (value: T, ctx: C) => string | null): Validator<T, C> {
  return (v, path, ctx) => {
    const r = inner(v, path, ctx);
    if (!r.ok) return r;
    const why = check(r.value, ctx);
    return why === null ? r : { ok: false, reason: child(path, why) };
  };
}

/** A validator built from the context; fails (with `why`) when the context is null. */
export function withCtx<T, C>(why: string, make: (ctx: C) => Validator<T, C>): Validator<T, C | null> {
  return (v, path, ctx) => (ctx === null ? fail(path, why) : make(ctx)(v, path, ctx));
}

type Variants<U extends { type: string }, C> = {
  [K in U['type']]: Validator<Omit<Extract<U, { type: K }>, 'type'>, C>;
};

/**
 * A message of the union `U`, chosen by its `type`: `variants` has one entry per type, validating
 * the other fields (paths start with the type, e.g. 'setMask.mask'). The result has `type` first.
 */
export function oneOf<U extends { type: string }, C>(variants: Variants<U, C>): Validator<U, C> {
  // A Map, so that 'constructor', 'toString' or '__proto__' are unknown types, not Object's.
  const table = new Map<string, AnyValidator>(Object.entries(variants));
  const names = [...table.keys()].map((k) => `'${k}'`).join(', ');
  return (v, path, ctx) => {
    if (!isRecord(v)) return fail(path || 'message', `expected an object with a type, got ${describe(v)}`);
    const t = own(v, 'type');
    const tp = child(path, 'type');
    if (!t.present) return fail(tp, 'missing');
    if ('accessor' in t) return fail(tp, 'expected a value, got a getter');
    const type = t.value;
    if (typeof type !== 'string') return fail(tp, `expected a string, got ${describe(type)}`);
    const variant = table.get(type);
    if (!variant) return fail(tp, `unknown message type ${describe(type)}; expected one of ${names}`);
    const r = variant(v, child(path, type), ctx);
    if (!r.ok) return r;
    return pass({ type, ...(r.value as object) } as U);
  };
}

function run<T, C>(validator: Validator<T, C>, raw: unknown, ctx: C): Validation<T> {
  try {
    const r = validator(raw, '', ctx);
    return r.ok ? { ok: true, msg: r.value } : r;
  } catch (e) {
    // Only a hostile object (a Proxy) can get here: reading own data properties does not throw.
    return { ok: false, reason: `message: could not be read (${e instanceof Error ? e.message : 'unknown error'})` };
  }
}

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
  kCompositionPattern: obj({ previousHead: headRef, inductionHead: headRef, scores: matrix, maxAbs: anyNum }),
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
  wantAttentions: boolean;
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
  opened: obj({ requestId, parts: obj({ folder: opaqueObject, tokenizerJson: opaqueObject, hash: str(200) }) }),
  inspected: obj({ requestId, summary: obj({ id: str(1000), nLayers: int(1, 4096), nHeads: int(1, 4096), nCtx: int(1, 1 << 24), kind: str(1000) }) }),
  loaded: obj({ requestId, loadMs: num(0), dims: obj({ nLayers: int(1, 4096), nHeads: int(1, 4096), dVocab: int(1, 1 << 24) }) }),
  result: refine(
    obj({
      requestId,
      logits: f32(),
      attentions: nullable(f32()),
      logsumexp: optional(f32()),
      topK: optional(obj({ k: int(1, MAX_INT32), values: f32(), ids: i32() })),
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
    }),
    (m) => (m.ids.length === m.batch * m.seq ? null : `ids: expected ${m.batch}×${m.seq} = ${m.batch * m.seq} values, got ${m.ids.length}`),
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
