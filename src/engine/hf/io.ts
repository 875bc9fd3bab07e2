// The names of a built graph's inputs and outputs: the manifest's io block for Hugging Face
// folders, and the graph builder's outputs.
export const TOP_K = 5;

export const IO = {
  input_ids: 'input_ids', head_mask: 'head_mask', logits: 'logits', attentions: 'attentions',
  /** Graphs that start at a later layer (ablation) take the residual stream entering it. */
  resid_in: 'resid_in',
  logsumexp: 'logsumexp', top_k: { values: 'top_k_values', indices: 'top_k_indices', k: TOP_K },
} as const;

/** The output holding the residual stream entering layer l [batch, seq, d_model] (1 ≤ l < n_layers). */
export const residOutput = (l: number) => `resid_${l}`;
