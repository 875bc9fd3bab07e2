import type { CancellationToken } from './cancellation';
import type { PathSpec } from './hf/pathAblation';

// What the engine needs from an inference backend: the in-process onnxruntime model
// (src/worker/ortModel.ts), the worker client, or a test fake.

export interface ForwardRequest {
  /** Token ids, row-major [batch, seq]: BOS first when the model has one (attentionIndex.ts). */
  ids: Int32Array;
  batch: number;
  seq: number;
  /** [n_layers, n_heads], 1 = on, 0 = ablated; all ones when absent. */
  headMask?: Float32Array;
  wantAttentions: boolean;
  /** Also return the residual stream entering this layer (1 ≤ layer < n_layers), when the model's
   *  graph is built by the engine (absent from the result otherwise). */
  residAt?: number;
  /** Start at this layer from this residual stream [batch, seq, d_model] instead of the token
   *  embeddings (exact: the layers before it are what produced it); `ids` still gives the shape. */
  from?: { layer: number; resid: Float32Array };
  /** Attention on demand (batch 1): the model positions whose attention rows to return for every
   *  head (attnRows), with every position's attention to the one before (prevAttn). */
  rows?: Int32Array;
  /** Run the model with this path ablated (hf/pathAblation.ts): a graph of its own, built on
   *  first use; models run from an ONNX file refuse it. */
  path?: PathSpec;
  /** Direct logit attribution (with `rows`): (index into rows, token id) pairs, flat [P * 2]. */
  dlaPairs?: Int32Array;
  /** Cancels the pass (a backend in another thread is told; one in process checks before it runs). */
  token?: CancellationToken;
}

export interface ForwardResult {
  batch: number;
  seq: number;
  /** [batch, seq, d_vocab] */
  logits: Float32Array;
  /** [batch, n_layers, n_heads, seq, seq], or null when not requested. */
  attentions: Float32Array | null;
  /** [batch, seq] log Σ exp(logits), when the model provides it. */
  logsumexp?: Float32Array;
  /** [batch, seq, k] largest logits and their ids, when the model provides them. */
  topK?: { k: number; values: Float32Array; ids: Int32Array };
  /** [batch, seq, d_model]: the residual stream entering layer `residAt`, when asked and available. */
  resid?: Float32Array;
  /** With `rows` (R of them): [batch, n_layers, n_heads, R, seq] and [batch, n_layers, n_heads, seq]. */
  attnRows?: Float32Array;
  prevAttn?: Float32Array;
  /** With `dlaPairs` (P of them), when the graph is built by the engine: [batch, n_layers, n_heads, P]. */
  dla?: Float32Array;
}

/** Anything that runs the forward pass: the in-process ORT model, the worker client, a test fake. */
export interface InferenceBackend {
  forward(req: ForwardRequest): Promise<ForwardResult>;
  dispose(): Promise<void>;
}

