// The names of a built graph's inputs and outputs: the manifest's io block for Hugging Face
// folders, and the graph builder's outputs.
export const TOP_K = 5;

export const IO = {
  input_ids: 'input_ids', head_mask: 'head_mask', logits: 'logits', attentions: 'attentions',
  /** Graphs that start at a later layer (ablation) take the residual stream entering it. */
  resid_in: 'resid_in',
  /** Attention on demand: the query positions [R] (int64) whose rows attn_rows [B, L, H, R, T]
   *  holds for every head, and prev_attn [B, L, H, T], each position's attention to the one before
   *  (position 0: to itself). The full attentions output is then not fetched: never copied out of
   *  onnxruntime, sent across threads or kept (onnxruntime still runs the nodes of every output). */
  query_rows: 'query_rows', attn_rows: 'attn_rows', prev_attn: 'prev_attn',
  /** Direct logit attribution: (row of query_rows, token id) pairs [P, 2] (int64) and, for each,
   *  every head's direct contribution to that token's logit at that row, dla [B, L, H, P]. */
  dla_pairs: 'dla_pairs', dla: 'dla',
  logsumexp: 'logsumexp', top_k: { values: 'top_k_values', indices: 'top_k_indices', k: TOP_K },
} as const;

/** The output holding the residual stream entering layer l [batch, seq, d_model] (1 ≤ l < n_layers). */
export const residOutput = (l: number) => `resid_${l}`;
