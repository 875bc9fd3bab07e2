// The names of a built graph's inputs and outputs: the manifest's io block for Hugging Face
// folders, and the graph builder's outputs.
export const TOP_K = 5;

export const IO = {
  input_ids: 'input_ids', head_mask: 'head_mask', logits: 'logits', attentions: 'attentions',
  logsumexp: 'logsumexp', top_k: { values: 'top_k_values', indices: 'top_k_indices', k: TOP_K },
} as const;
