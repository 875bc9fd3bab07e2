// Small composable validators for messages that cross a thread or a webview boundary: each
// returns a fresh value built from the declared fields only, or a reason naming the field. No
// library, no imports: the webview, the host and the worker can all use them.

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

export const pass = <T>(value: T): Result<T> => ({ ok: true, value });
export const fail = (path: string, reason: string): { ok: false; reason: string } => ({ ok: false, reason: path ? `${path}: ${reason}` : reason });
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

export function isRecord(v: unknown): v is object {
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

export function element(a: unknown[], i: number): unknown {
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

export function run<T, C>(validator: Validator<T, C>, raw: unknown, ctx: C): Validation<T> {
  try {
    const r = validator(raw, '', ctx);
    return r.ok ? { ok: true, msg: r.value } : r;
  } catch (e) {
    // Only a hostile object (a Proxy) can get here: reading own data properties does not throw.
    return { ok: false, reason: `message: could not be read (${e instanceof Error ? e.message : 'unknown error'})` };
  }
}
