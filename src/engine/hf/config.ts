// config.json of a Hugging Face causal LM, reduced to what the ONNX builder needs. Field names and
// defaults follow the `transformers` configuration classes of each architecture.
import { EngineError, quoted } from '../errors';

export type HfFamily = 'gpt2' | 'gpt_neox' | 'llama';
export type Activation = 'gelu' | 'gelu_new' | 'relu' | 'silu';

export interface HfSpec {
  family: HfFamily;
  /** config.json's model_type, e.g. "gpt2", "gpt_neox", "llama", "mistral". */
  modelType: string;
  nLayers: number;
  nHeads: number;
  /** Key/value heads (grouped-query attention); equal to nHeads otherwise. */
  nKvHeads: number;
  dModel: number;
  dHead: number;
  dMlp: number;
  vocab: number;
  /** Positions the model was trained for. */
  maxPositions: number;
  eps: number;
  activation: Activation;
  /** Dimensions of each head that rotary embeddings rotate (0 for learned positions). */
  rotaryDims: number;
  ropeTheta: number;
  /** GPT-NeoX: attention and MLP both read the layer's input. */
  parallelResidual: boolean;
  tiedEmbeddings: boolean;
  /** GPT-2: scores are also divided by (layer index + 1). */
  scaleByInverseLayer: boolean;
  bos: number;
  /** Mistral-style local attention span, if any: the lens never exceeds it. */
  slidingWindow: number | null;
}

/** Families and the model_type values that use their maths. */
export const SUPPORTED: Record<string, HfFamily> = {
  gpt2: 'gpt2',
  gpt_neox: 'gpt_neox',
  llama: 'llama',
  mistral: 'llama',
  qwen2: 'llama',
};

const ACTIVATIONS: Record<string, Activation> = {
  gelu: 'gelu',
  gelu_new: 'gelu_new',
  gelu_pytorch_tanh: 'gelu_new',
  relu: 'relu',
  silu: 'silu',
  swish: 'silu',
};

/** Upper bounds on config.json's dimensions: generous for real models up to ~70 B parameters
 *  (Llama 2 70B: 80 layers, 64 heads, hidden 8,192, intermediate 28,672; Llama 3: 128,256 tokens;
 *  Gemma: 256,000 tokens, head_dim 256), and small enough that no product of them loses
 *  precision or sizes an allocation before the weights' own sizes are checked. */
export const CONFIG_LIMITS = {
  layers: 512,
  heads: 1024,
  hidden: 65_536,
  /** The builder allocates a [head_dim, head_dim] rotary matrix. */
  headDim: 4096,
  vocab: 2 ** 20,
  positions: 2 ** 24,
  intermediate: 2 ** 20,
} as const;

export function parseHfConfig(raw: unknown, file: string): HfSpec {
  const fail = (what: string): never => {
    throw new EngineError(`${file}: ${what}`);
  };
  if (!raw || typeof raw !== 'object' || Array.isArray(raw)) fail('must be a JSON object');
  const c = raw as Record<string, unknown>;
  const type = typeof c.model_type === 'string' ? c.model_type : '';
  if (!Object.hasOwn(SUPPORTED, type)) {
    fail(`model_type ${quoted(c.model_type ?? null)} is not supported; Induction Lens builds GPT-2 (gpt2), GPT-NeoX/Pythia (gpt_neox) and Llama-style (llama, mistral, qwen2) models`);
  }
  const family = SUPPORTED[type];
  const value = (key: string, fallback: unknown) => c[key] ?? fallback;
  const int = (key: string, max: number, fallback?: number): number => {
    const v = value(key, fallback);
    if (typeof v !== 'number' || !Number.isInteger(v) || v <= 0 || v > max) {
      fail(`"${key}" must be a positive integer up to ${max.toLocaleString('en-US')} (got ${quoted(v ?? null)})`);
    }
    return v as number;
  };
  const real = (key: string, fallback: unknown, ok: (v: number) => boolean, range: string): number => {
    const v = value(key, fallback);
    if (typeof v !== 'number' || !Number.isFinite(v) || !ok(v)) fail(`"${key}" must be ${range} (got ${quoted(v ?? null)})`);
    return v as number;
  };
  const eps = (key: string, fallback: number) => real(key, fallback, (v) => v > 0 && v < 1, 'a number between 0 and 1');
  const bool = (key: string, fallback: boolean): boolean => {
    const v = value(key, fallback);
    if (typeof v !== 'boolean') fail(`"${key}" must be true or false (got ${quoted(v)})`);
    return v as boolean;
  };
  const activation = (key: string, fallback: string): Activation => {
    const v = value(key, fallback);
    if (typeof v !== 'string' || !Object.hasOwn(ACTIVATIONS, v)) {
      fail(`${key} ${quoted(v)} is not supported (supported: ${Object.keys(ACTIVATIONS).join(', ')})`);
    }
    return ACTIVATIONS[v as string];
  };
  /** Rotated dimensions of a head: a fraction in (0, 1] of them, a positive even number. */
  const rotary = (dHead: number, fraction: number, key: string): number => {
    const dims = Math.trunc(dHead * fraction);
    if (dims <= 0 || dims % 2) fail(`"${key}" ${fraction} gives ${dims} rotary dimensions per head (of ${dHead}); they must be a positive even number`);
    return dims;
  };
  const L = CONFIG_LIMITS;
  if (c.bos_token_id == null) fail('"bos_token_id" is missing: the lens starts every window with the BOS token');
  const window = c.sliding_window ?? null;
  if (window !== null && (typeof window !== 'number' || !Number.isSafeInteger(window) || window <= 0)) {
    fail(`"sliding_window" must be a positive integer when present (got ${quoted(window)})`);
  }
  const slidingWindow = bool('use_sliding_window', true) ? (window as number | null) : null;

  let spec: HfSpec;
  if (family === 'gpt2') {
    const d = int('n_embd', L.hidden);
    const H = int('n_head', L.heads);
    if (!bool('scale_attn_weights', true)) fail('"scale_attn_weights": false is not supported');
    spec = {
      family, modelType: type, nLayers: int('n_layer', L.layers), nHeads: H, nKvHeads: H, dModel: d, dHead: headDim(d, H, fail),
      dMlp: c.n_inner == null ? 4 * d : int('n_inner', L.intermediate), vocab: int('vocab_size', L.vocab),
      maxPositions: int('n_positions', L.positions),
      eps: eps('layer_norm_epsilon', 1e-5), activation: activation('activation_function', 'gelu_new'),
      rotaryDims: 0, ropeTheta: 0, parallelResidual: false, tiedEmbeddings: true,
      scaleByInverseLayer: bool('scale_attn_by_inverse_layer_idx', false), bos: 0, slidingWindow,
    };
  } else if (family === 'gpt_neox') {
    const d = int('hidden_size', L.hidden);
    const H = int('num_attention_heads', L.heads);
    const rope = ropeParameters(c, fail);
    const dHead = headDim(d, H, fail);
    spec = {
      family, modelType: type, nLayers: int('num_hidden_layers', L.layers), nHeads: H, nKvHeads: H, dModel: d, dHead,
      dMlp: int('intermediate_size', L.intermediate), vocab: int('vocab_size', L.vocab),
      maxPositions: int('max_position_embeddings', L.positions),
      eps: eps('layer_norm_eps', 1e-5), activation: activation('hidden_act', 'gelu'),
      rotaryDims: rotary(dHead, real('rotary_pct', rope.partial ?? 1, isFraction, FRACTION), 'rotary_pct'),
      ropeTheta: real('rotary_emb_base', rope.theta ?? 10000, isPositive, POSITIVE),
      parallelResidual: bool('use_parallel_residual', true), tiedEmbeddings: bool('tie_word_embeddings', false),
      scaleByInverseLayer: false, bos: 0, slidingWindow,
    };
  } else {
    const d = int('hidden_size', L.hidden);
    const H = int('num_attention_heads', L.heads);
    const Hkv = int('num_key_value_heads', L.heads, H);
    if (H % Hkv) fail(`num_attention_heads (${H}) is not a multiple of num_key_value_heads (${Hkv})`);
    const rope = ropeParameters(c, fail);
    const dHead = c.head_dim == null ? headDim(d, H, fail) : int('head_dim', L.headDim);
    spec = {
      family, modelType: type, nLayers: int('num_hidden_layers', L.layers), nHeads: H, nKvHeads: Hkv,
      dModel: d, dHead, dMlp: int('intermediate_size', L.intermediate), vocab: int('vocab_size', L.vocab),
      maxPositions: int('max_position_embeddings', L.positions), eps: eps('rms_norm_eps', 1e-6), activation: activation('hidden_act', 'silu'),
      rotaryDims: rotary(dHead, rope.partial ?? 1, 'partial_rotary_factor'), ropeTheta: rope.theta ?? 10000,
      parallelResidual: false, tiedEmbeddings: bool('tie_word_embeddings', false), scaleByInverseLayer: false, bos: 0, slidingWindow,
    };
  }
  const bos = c.bos_token_id;
  if (typeof bos !== 'number' || !Number.isInteger(bos) || bos < 0 || bos >= spec.vocab) {
    fail(`bos_token_id ${quoted(bos)} is outside the vocabulary (${spec.vocab})`);
  }
  spec.bos = bos as number;
  return spec;
}

const FRACTION = 'a number in (0, 1]';
const POSITIVE = 'a positive number';
const isFraction = (v: number) => v > 0 && v <= 1;
const isPositive = (v: number) => v > 0;

/** d_head from the hidden size: whole, and within the limit. */
function headDim(d: number, heads: number, fail: (w: string) => never): number {
  if (d % heads) fail(`hidden size ${d} is not divisible by the ${heads} heads`);
  if (d / heads > CONFIG_LIMITS.headDim) fail(`heads of ${d / heads} dimensions are more than the ${CONFIG_LIMITS.headDim} the lens supports`);
  return d / heads;
}

/** rope_theta and partial_rotary_factor from either the flat keys or rope_parameters (newer
 *  configs); scaled rotary embeddings (rope_scaling) are refused rather than computed wrongly. */
function ropeParameters(c: Record<string, unknown>, fail: (w: string) => never): { theta?: number; partial?: number } {
  const object = (key: string): Record<string, unknown> => {
    const v = c[key] ?? {};
    if (typeof v !== 'object' || Array.isArray(v)) fail(`"${key}" must be an object when present`);
    return v as Record<string, unknown>;
  };
  const p = object('rope_parameters');
  const scaling = object('rope_scaling');
  const type = scaling.rope_type ?? scaling.type ?? p.rope_type ?? 'default';
  if (type !== 'default') fail(`rotary scaling ${quoted(type)} is not supported yet (only unscaled rotary embeddings)`);
  /** The first of the keys present, checked. */
  const pick = (where: [Record<string, unknown>, string][], ok: (v: number) => boolean, range: string): number | undefined => {
    for (const [o, key] of where) {
      const v = o[key];
      if (v == null) continue;
      if (typeof v !== 'number' || !Number.isFinite(v) || !ok(v)) fail(`"${key}" must be ${range} (got ${quoted(v)})`);
      return v;
    }
    return undefined;
  };
  return {
    theta: pick([[p, 'rope_theta'], [c, 'rope_theta']], isPositive, POSITIVE),
    partial: pick([[c, 'partial_rotary_factor'], [p, 'partial_rotary_factor']], isFraction, FRACTION),
  };
}
