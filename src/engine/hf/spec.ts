// What the ONNX builder needs of a Hugging Face causal LM, read from its config.json by the
// family that knows the model_type (families/*.ts). Field names and defaults follow the
// `transformers` configuration classes.
import type { RopeSpec } from './ropeScaling';

export type HfFamily = 'gpt2' | 'gpt_neox' | 'llama' | 'qwen3' | 'gemma' | 'phi3' | 'olmo2' | 'attn_only';
export type Activation = 'gelu' | 'gelu_new' | 'relu' | 'silu';
/** Full causal attention, or attention limited to the last `slidingWindow` positions. */
export type LayerType = 'full' | 'sliding';

export interface HfSpec {
  family: HfFamily;
  /** config.json's model_type, e.g. "gpt2", "gemma2", "qwen3". */
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
  /** Rotary embeddings, or null for learned positions (GPT-2). */
  rope: RopeSpec | null;
  /** GPT-NeoX: attention and MLP both read the layer's input. */
  parallelResidual: boolean;
  tiedEmbeddings: boolean;
  /** Multiplies q·k: d_head^-0.5, or query_pre_attn_scalar^-0.5 (Gemma 2 and 3). */
  attnScale: number;
  /** GPT-2: scores are also divided by (layer index + 1). */
  scaleByInverseLayer: boolean;
  /** Gemma 2: scores become tanh(s / c) * c before the mask; final logits likewise. */
  attnSoftcap: number | null;
  finalSoftcap: number | null;
  /** Gemma: embeddings multiplied by sqrt(hidden) (rounded to float32). */
  embedScale: number | null;
  /** Gemma: RMSNorm multiplies by (1 + w) instead of w. */
  normPlusOne: boolean;
  /** Per-layer attention span: a key j is seen from query i when j <= i and i - j < slidingWindow. */
  layerTypes: LayerType[];
  slidingWindow: number | null;
  /** config.json's bos_token_id, if any (the BOS the lens adds comes from the tokenizer). */
  bos: number | null;
}
