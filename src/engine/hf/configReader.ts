// Typed, range-checked reads of an untrusted config.json: every family reads its keys through
// this, so each bad value gets one message naming the file and the key.
import { EngineError, quoted } from '../errors';
import type { Activation, LayerType } from './spec';

/** Upper bounds on config.json's dimensions: generous for real models up to ~70 B parameters
 *  (Llama 2 70B: 80 layers, 64 heads, hidden 8,192, intermediate 28,672; Llama 3: 128,256 tokens;
 *  Gemma: 256,000 tokens, head_dim 256), and small enough that no product of them loses
 *  precision or sizes an allocation before the weights' own sizes are checked. */
export const CONFIG_LIMITS = {
  layers: 512,
  heads: 1024,
  hidden: 65_536,
  headDim: 4096,
  vocab: 2 ** 20,
  positions: 2 ** 24,
  intermediate: 2 ** 20,
} as const;

const ACTIVATIONS: Record<string, Activation> = {
  gelu: 'gelu',
  gelu_new: 'gelu_new',
  gelu_pytorch_tanh: 'gelu_new',
  relu: 'relu',
  silu: 'silu',
  swish: 'silu',
};

export const isFraction = (v: number) => v > 0 && v <= 1;
export const isPositive = (v: number) => v > 0;
export const FRACTION = 'a number in (0, 1]';
export const POSITIVE = 'a positive number';

export class ConfigReader {
  constructor(readonly c: Record<string, unknown>, readonly file: string) {}

  get modelType(): string {
    return typeof this.c.model_type === 'string' ? this.c.model_type : '';
  }

  fail(what: string): never {
    throw new EngineError(`${this.file}: ${what}`);
  }

  has(key: string): boolean {
    return this.c[key] !== undefined && this.c[key] !== null;
  }

  int(key: string, max: number, fallback?: number): number {
    const v = this.c[key] ?? fallback;
    if (typeof v !== 'number' || !Number.isInteger(v) || v <= 0 || v > max) {
      this.fail(`"${key}" must be a positive integer up to ${max.toLocaleString('en-US')} (got ${quoted(v ?? null)})`);
    }
    return v;
  }

  real(key: string, fallback: unknown, ok: (v: number) => boolean, range: string): number {
    const v = this.c[key] ?? fallback;
    if (typeof v !== 'number' || !Number.isFinite(v) || !ok(v)) this.fail(`"${key}" must be ${range} (got ${quoted(v ?? null)})`);
    return v;
  }

  /** A positive number, or null when the key is absent or null. */
  optionalPositive(key: string): number | null {
    return this.has(key) ? this.real(key, null, isPositive, POSITIVE) : null;
  }

  eps(key: string, fallback: number): number {
    return this.real(key, fallback, (v) => v > 0 && v < 1, 'a number between 0 and 1');
  }

  bool(key: string, fallback: boolean): boolean {
    const v = this.c[key] ?? fallback;
    if (typeof v !== 'boolean') this.fail(`"${key}" must be true or false (got ${quoted(v)})`);
    return v;
  }

  activation(key: string, fallback: string): Activation {
    const v = this.c[key] ?? fallback;
    if (typeof v !== 'string' || !Object.hasOwn(ACTIVATIONS, v)) {
      this.fail(`${key} ${quoted(v)} is not supported (supported: ${Object.keys(ACTIVATIONS).join(', ')})`);
    }
    return ACTIVATIONS[v];
  }

  /** An object-valued key ({} when absent). */
  object(key: string): Record<string, unknown> {
    const v = this.c[key] ?? {};
    if (typeof v !== 'object' || Array.isArray(v)) this.fail(`"${key}" must be an object when present`);
    return v as Record<string, unknown>;
  }

  /** d_head from the hidden size (whole, within the limit), or the explicit head_dim. */
  headDim(d: number, heads: number, key: string | null = 'head_dim'): number {
    if (key !== null && this.has(key)) return this.int(key, CONFIG_LIMITS.headDim);
    if (d % heads) this.fail(`hidden size ${d} is not divisible by the ${heads} heads`);
    if (d / heads > CONFIG_LIMITS.headDim) this.fail(`heads of ${d / heads} dimensions are more than the ${CONFIG_LIMITS.headDim} the lens supports`);
    return d / heads;
  }

  /** Key/value heads: a divisor of the query heads. */
  kvHeads(key: string, heads: number): number {
    const kv = this.int(key, CONFIG_LIMITS.heads, heads);
    if (heads % kv) this.fail(`num_attention_heads (${heads}) is not a multiple of ${key} (${kv})`);
    return kv;
  }

  /** The sliding window's span, or null; a positive integer when present. */
  slidingWindow(): number | null {
    const w = this.c.sliding_window ?? null;
    if (w !== null && (typeof w !== 'number' || !Number.isSafeInteger(w) || w <= 0)) {
      this.fail(`"sliding_window" must be a positive integer when present (got ${quoted(w)})`);
    }
    return w;
  }

  /** config.json's layer_types ("full_attention" / "sliding_attention" per layer), when present. */
  layerTypes(nLayers: number): LayerType[] | null {
    const v = this.c.layer_types;
    if (v === undefined || v === null) return null;
    if (!Array.isArray(v) || v.length !== nLayers) this.fail(`"layer_types" must list one type for each of the ${nLayers} layers`);
    return (v as unknown[]).map((t, i) => {
      if (t === 'full_attention') return 'full';
      if (t === 'sliding_attention') return 'sliding';
      return this.fail(`layer_types[${i}] ${quoted(t)} is not supported (full_attention or sliding_attention)`);
    });
  }
}
