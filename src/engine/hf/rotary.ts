// Rotary position embeddings as transformers computes them (float32), as graph pieces: tables of
// cos and sin per position, and rotate_half as a matrix.
import type { Graph } from '../onnx/graph';
import type { HfSpec } from './config';

/** cos and sin [T, d_head] gathered for the positions, and rotate_half [d_head, d_head]. */
export interface RopeTables {
  cos: string;
  sin: string;
  rotate: string;
}

/** Dimensions past rotaryDims get cos 1 and sin 0: they pass through unchanged. */
export function ropeTables(g: Graph, spec: HfSpec, positions: string, nCtx: number): RopeTables {
  const { dHead: D, rotaryDims: R, ropeTheta: base } = spec;
  const cos = new Float32Array(nCtx * D).fill(1);
  const sin = new Float32Array(nCtx * D);
  // inv_freq = 1 / base^(2i/R); angle = pos * inv_freq, each step rounded to float32.
  const invFreq = Array.from({ length: R / 2 }, (_, i) => Math.fround(1 / Math.fround(base ** Math.fround((2 * i) / R))));
  for (let p = 0; p < nCtx; p++) {
    for (let i = 0; i < R; i++) {
      const angle = Math.fround(p * invFreq[i % (R / 2)]);
      cos[p * D + i] = Math.cos(angle);
      sin[p * D + i] = Math.sin(angle);
    }
  }
  // x @ rotate = rotate_half(x) on the first R dims: (-x[R/2:R], x[:R/2]).
  const rot = new Float32Array(D * D);
  for (let j = 0; j < R / 2; j++) {
    rot[(j + R / 2) * D + j] = -1;
    rot[j * D + j + R / 2] = 1;
  }
  return {
    cos: g.op('Gather', [g.weight('rope.cos', cos, [nCtx, D]), positions]), // [T, D]
    sin: g.op('Gather', [g.weight('rope.sin', sin, [nCtx, D]), positions]),
    rotate: g.weight('rope.rotate_half', rot, [D, D]),
  };
}

/** x * cos + rotate_half(x) * sin, for x [B, H, T, D]. */
export function rotary(g: Graph, x: string, rope: RopeTables): string {
  return g.op('Add', [g.op('Mul', [x, rope.cos]), g.op('Mul', [g.op('MatMul', [x, rope.rotate]), rope.sin])]);
}
