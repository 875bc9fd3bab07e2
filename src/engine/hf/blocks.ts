// Graph pieces every family shares: weights checked against their expected shapes, linear layers
// (weights stored [out, in] used through Gemm transB, never transposed or copied), norms,
// activations and attention with head_mask, soft-capping, sliding windows and the pattern output.
import type { Tensor } from '../safetensors';
import { EngineError } from '../errors';
import type { Graph } from '../onnx/graph';
import type { PathName, PathSpec } from './pathAblation';
import { rotary, type RopeTables } from './rotary';
import type { HfSpec } from './spec';

/** A weight stored [out, in] and used as W^T (Gemm transB). */
export interface Operand {
  name: string;
  out: number;
  inp: number;
}

export interface WeightSource {
  has(name: string): boolean;
  get(name: string): Tensor;
}

/** What attention in layer l needs besides its q, k and v. */
export interface LayerContext {
  /** [T, T] bool: key visible from query (causal), and within the sliding window. */
  causal: string;
  sliding: string | null;
  /** Rotary tables of full-attention layers, and of sliding ones when they differ. */
  rope: RopeTables | null;
  localRope: RopeTables | null;
  /** [1, H, 1, 1]: this layer's row of head_mask. */
  maskRow: string;
  /** [T]: the positions 0..T-1 (Shortformer models add their embeddings to queries and keys). */
  positions: string;
}

const MIN_F32 = -3.4028234663852886e38;

export class Blocks {
  private readonly added = new Set<string>();
  /** Each layer's head outputs before W_O, [B, H, T, D] (head mask applied), for attributions. */
  readonly zByLayer = new Map<number, string>();
  /** The path ablation this graph has built in (pathAblation.ts), and the sender's output
   *  [B, T, d] once its layer is built. */
  path: PathSpec | null = null;
  senderOut: string | null = null;
  private readonly btShapes = new Map<number, string>();
  /** `bt`: the input's [B, T] as a shape tensor. */
  constructor(readonly g: Graph, readonly s: HfSpec, private readonly weights: WeightSource, private readonly bt: string) {}

  has(name: string): boolean {
    return this.weights.has(name);
  }

  tensor(name: string, shape?: number[]): Tensor {
    if (!this.weights.has(name)) throw new EngineError(`the weights have no tensor "${name}" (expected in a ${this.s.modelType} model)`);
    const t = this.weights.get(name);
    if (shape && (t.shape.length !== shape.length || t.shape.some((d, i) => d !== shape[i]))) {
      throw new EngineError(`tensor "${name}" has shape [${t.shape}], ${this.s.family === 'attn_only' ? 'model.json' : 'config.json'} implies [${shape}]`);
    }
    return t;
  }

  /** A weight used as is, after checking its shape (added once, however often it is used). */
  w(name: string, shape?: number[]): string {
    if (this.added.has(name)) return name;
    const t = this.tensor(name, shape);
    this.added.add(name);
    return this.g.weight(name, t.data, t.shape);
  }

  /** A weight derived from stored ones (made once, however often it is used). */
  derived(name: string, dims: number[], make: () => Float32Array): string {
    if (!this.added.has(name)) {
      this.added.add(name);
      this.g.weight(name, make(), dims);
    }
    return name;
  }

  /** A torch Linear weight [out, in], used transposed. */
  linear(name: string, out: number, inp: number): Operand {
    return { name: this.w(name, [out, inp]), out, inp };
  }

  bias(name: string, n: number): string | null {
    return this.weights.has(name) ? this.w(name, [n]) : null;
  }

  /** x W (+ b) for x [B, T, in]: MatMul for a weight [in, out]; for one stored [out, in], Gemm
   *  with transB on x as [B*T, in]. */
  affine(x: string, weight: string | Operand, bias: string | null): string {
    const g = this.g;
    if (typeof weight === 'string') {
      const y = g.op('MatMul', [x, weight]);
      return bias ? g.op('Add', [y, bias]) : y;
    }
    const flat = g.op('Reshape', [x, g.ints([-1, weight.inp])]);                // [B*T, in]
    const y = g.op('Gemm', bias ? [flat, weight.name, bias] : [flat, weight.name], { transB: 1 }); // [B*T, out]
    return g.op('Reshape', [y, this.btShape(weight.out)]);                      // [B, T, out]
  }

  /** A torch Linear layer `name` (.weight [out, in], optional .bias) applied to x [B, T, in]. */
  dense(x: string, name: string, out: number, inp: number): string {
    return this.affine(x, this.linear(`${name}.weight`, out, inp), this.bias(`${name}.bias`, out));
  }

  /** Splits the last axis of y into parts of the given widths (fused projections). */
  split(y: string, widths: number[]): string[] {
    return this.g.opN('Split', [y, this.g.ints(widths)], widths.length, { axis: -1 });
  }

  /** [B, T, d] as a shape tensor from the input's batch and length (one per width). */
  private btShape(n: number): string {
    let s = this.btShapes.get(n);
    if (!s) this.btShapes.set(n, (s = this.g.op('Concat', [this.bt, this.g.ints([n])], { axis: 0 })));
    return s;
  }

  layerNorm(x: string, base: string, n = this.s.dModel): string {
    return this.g.op('LayerNormalization', [x, this.w(`${base}.weight`, [n]), this.w(`${base}.bias`, [n])], { axis: -1, epsilon: { f: this.s.eps } });
  }

  /** RMSNorm over the last axis (n wide): w * (x * rsqrt(mean(x^2) + eps)), or (1 + w) for Gemma. */
  rmsNorm(x: string, base: string, n = this.s.dModel): string {
    const g = this.g;
    const variance = g.op('ReduceMean', [g.op('Mul', [x, x])], { axes: [-1], keepdims: 1 });
    const normed = g.op('Mul', [x, g.op('Reciprocal', [g.op('Sqrt', [g.op('Add', [variance, g.scalar(this.s.eps)])])])]);
    return g.op('Mul', [normed, this.rmsWeight(base, n)]);
  }

  /** An RMSNorm's weight as it multiplies: w, or (1 + w) for Gemma (added once per norm). */
  rmsWeight(base: string, n = this.s.dModel): string {
    const w = this.w(`${base}.weight`, [n]);
    return this.s.normPlusOne ? this.g.op('Add', [this.g.scalar(1), w]) : w;
  }

  act(x: string): string {
    const g = this.g;
    switch (this.s.activation) {
      case 'gelu': // x * 0.5 * (1 + erf(x / sqrt(2)))
        return g.op('Mul', [g.op('Mul', [x, g.scalar(0.5)]), g.op('Add', [g.scalar(1), g.op('Erf', [g.op('Mul', [x, g.scalar(Math.SQRT1_2)])])])]);
      case 'gelu_new': { // 0.5 * x * (1 + tanh(sqrt(2/pi) * (x + 0.044715 * x^3)))
        const cube = g.op('Pow', [x, g.scalar(3)]);
        const inner = g.op('Mul', [g.scalar(Math.sqrt(2 / Math.PI)), g.op('Add', [x, g.op('Mul', [g.scalar(0.044715), cube])])]);
        return g.op('Mul', [g.op('Mul', [g.scalar(0.5), x]), g.op('Add', [g.scalar(1), g.op('Tanh', [inner])])]);
      }
      case 'relu':
        return g.op('Relu', [x]);
      case 'silu':
        return g.op('Mul', [x, g.op('Sigmoid', [x])]);
    }
  }

  /** tanh(x / c) * c (Gemma 2's soft-capping). */
  softcap(x: string, c: number): string {
    return this.g.op('Mul', [this.g.op('Tanh', [this.g.op('Div', [x, this.g.scalar(c)])]), this.g.scalar(c)]);
  }

  /** [B, T, n * D] -> [B, n, T, D]. */
  heads(y: string, n: number): string {
    return this.g.op('Transpose', [this.g.op('Reshape', [y, this.g.ints([0, 0, n, this.s.dHead])])], { perm: [0, 2, 1, 3] });
  }

  /** Key/value heads [B, Hkv, T, D] repeated so each query head has its own (repeat_kv). */
  private repeatKv(x: string): string {
    const { nHeads: H, nKvHeads: Hkv, dHead: D } = this.s;
    if (H === Hkv) return x;
    const g = this.g;
    const shape = g.op('Shape', [x]);                                                        // (B, Hkv, T, D)
    const pick = (i: number) => g.op('Gather', [shape, g.ints([i])]);
    const expanded = g.op('Concat', [pick(0), g.ints([Hkv, H / Hkv]), pick(2), g.ints([D])], { axis: 0 });
    const big = g.op('Expand', [g.op('Unsqueeze', [x, g.ints([2])]), expanded]);             // [B, Hkv, rep, T, D]
    return g.op('Reshape', [big, g.ints([0, H, -1, D])]);                                    // [B, H, T, D]
  }

  /**
   * Attention of layer l from q [B, H, T, D] and k, v [B, Hkv, T, D] (after any q/k norms):
   * rotary, scores times attnScale (GPT-2: divided), soft-capping, causal or sliding mask,
   * softmax, head mask on each head's output. Returns the heads merged [B, T, H * D] and the
   * pattern [B, H, T, T].
   */
  attend(
    l: number, q: string, k: string, v: string, ctx: LayerContext,
    alt?: { q: string; k: string; v: string; path: PathName; head: number },
  ): { merged: string; pattern: string } {
    const g = this.g;
    const { nHeads: H, dHead: D } = this.s;
    const sliding = this.s.layerTypes[l] === 'sliding';
    const rope = sliding && ctx.localRope ? ctx.localRope : ctx.rope;
    const rot = (x: string) => (rope ? rotary(g, x, rope) : x);
    // Per query head [B, H, T, D]; a path ablation swaps in the receiver head's alternative.
    const per = { q: rot(q), k: this.repeatKv(rot(k)), v: this.repeatKv(v) };
    if (alt) {
      const altPer = { q: rot(alt.q), k: this.repeatKv(rot(alt.k)), v: this.repeatKv(alt.v) }[alt.path];
      const oneHot = g.weight(`path.onehot.${l}`, Float32Array.from({ length: H }, (_, h) => (h === alt.head ? 1 : 0)), [1, H, 1, 1]);
      per[alt.path] = g.op('Add', [per[alt.path], g.op('Mul', [oneHot, g.op('Sub', [altPer, per[alt.path]])])]);
    }
    let scores = g.op('MatMul', [per.q, g.op('Transpose', [per.k], { perm: [0, 1, 3, 2] })]); // [B, H, T, T]
    scores = this.s.scaleByInverseLayer
      ? g.op('Div', [scores, g.scalar(Math.sqrt(D) * (l + 1))])
      : this.s.family === 'gpt2' ? g.op('Div', [scores, g.scalar(Math.sqrt(D))]) : g.op('Mul', [scores, g.scalar(this.s.attnScale)]);
    if (this.s.attnSoftcap !== null) scores = this.softcap(scores, this.s.attnSoftcap);
    const visible = sliding && ctx.sliding ? ctx.sliding : ctx.causal;
    scores = g.op('Where', [visible, scores, g.scalar(MIN_F32)]);
    const pattern = g.op('Softmax', [scores], { axis: -1 });                             // [B, H, T, T]
    const z = g.op('Mul', [g.op('MatMul', [pattern, per.v]), ctx.maskRow]);            // [B, H, T, D]
    const merged = g.op('Reshape', [g.op('Transpose', [z], { perm: [0, 2, 1, 3] }), g.ints([0, 0, H * D])]); // [B, T, H*D]
    this.zByLayer.set(l, z);
    return { merged, pattern };
  }

  /** A W_O stored [out = d, in = H*D] (torch Linear) as [H, D, d]. */
  perHeadFromLinear(name: string): string {
    const { nHeads: H, dHead: D, dModel: d } = this.s;
    return this.g.op('Reshape', [this.g.op('Transpose', [this.w(name, [d, H * D])], { perm: [1, 0] }), this.g.ints([H, D, d])]);
  }

  /** A W_O stored [in = H*D, out = d] (GPT-2's Conv1D, or an [H, D, d] tensor) as [H, D, d]. */
  perHeadFromInOut(name: string, shape: number[]): string {
    const { nHeads: H, dHead: D, dModel: d } = this.s;
    return this.g.op('Reshape', [this.w(name, shape), this.g.ints([H, D, d])]);
  }
}
