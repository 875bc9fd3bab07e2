// Rotary position embeddings' parameters and inverse frequencies, as `transformers` computes them
// (modeling_rope_utils): unscaled, linear, dynamic NTK, Llama 3, YaRN and LongRoPE. Pure maths;
// rotary.ts turns the frequencies into graph tables.
import { quoted } from '../errors';
import { FRACTION, isFraction, isPositive, POSITIVE, type ConfigReader } from './configReader';

export const ROPE_TYPES = ['default', 'linear', 'dynamic', 'llama3', 'yarn', 'longrope'] as const;
export type RopeType = (typeof ROPE_TYPES)[number];

export interface RopeParams {
  type: RopeType;
  theta: number;
  /** linear, dynamic, llama3, yarn: the context extension factor. */
  factor: number;
  /** llama3, yarn, longrope: the context the model was pretrained with. */
  originalMax: number;
  lowFreqFactor: number;
  highFreqFactor: number;
  betaFast: number;
  betaSlow: number;
  mscale: number | null;
  mscaleAllDim: number | null;
  truncate: boolean;
  /** yarn, longrope: the factor cos and sin are multiplied by, when config.json gives it. */
  attentionFactor: number | null;
  /** longrope: per-frequency divisors for sequences within (short) and beyond (long) originalMax. */
  shortFactor: number[] | null;
  longFactor: number[] | null;
}

export interface RopeSpec {
  /** Dimensions of each head that are rotated (the first `dims`; the rest pass through). */
  dims: number;
  /** Parameters of full-attention layers. */
  global: RopeParams;
  /** Parameters of sliding-window layers when they differ (Gemma 3's local base), else null. */
  local: RopeParams | null;
}

/** inv_freq [dims / 2] and the attention factor applied to cos and sin, for sequences of at most
 *  `originalMax` positions (the lens never runs a longer window through a LongRoPE model). */
export function inverseFrequencies(p: RopeParams, dims: number): { invFreq: Float32Array; attentionFactor: number } {
  const f = Math.fround;
  const half = dims / 2;
  // base^(2i / dims) in float32, as torch computes arange(0, dims, 2).float() / dims.
  const power = Array.from({ length: half }, (_, i) => f(p.theta ** f((2 * i) / dims)));
  const plain = power.map((x) => f(1 / x));
  let inv: number[] = plain;
  let attentionFactor = 1;
  switch (p.type) {
    case 'default':
    case 'dynamic': // dynamic NTK changes nothing until a sequence is longer than max_position_embeddings
      break;
    case 'linear':
      inv = plain.map((x) => f(x / p.factor));
      break;
    case 'llama3': {
      const lowWavelen = p.originalMax / p.lowFreqFactor;
      const highWavelen = p.originalMax / p.highFreqFactor;
      inv = plain.map((x) => {
        const wavelen = f((2 * Math.PI) / x);
        if (wavelen < highWavelen) return x;
        if (wavelen > lowWavelen) return f(x / p.factor);
        const smooth = f((p.originalMax / wavelen - p.lowFreqFactor) / (p.highFreqFactor - p.lowFreqFactor));
        return f(f((1 - smooth) * f(x / p.factor)) + f(smooth * x));
      });
      break;
    }
    case 'yarn': {
      const mscale = (scale: number, m = 1) => (scale <= 1 ? 1 : 0.1 * m * Math.log(scale) + 1);
      attentionFactor = p.attentionFactor
        ?? (p.mscale && p.mscaleAllDim ? mscale(p.factor, p.mscale) / mscale(p.factor, p.mscaleAllDim) : mscale(p.factor));
      const correction = (rotations: number) => (dims * Math.log(p.originalMax / (rotations * 2 * Math.PI))) / (2 * Math.log(p.theta));
      let low = correction(p.betaFast);
      let high = correction(p.betaSlow);
      if (p.truncate) [low, high] = [Math.floor(low), Math.ceil(high)];
      low = Math.max(low, 0);
      high = Math.min(high, dims - 1);
      if (low === high) high += 0.001;
      inv = power.map((x, i) => {
        const ramp = Math.min(1, Math.max(0, f(f(i - low) / f(high - low))));
        const extrapolation = f(1 - ramp);
        const interpolation = f(1 / f(p.factor * x));
        return f(f(interpolation * f(1 - extrapolation)) + f(f(1 / x) * extrapolation));
      });
      break;
    }
    case 'longrope': {
      const factor = p.factor;
      attentionFactor = p.attentionFactor ?? (factor <= 1 ? 1 : Math.sqrt(1 + Math.log(factor) / Math.log(p.originalMax)));
      const ext = p.shortFactor!;
      inv = power.map((x, i) => f(1 / f(f(ext[i]) * x)));
      break;
    }
  }
  return { invFreq: Float32Array.from(inv), attentionFactor };
}

/** The rotary parameters of a config: `rope_scaling` (older configs) or `rope_parameters` (newer,
 *  possibly one object per layer type), with rope_theta from either place or `thetaKey`. */
export function parseRope(
  r: ConfigReader, dHead: number,
  opts: { thetaKey?: string; partial?: number; partialKey?: string; localThetaKey?: string; aliases?: Record<string, RopeType> } = {},
): RopeSpec {
  const params = r.object('rope_parameters');
  const nested = (k: string) => (typeof params[k] === 'object' && params[k] !== null && !Array.isArray(params[k]) ? (params[k] as Record<string, unknown>) : null);
  const full = nested('full_attention') ?? params;
  const sliding = nested('sliding_attention');
  const partial = opts.partial ?? pick(r, [[r.c, 'partial_rotary_factor'], [full, 'partial_rotary_factor']], isFraction, FRACTION) ?? 1;
  const dims = Math.trunc(dHead * partial);
  if (dims <= 0 || dims % 2) r.fail(`"${opts.partialKey ?? 'partial_rotary_factor'}" ${partial} gives ${dims} rotary dimensions per head (of ${dHead}); they must be a positive even number`);
  const global = ropeParams(r, [r.object('rope_scaling'), full], opts.thetaKey ?? 'rope_theta', dims, opts.aliases);
  let local: RopeParams | null = null;
  if (sliding) local = ropeParams(r, [sliding], 'rope_local_base_freq', dims);
  else if (opts.localThetaKey) local = { ...unscaled(r.real(opts.localThetaKey, 10000, isPositive, POSITIVE)) };
  return { dims, global, local };
}

function unscaled(theta: number): RopeParams {
  return {
    type: 'default', theta, factor: 1, originalMax: 0, lowFreqFactor: 1, highFreqFactor: 4, betaFast: 32, betaSlow: 1,
    mscale: null, mscaleAllDim: null, truncate: true, attentionFactor: null, shortFactor: null, longFactor: null,
  };
}

/** The first of the keys present, checked. */
function pick(r: ConfigReader, where: [Record<string, unknown>, string][], ok: (v: number) => boolean, range: string): number | undefined {
  for (const [o, key] of where) {
    const v = o[key];
    if (v == null) continue;
    if (typeof v !== 'number' || !Number.isFinite(v) || !ok(v)) r.fail(`"${key}" must be ${range} (got ${quoted(v)})`);
    return v;
  }
  return undefined;
}

/** One layer type's parameters from `sources` (first one holding a key wins). */
function ropeParams(r: ConfigReader, sources: Record<string, unknown>[], thetaKey: string, dims: number, aliases: Record<string, RopeType> = {}): RopeParams {
  const get = (key: string) => sources.find((s) => s[key] != null)?.[key];
  const named = get('rope_type') ?? get('type') ?? 'default';
  const type = typeof named === 'string' && Object.hasOwn(aliases, named) ? aliases[named] : named;
  if (typeof type !== 'string' || !(ROPE_TYPES as readonly string[]).includes(type)) {
    r.fail(`rotary scaling ${quoted(type)} is not supported (supported: ${ROPE_TYPES.join(', ')})`);
  }
  const num = (key: string, fallback: number | null, ok = isPositive, range = POSITIVE): number => {
    const v = pick(r, sources.map((s) => [s, key] as [Record<string, unknown>, string]), ok, range) ?? fallback;
    if (v === null) r.fail(`rotary scaling ${quoted(type)} needs "${key}"`);
    return v;
  };
  const theta = pick(r, [...sources.map((s) => [s, 'rope_theta'] as [Record<string, unknown>, string]), [r.c, thetaKey], [r.c, 'rope_theta']], isPositive, POSITIVE) ?? 10000;
  const p = unscaled(theta);
  p.type = type as RopeType;
  if (type === 'default') return p;
  const maxPositions = r.has('max_position_embeddings') ? r.int('max_position_embeddings', 2 ** 24) : null;
  if (type !== 'longrope') p.factor = num('factor', null, (v) => v >= 1, 'a number of at least 1');
  if (type === 'llama3' || type === 'yarn' || type === 'longrope') {
    const configOriginal = r.has('original_max_position_embeddings') ? r.int('original_max_position_embeddings', 2 ** 24) : null;
    p.originalMax = num('original_max_position_embeddings', configOriginal ?? maxPositions);
  }
  if (type === 'llama3') {
    p.lowFreqFactor = num('low_freq_factor', null);
    p.highFreqFactor = num('high_freq_factor', null);
    if (p.highFreqFactor <= p.lowFreqFactor) r.fail('rotary scaling "llama3" needs high_freq_factor > low_freq_factor');
  }
  if (type === 'yarn') {
    p.betaFast = num('beta_fast', 32);
    p.betaSlow = num('beta_slow', 1);
    const m = get('mscale');
    const all = get('mscale_all_dim');
    p.mscale = m == null ? null : num('mscale', null);
    p.mscaleAllDim = all == null ? null : num('mscale_all_dim', null);
    const t = get('truncate') ?? true;
    if (typeof t !== 'boolean') r.fail(`"truncate" must be true or false (got ${quoted(t)})`);
    p.truncate = t;
  }
  if (type === 'yarn' || type === 'longrope') {
    p.attentionFactor = get('attention_factor') == null ? null : num('attention_factor', null);
  }
  if (type === 'longrope') {
    const list = (key: string): number[] => {
      const v = get(key);
      if (!Array.isArray(v) || v.length !== dims / 2 || v.some((x) => typeof x !== 'number' || !Number.isFinite(x) || x <= 0)) {
        r.fail(`rotary scaling "longrope" needs "${key}": ${dims / 2} positive numbers (one per rotated frequency)`);
      }
      return v as number[];
    };
    p.shortFactor = list('short_factor');
    p.longFactor = list('long_factor');
    // transformers: the ratio of the context to the original one when both are known, else factor.
    p.factor = r.has('original_max_position_embeddings') && maxPositions ? maxPositions / p.originalMax : num('factor', 1);
  }
  return p;
}
