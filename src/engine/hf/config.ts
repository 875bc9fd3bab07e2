// config.json of a Hugging Face causal LM, reduced to what the ONNX builder needs. Field names and
// defaults follow the `transformers` configuration classes of each architecture.
import { EngineError } from '../errors';

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

export function parseHfConfig(raw: unknown, file: string): HfSpec {
  const fail = (what: string): never => {
    throw new EngineError(`${file}: ${what}`);
  };
  if (!raw || typeof raw !== 'object') fail('must be a JSON object');
  const c = raw as Record<string, unknown>;
  const type = typeof c.model_type === 'string' ? c.model_type : '';
  const family = SUPPORTED[type];
  if (!family) {
    fail(`model_type ${JSON.stringify(c.model_type ?? null)} is not supported; Induction Lens builds GPT-2 (gpt2), GPT-NeoX/Pythia (gpt_neox) and Llama-style (llama, mistral, qwen2) models`);
  }
  const int = (key: string, fallback?: number): number => {
    const v = c[key] ?? fallback;
    if (typeof v !== 'number' || !Number.isInteger(v) || v <= 0) fail(`"${key}" must be a positive integer`);
    return v as number;
  };
  const num = (key: string, fallback: number): number => {
    const v = c[key] ?? fallback;
    if (typeof v !== 'number' || !Number.isFinite(v)) fail(`"${key}" must be a number`);
    return v as number;
  };
  const activation = (key: string, fallback: string): Activation => {
    const v = (c[key] ?? fallback) as string;
    const a = ACTIVATIONS[v];
    if (!a) fail(`${key} ${JSON.stringify(v)} is not supported (supported: ${Object.keys(ACTIVATIONS).join(', ')})`);
    return a;
  };
  if (typeof c.bos_token_id !== 'number') fail('"bos_token_id" is missing: the lens starts every window with the BOS token');
  const bos = c.bos_token_id as number;
  const window = c.use_sliding_window === false ? null : c.sliding_window;
  const slidingWindow = typeof window === 'number' && window > 0 ? window : null;

  let spec: HfSpec;
  if (family === 'gpt2') {
    const d = int('n_embd');
    const H = int('n_head');
    spec = {
      family, modelType: type, nLayers: int('n_layer'), nHeads: H, nKvHeads: H, dModel: d, dHead: d / H,
      dMlp: c.n_inner == null ? 4 * d : int('n_inner'), vocab: int('vocab_size'), maxPositions: int('n_positions'),
      eps: num('layer_norm_epsilon', 1e-5), activation: activation('activation_function', 'gelu_new'),
      rotaryDims: 0, ropeTheta: 0, parallelResidual: false, tiedEmbeddings: true,
      scaleByInverseLayer: c.scale_attn_by_inverse_layer_idx === true, bos, slidingWindow,
    };
    if (c.scale_attn_weights === false) fail('"scale_attn_weights": false is not supported');
  } else if (family === 'gpt_neox') {
    const d = int('hidden_size');
    const H = int('num_attention_heads');
    const rope = ropeParameters(c, fail);
    spec = {
      family, modelType: type, nLayers: int('num_hidden_layers'), nHeads: H, nKvHeads: H, dModel: d, dHead: d / H,
      dMlp: int('intermediate_size'), vocab: int('vocab_size'), maxPositions: int('max_position_embeddings'),
      eps: num('layer_norm_eps', 1e-5), activation: activation('hidden_act', 'gelu'),
      rotaryDims: Math.trunc((d / H) * num('rotary_pct', rope.partial ?? 1)),
      ropeTheta: num('rotary_emb_base', rope.theta ?? 10000),
      parallelResidual: c.use_parallel_residual !== false, tiedEmbeddings: c.tie_word_embeddings === true,
      scaleByInverseLayer: false, bos, slidingWindow,
    };
  } else {
    const d = int('hidden_size');
    const H = int('num_attention_heads');
    const rope = ropeParameters(c, fail);
    const dHead = c.head_dim == null ? d / H : int('head_dim');
    spec = {
      family, modelType: type, nLayers: int('num_hidden_layers'), nHeads: H, nKvHeads: int('num_key_value_heads', H),
      dModel: d, dHead, dMlp: int('intermediate_size'), vocab: int('vocab_size'),
      maxPositions: int('max_position_embeddings'), eps: num('rms_norm_eps', 1e-6), activation: activation('hidden_act', 'silu'),
      rotaryDims: Math.trunc(dHead * (rope.partial ?? 1)), ropeTheta: rope.theta ?? num('rope_theta', 10000),
      parallelResidual: false, tiedEmbeddings: c.tie_word_embeddings === true, scaleByInverseLayer: false, bos, slidingWindow,
    };
    if (spec.nHeads % spec.nKvHeads) fail(`num_attention_heads (${H}) is not a multiple of num_key_value_heads (${spec.nKvHeads})`);
  }
  if (!Number.isInteger(spec.dHead)) fail(`hidden size ${spec.dModel} is not divisible by the ${spec.nHeads} heads`);
  if (spec.rotaryDims % 2) fail(`rotary dimensions per head (${spec.rotaryDims}) must be even`);
  if (bos < 0 || bos >= spec.vocab || !Number.isInteger(bos)) fail(`bos_token_id ${bos} is outside the vocabulary (${spec.vocab})`);
  return spec;
}

/** rope_theta and partial_rotary_factor from either the flat keys or rope_parameters (newer
 *  configs); scaled rotary embeddings (rope_scaling) are refused rather than computed wrongly. */
function ropeParameters(c: Record<string, unknown>, fail: (w: string) => never): { theta?: number; partial?: number } {
  const p = (c.rope_parameters ?? {}) as Record<string, unknown>;
  const scaling = (c.rope_scaling ?? null) as Record<string, unknown> | null;
  const type = (scaling?.rope_type ?? scaling?.type ?? p.rope_type ?? 'default') as string;
  if (type !== 'default') fail(`rotary scaling "${type}" is not supported yet (only unscaled rotary embeddings)`);
  const theta = typeof p.rope_theta === 'number' ? p.rope_theta : typeof c.rope_theta === 'number' ? c.rope_theta : undefined;
  const partial = typeof c.partial_rotary_factor === 'number' ? c.partial_rotary_factor
    : typeof p.partial_rotary_factor === 'number' ? p.partial_rotary_factor : undefined;
  return { theta, partial };
}
