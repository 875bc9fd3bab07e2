// Attention on demand from a full attentions tensor, for models whose graph the engine does not
// build (ONNX files): the same rows and previous-token values the built graphs output
// (hf/io.ts: attn_rows, prev_attn), so the analysis reads one layout whatever the model.

/** attentions [B, L, H, S, S] -> rows [B, L, H, R, S] and prev [B, L, H, S]. */
export function rowsFromAttentions(att: Float32Array, B: number, L: number, H: number, S: number, rows: Int32Array): { attnRows: Float32Array; prevAttn: Float32Array } {
  const R = rows.length;
  const attnRows = new Float32Array(B * L * H * R * S);
  const prevAttn = new Float32Array(B * L * H * S);
  for (let m = 0; m < B * L * H; m++) {
    const base = m * S * S;
    rows.forEach((r, i) => attnRows.set(att.subarray(base + r * S, base + (r + 1) * S), (m * R + i) * S));
    for (let q = 0; q < S; q++) prevAttn[m * S + q] = att[base + q * S + Math.max(q - 1, 0)];
  }
  return { attnRows, prevAttn };
}
