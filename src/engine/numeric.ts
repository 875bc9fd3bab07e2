// Small numeric helpers over flat Float32Array rows.

/** log(sum(exp(row))) of row [off, off+n), computed stably. */
export function logSumExp(x: Float32Array, off: number, n: number): number {
  let max = -Infinity;
  for (let i = 0; i < n; i++) if (x[off + i] > max) max = x[off + i];
  let s = 0;
  for (let i = 0; i < n; i++) s += Math.exp(x[off + i] - max);
  return max + Math.log(s);
}

/** log softmax(row)[k]. */
export function logSoftmaxAt(x: Float32Array, off: number, n: number, k: number): number {
  return x[off + k] - logSumExp(x, off, n);
}

/** 1-based rank of entry k in the row (1 = largest; ties count in k's favour). */
export function rankAt(x: Float32Array, off: number, n: number, k: number): number {
  const v = x[off + k];
  let r = 1;
  for (let i = 0; i < n; i++) if (x[off + i] > v) r++;
  return r;
}

/** Indices of the k largest entries of the row, largest first. */
export function topK(x: Float32Array, off: number, n: number, k: number): number[] {
  const idx: number[] = [];
  for (let i = 0; i < n; i++) {
    const v = x[off + i];
    if (idx.length < k) {
      idx.push(i);
      idx.sort((a, b) => x[off + b] - x[off + a]);
    } else if (v > x[off + idx[k - 1]]) {
      idx[k - 1] = i;
      for (let j = k - 1; j > 0 && x[off + idx[j]] > x[off + idx[j - 1]]; j--) {
        [idx[j], idx[j - 1]] = [idx[j - 1], idx[j]];
      }
    }
  }
  return idx;
}
