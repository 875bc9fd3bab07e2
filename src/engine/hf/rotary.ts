// Rotary position embeddings as graph pieces: tables of cos and sin per position (float32, from
// the inverse frequencies of ropeScaling.ts) and rotate_half as a matrix.
import type { Graph } from '../onnx/graph';
import { inverseFrequencies, type RopeParams } from './ropeScaling';

/** cos and sin [T, d_head] gathered for the positions, and rotate_half [d_head, d_head]. */
export interface RopeTables {
  cos: string;
  sin: string;
  rotate: string;
}

/** Tables for `nCtx` positions; dimensions past `dims` get cos 1 and sin 0 (they pass through).
 *  `name` keeps the tables of several parameter sets apart (Gemma 3's local layers). */
export function ropeTables(g: Graph, name: string, p: RopeParams, D: number, dims: number, positions: string, nCtx: number): RopeTables {
  const cos = new Float32Array(nCtx * D).fill(1);
  const sin = new Float32Array(nCtx * D);
  const { invFreq, attentionFactor } = inverseFrequencies(p, dims);
  const half = dims / 2;
  for (let pos = 0; pos < nCtx; pos++) {
    for (let i = 0; i < dims; i++) {
      // angle = pos * inv_freq in float32; cos and sin then scaled by the attention factor (YaRN, LongRoPE).
      const angle = Math.fround(pos * invFreq[i % half]);
      cos[pos * D + i] = Math.fround(Math.cos(angle)) * attentionFactor;
      sin[pos * D + i] = Math.fround(Math.sin(angle)) * attentionFactor;
    }
  }
  // x @ rotate = rotate_half(x) on the first `dims` dims: (-x[half:dims], x[:half]).
  const rot = new Float32Array(D * D);
  for (let j = 0; j < half; j++) {
    rot[(j + half) * D + j] = -1;
    rot[j * D + j + half] = 1;
  }
  return {
    cos: g.op('Gather', [g.weight(`${name}.cos`, cos, [nCtx, D]), positions]), // [T, D]
    sin: g.op('Gather', [g.weight(`${name}.sin`, sin, [nCtx, D]), positions]),
    rotate: g.weight(`${name}.rotate_half`, rot, [D, D]),
  };
}

/** x * cos + rotate_half(x) * sin, for x [B, H, T, D]. */
export function rotary(g: Graph, x: string, rope: RopeTables): string {
  return g.op('Add', [g.op('Mul', [x, rope.cos]), g.op('Mul', [g.op('MatMul', [x, rope.rotate]), rope.sin])]);
}
