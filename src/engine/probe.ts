// The repeated-random-token probe (docs/definitions.md). The PRNG is mulberry32 so that the training
// pipeline (training/probe.py) draws exactly the same probe tokens from the same seed.
import type { InferenceBackend } from './backend';
import { logSoftmaxAt } from './numeric';

export const PROBE_SEED = 20261125;
export const PROBE_LEN = 50;
export const PROBE_BATCH = 8;

export function mulberry32(seed: number): () => number {
  let a = seed | 0;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return (t ^ (t >>> 14)) >>> 0;
  };
}

/** Positions before the first random token of a probe row: 1 (BOS) or 0 (the model has no BOS). */
export function probePrefix(bos: number | null): 0 | 1 {
  return bos === null ? 0 : 1;
}

/**
 * [batch, prefix + 2*length] row-major. With a BOS token: BOS, R, R with R uniform over the ids
 * other than BOS. Without (bos null, a model whose tokenizer adds none): R, R with R uniform over
 * all ids below dVocab, so the probe shows the model no token it never saw first.
 */
export function probeTokens(dVocab: number, bos: number | null, length = PROBE_LEN, batch = PROBE_BATCH, seed = PROBE_SEED): Int32Array {
  const next = mulberry32(seed);
  const p = probePrefix(bos);
  const seq = p + 2 * length;
  const out = new Int32Array(batch * seq);
  for (let b = 0; b < batch; b++) {
    const row = b * seq;
    if (bos !== null) out[row] = bos;
    for (let i = 0; i < length; i++) {
      let id: number;
      if (bos === null) id = next() % dVocab;
      else {
        const x = next() % (dVocab - 1);
        id = x >= bos ? x + 1 : x;
      }
      out[row + p + i] = id;
      out[row + p + length + i] = id;
    }
  }
  return out;
}

export interface HeadScore {
  layer: number;
  head: number;
  induction: number;
  previousToken: number;
  duplicateToken: number;
}

export interface ProbeResult {
  heads: HeadScore[];
  /** Mean next-token loss inside the first copy (q in [p, p+L-2]) and the second (q in
   *  [p+L, p+2L-2]), p = probePrefix (with BOS: [1, L-1] and [L+1, 2L-1]). */
  lossFirstCopy: number;
  lossSecondCopy: number;
}

/**
 * Scores from the probe's forward pass on `tokens` (probeTokens's layout, with or without BOS:
 * seq = p + 2L, p = probePrefix). attentions [batch, n_layers, n_heads, seq, seq], logits
 * [batch, seq, d_vocab]. Query positions of the second copy are q in [p+L, p+2L-1] (with BOS
 * [L+1, 2L]): induction = mean A[q, q-L+1], previous-token = mean A[q, q-1], duplicate-token =
 * mean A[q, q-L].
 */
export function probeScores(
  tokens: Int32Array, logits: Float32Array, attentions: Float32Array,
  batch: number, nLayers: number, nHeads: number, dVocab: number, length = PROBE_LEN,
): ProbeResult {
  const L = length;
  const S = tokens.length / batch;
  const p = S - 2 * L;
  if (p !== 0 && p !== 1) throw new RangeError(`probe rows of ${S} tokens are not [BOS,] R, R with |R| = ${L}`);
  const heads: HeadScore[] = [];
  const n = batch * L;
  for (let l = 0; l < nLayers; l++) {
    for (let h = 0; h < nHeads; h++) {
      let ind = 0, prev = 0, dup = 0;
      for (let b = 0; b < batch; b++) {
        const base = ((b * nLayers + l) * nHeads + h) * S * S;
        for (let q = p + L; q < p + 2 * L; q++) {
          const row = base + q * S;
          ind += attentions[row + q - L + 1];
          prev += attentions[row + q - 1];
          dup += attentions[row + q - L];
        }
      }
      heads.push({ layer: l, head: h, induction: ind / n, previousToken: prev / n, duplicateToken: dup / n });
    }
  }
  const meanLoss = (from: number, to: number) => {
    let s = 0, c = 0;
    for (let b = 0; b < batch; b++) {
      for (let q = from; q <= to; q++) {
        s -= logSoftmaxAt(logits, (b * S + q) * dVocab, dVocab, tokens[b * S + q + 1]);
        c++;
      }
    }
    return s / c;
  };
  return { heads, lossFirstCopy: meanLoss(p, p + L - 2), lossSecondCopy: meanLoss(p + L, p + 2 * L - 2) };
}

export async function runProbe(
  backend: InferenceBackend, nLayers: number, nHeads: number, dVocab: number, bos: number | null, tokenVocab = dVocab,
): Promise<ProbeResult> {
  const tokens = probeTokens(tokenVocab, bos);
  const seq = probePrefix(bos) + 2 * PROBE_LEN;
  const out = await backend.forward({ ids: tokens, batch: PROBE_BATCH, seq, wantAttentions: true });
  return probeScores(tokens, out.logits, out.attentions!, PROBE_BATCH, nLayers, nHeads, dVocab);
}
