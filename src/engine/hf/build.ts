// The ONNX graph of a Hugging Face causal LM (GPT-2, GPT-NeoX, Llama-style): what `transformers`
// computes in eager attention (fp32), plus a required head_mask [n_layers, n_heads] multiplied
// into each head's output and every layer's attention probabilities as one output.
import type { Tensor } from '../safetensors';
import { EngineError } from '../errors';
import { Graph, type SerializedModel } from '../onnx/graph';
import { columns } from '../linalg';
import type { HfSpec } from './config';
import { IO, TOP_K } from './io';
import { ropeTables, rotary, type RopeTables } from './rotary';

/** A weight stored [out, in] and used as W^T (Gemm transB). */
interface Operand {
  name: string;
  out: number;
  inp: number;
}

export interface WeightSource {
  has(name: string): boolean;
  get(name: string): Tensor;
}

/** The model's graph and its weights; `nCtx` bounds the positions the rotary tables cover. */
export function buildHfGraph(spec: HfSpec, weights: WeightSource, nCtx: number): SerializedModel {
  const g = new Graph();
  const bt = g.op('Slice', [g.op('Shape', [g.input(IO.input_ids, 'int64', ['batch', 'seq'])]), g.ints([0]), g.ints([2])]); // [2] = (B, T)
  const b = new Builder(g, spec, weights, bt);
  const { nLayers: L, nHeads: H } = spec;
  const ids = IO.input_ids;                                               // [B, T]
  const headMask = g.input(IO.head_mask, 'float32', [L, H]);              // [L, H]
  const shape = g.op('Shape', [ids]);                                     // [2] = (B, T)
  const T = g.op('Gather', [shape, g.ints([1], [])]);                     // scalar T
  const positions = g.op('Range', [g.ints([0], []), T, g.ints([1], [])]); // [T]
  const TT = g.op('Concat', [g.op('Unsqueeze', [T, g.ints([0])]), g.op('Unsqueeze', [T, g.ints([0])])], { axis: 0 });
  // Causal mask [T, T] (true on and below the diagonal), as a bool for Where.
  const causal = g.op('Cast', [g.op('Trilu', [g.op('Expand', [g.scalar(1), TT])], { upper: 0 })], { to: 9 });
  const rope = spec.rotaryDims ? ropeTables(g, spec, positions, nCtx) : null;

  let h = g.op('Gather', [b.w(b.name('embed'), [spec.vocab, spec.dModel]), ids]);                     // [B, T, d]
  if (spec.family === 'gpt2') h = g.op('Add', [h, g.op('Gather', [b.w(b.name('positions'), [spec.maxPositions, spec.dModel]), positions])]);
  const patterns: string[] = [];
  for (let l = 0; l < L; l++) {
    const maskRow = g.op('Reshape', [g.op('Gather', [headMask, g.ints([l], [])]), g.ints([1, H, 1, 1])]); // [1, H, 1, 1]
    const { out, pattern } = b.attention(l, b.norm(h, l, 'attn'), causal, rope, maskRow);
    patterns.push(g.op('Unsqueeze', [pattern, g.ints([1])]));              // [B, 1, H, T, T]
    if (spec.parallelResidual) {
      // GPT-NeoX: mlp(ln2(x)) + attn(ln1(x)) + x, in that order.
      h = g.op('Add', [g.op('Add', [b.mlp(l, b.norm(h, l, 'mlp')), out]), h]);
    } else {
      h = g.op('Add', [h, out]);
      h = g.op('Add', [h, b.mlp(l, b.norm(h, l, 'mlp'))]);
    }
  }
  h = b.norm(h, -1, 'final');
  const logits = b.affine(h, b.unembed(), null);                            // [B, T, V]
  g.output(logits, IO.logits, 'float32', ['batch', 'seq', spec.vocab]);
  g.output(g.op('Concat', patterns, { axis: 1 }), IO.attentions, 'float32', ['batch', L, H, 'seq', 'seq']);
  g.output(g.op('ReduceLogSumExp', [logits], { axes: [-1], keepdims: 0 }), IO.logsumexp, 'float32', ['batch', 'seq']);
  g.opN('TopK', [logits, g.ints([TOP_K])], 2, { axis: -1 }, [IO.top_k.values, IO.top_k.indices]);
  g.output(IO.top_k.values, IO.top_k.values, 'float32', ['batch', 'seq', TOP_K]);
  g.output(IO.top_k.indices, IO.top_k.indices, 'int64', ['batch', 'seq', TOP_K]);
  return g.serialize('induction-lens');
}

class Builder {
  private readonly added = new Set<string>();
  private readonly btShapes = new Map<number, string>();
  /** `bt`: the input's [B, T] as a shape tensor. */
  constructor(private readonly g: Graph, private readonly s: HfSpec, private readonly weights: WeightSource, private readonly bt: string) {}

  /** HF tensor names per family. */
  name(what: 'embed' | 'positions' | 'unembed' | 'finalNorm'): string {
    const p = this.gpt2Prefix();
    switch (this.s.family) {
      case 'gpt2':
        return { embed: `${p}wte.weight`, positions: `${p}wpe.weight`, unembed: 'lm_head.weight', finalNorm: `${p}ln_f` }[what];
      case 'gpt_neox':
        return { embed: 'gpt_neox.embed_in.weight', positions: '', unembed: 'embed_out.weight', finalNorm: 'gpt_neox.final_layer_norm' }[what];
      case 'llama':
        return { embed: 'model.embed_tokens.weight', positions: '', unembed: 'lm_head.weight', finalNorm: 'model.norm' }[what];
    }
  }

  private layer(l: number, n: string): string {
    return { gpt2: `${this.gpt2Prefix()}h.${l}.${n}`, gpt_neox: `gpt_neox.layers.${l}.${n}`, llama: `model.layers.${l}.${n}` }[this.s.family];
  }

  private gpt2Prefix(): string {
    return this.s.family === 'gpt2' && this.weights.has('transformer.wte.weight') ? 'transformer.' : '';
  }

  /** A weight used as is, after checking its shape (added once, however often it is used). */
  w(name: string, shape?: number[]): string {
    if (this.added.has(name)) return name;
    const t = this.tensor(name, shape);
    this.added.add(name);
    return this.g.weight(name, t.data, t.shape);
  }

  /** A weight [out, in] used as W^T by Gemm (transB): never transposed, never copied. */
  private transposed(name: string, out: number, inp: number): Operand {
    return { name, out, inp };
  }

  /** [B, T, n] as a shape tensor, from the input's batch and length (one per width). */
  private btShape(n: number): string {
    let s = this.btShapes.get(n);
    if (!s) this.btShapes.set(n, (s = this.g.op('Concat', [this.bt, this.g.ints([n])], { axis: 0 })));
    return s;
  }

  private tensor(name: string, shape?: number[]): Tensor {
    if (!this.weights.has(name)) throw new EngineError(`the weights have no tensor "${name}" (expected in a ${this.s.modelType} model)`);
    const t = this.weights.get(name);
    if (shape && (t.shape.length !== shape.length || t.shape.some((d, i) => d !== shape[i]))) {
      throw new EngineError(`tensor "${name}" has shape [${t.shape}], config.json implies [${shape}]`);
    }
    return t;
  }

  /** A torch Linear weight [out, in], used transposed. */
  private linear(name: string, out: number, inp: number): Operand {
    return this.transposed(this.w(name, [out, inp]), out, inp);
  }

  private bias(name: string, n: number): string | null {
    return this.weights.has(name) ? this.w(name, [n]) : null;
  }

  /** x W (+ b) for x [B, T, in]: MatMul for a weight [in, out]; for one stored [out, in], Gemm
   *  with transB on x as [B*T, in], so no transposed copy of the weight is ever made. */
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

  /** The norm before attention ('attn'), before the MLP ('mlp') or after the last layer ('final'). */
  norm(x: string, l: number, where: 'attn' | 'mlp' | 'final'): string {
    const s = this.s;
    const names = {
      gpt2: { attn: 'ln_1', mlp: 'ln_2' },
      gpt_neox: { attn: 'input_layernorm', mlp: 'post_attention_layernorm' },
      llama: { attn: 'input_layernorm', mlp: 'post_attention_layernorm' },
    }[s.family];
    const base = where === 'final' ? this.name('finalNorm') : this.layer(l, names[where]);
    const weight = this.w(`${base}.weight`, [s.dModel]);
    if (s.family === 'llama') {
      // RMSNorm: weight * (x * rsqrt(mean(x^2) + eps)).
      const variance = this.g.op('ReduceMean', [this.g.op('Mul', [x, x])], { axes: [-1], keepdims: 1 });
      const inv = this.g.op('Reciprocal', [this.g.op('Sqrt', [this.g.op('Add', [variance, this.g.scalar(s.eps)])])]);
      return this.g.op('Mul', [weight, this.g.op('Mul', [x, inv])]);
    }
    return this.g.op('LayerNormalization', [x, weight, this.w(`${base}.bias`, [s.dModel])], { axis: -1, epsilon: { f: s.eps } });
  }

  /** Q, K, V projections (K and V repeated per query head): [d_model, H * d_head] for GPT-2,
   *  stored [H * d_head, d_model] and used transposed for the others. */
  private qkv(l: number): { q: string | Operand; k: string | Operand; v: string | Operand; bq: string | null; bk: string | null; bv: string | null } {
    const { dModel: d, nHeads: H, nKvHeads: Hkv, dHead: D } = this.s;
    const g = this.g;
    if (this.s.family === 'gpt2') {
      // Conv1D c_attn: y = x @ W + b, W [d, 3d] with Q, K, V side by side.
      const w = this.tensor(this.layer(l, 'attn.c_attn.weight'), [d, 3 * d]);
      const b = this.tensor(this.layer(l, 'attn.c_attn.bias'), [3 * d]);
      const part = (i: number) => g.weight(this.layer(l, `attn.${'qkv'[i]}.W`), columns(w.data, d, 3 * d, i * d, d), [d, d]);
      const bias = (i: number) => g.weight(this.layer(l, `attn.${'qkv'[i]}.b`), b.data.slice(i * d, (i + 1) * d), [d]);
      return { q: part(0), k: part(1), v: part(2), bq: bias(0), bk: bias(1), bv: bias(2) };
    }
    if (this.s.family === 'gpt_neox') {
      // query_key_value [H * 3 * D, d]: per head, D rows of Q, then K, then V.
      const name = this.layer(l, 'attention.query_key_value');
      const w = this.tensor(`${name}.weight`, [3 * d, d]);
      const b = this.weights.has(`${name}.bias`) ? this.tensor(`${name}.bias`, [3 * d]) : null;
      const pick = (i: number) => {
        const rows = new Float32Array(H * D * d);
        const bias = new Float32Array(H * D);
        for (let h = 0; h < H; h++) {
          rows.set(w.data.subarray((h * 3 * D + i * D) * d, (h * 3 * D + (i + 1) * D) * d), h * D * d);
          if (b) bias.set(b.data.subarray(h * 3 * D + i * D, h * 3 * D + (i + 1) * D), h * D);
        }
        return {
          w: this.transposed(g.weight(`${name}.${'qkv'[i]}`, rows, [H * D, d]), H * D, d),
          b: b ? g.weight(`${name}.${'qkv'[i]}.b`, bias, [H * D]) : null,
        };
      };
      const [q, k, v] = [0, 1, 2].map(pick);
      return { q: q.w, k: k.w, v: v.w, bq: q.b, bk: k.b, bv: v.b };
    }
    // Llama: separate projections; K and V heads repeated so each query head has its own (repeat_kv).
    const proj = (n: string, heads: number) => {
      const wname = this.layer(l, `self_attn.${n}.weight`);
      const bname = this.layer(l, `self_attn.${n}.bias`);
      const rep = H / heads;
      if (rep === 1) return { w: this.transposed(this.w(wname, [H * D, d]), H * D, d), b: this.bias(bname, H * D) };
      // Grouped-query attention: each query head gets its own copy of its K/V head (repeat_kv).
      const t = this.tensor(wname, [heads * D, d]);
      const bt = this.weights.has(bname) ? this.tensor(bname, [heads * D]) : null;
      const rows = new Float32Array(H * D * d);
      const bias = bt ? new Float32Array(H * D) : null;
      for (let h = 0; h < H; h++) {
        const src = Math.floor(h / rep);
        rows.set(t.data.subarray(src * D * d, (src + 1) * D * d), h * D * d);
        bias?.set(bt!.data.subarray(src * D, (src + 1) * D), h * D);
      }
      const w = this.transposed(g.weight(this.layer(l, `self_attn.${n}.repeated`), rows, [H * D, d]), H * D, d);
      return { w, b: bias ? g.weight(this.layer(l, `self_attn.${n}.b`), bias, [H * D]) : null };
    };
    const [q, k, v] = [proj('q_proj', H), proj('k_proj', Hkv), proj('v_proj', Hkv)];
    return { q: q.w, k: k.w, v: v.w, bq: q.b, bk: k.b, bv: v.b };
  }

  attention(l: number, x: string, causal: string, rope: RopeTables | null, maskRow: string): { out: string; pattern: string } {
    const g = this.g;
    const { dModel: d, nHeads: H, dHead: D } = this.s;
    const p = this.qkv(l);
    const heads = (y: string) => g.op('Transpose', [g.op('Reshape', [y, g.ints([0, 0, H, D])])], { perm: [0, 2, 1, 3] }); // [B, H, T, D]
    let q = heads(this.affine(x, p.q, p.bq));
    let k = heads(this.affine(x, p.k, p.bk));
    const v = heads(this.affine(x, p.v, p.bv));
    if (rope) {
      q = rotary(this.g, q, rope);
      k = rotary(this.g, k, rope);
    }
    let scores = g.op('MatMul', [q, g.op('Transpose', [k], { perm: [0, 1, 3, 2] })]); // [B, H, T, T]
    if (this.s.family === 'gpt2') {
      // GPT-2 divides by sqrt(d_head) (and by layer + 1 when configured); the others multiply by d_head^-0.5.
      scores = g.op('Div', [scores, g.scalar(Math.sqrt(D) * (this.s.scaleByInverseLayer ? l + 1 : 1))]);
    } else {
      scores = g.op('Mul', [scores, g.scalar(D ** -0.5)]);
    }
    scores = g.op('Where', [causal, scores, g.scalar(-3.4028234663852886e38)]);
    const pattern = g.op('Softmax', [scores], { axis: -1 });               // [B, H, T, T]
    const z = g.op('Mul', [g.op('MatMul', [pattern, v]), maskRow]);        // [B, H, T, D]
    const merged = g.op('Reshape', [g.op('Transpose', [z], { perm: [0, 2, 1, 3] }), g.ints([0, 0, H * D])]); // [B, T, H*D]
    const o: [string | Operand, string | null] = {
      gpt2: (): [string, string | null] => [this.w(this.layer(l, 'attn.c_proj.weight'), [H * D, d]), this.bias(this.layer(l, 'attn.c_proj.bias'), d)],
      gpt_neox: (): [Operand, string | null] => [this.linear(this.layer(l, 'attention.dense.weight'), d, H * D), this.bias(this.layer(l, 'attention.dense.bias'), d)],
      llama: (): [Operand, string | null] => [this.linear(this.layer(l, 'self_attn.o_proj.weight'), d, H * D), this.bias(this.layer(l, 'self_attn.o_proj.bias'), d)],
    }[this.s.family]();
    return { out: this.affine(merged, o[0], o[1]), pattern };
  }

  mlp(l: number, x: string): string {
    const { dModel: d, dMlp: f } = this.s;
    const L = (n: string) => this.layer(l, n);
    if (this.s.family === 'gpt2') {
      const hidden = this.act(this.affine(x, this.w(L('mlp.c_fc.weight'), [d, f]), this.bias(L('mlp.c_fc.bias'), f)));
      return this.affine(hidden, this.w(L('mlp.c_proj.weight'), [f, d]), this.bias(L('mlp.c_proj.bias'), d));
    }
    if (this.s.family === 'gpt_neox') {
      const hidden = this.act(this.affine(x, this.linear(L('mlp.dense_h_to_4h.weight'), f, d), this.bias(L('mlp.dense_h_to_4h.bias'), f)));
      return this.affine(hidden, this.linear(L('mlp.dense_4h_to_h.weight'), d, f), this.bias(L('mlp.dense_4h_to_h.bias'), d));
    }
    // SwiGLU: down(act(gate(x)) * up(x)).
    const gate = this.act(this.affine(x, this.linear(L('mlp.gate_proj.weight'), f, d), this.bias(L('mlp.gate_proj.bias'), f)));
    const up = this.affine(x, this.linear(L('mlp.up_proj.weight'), f, d), this.bias(L('mlp.up_proj.bias'), f));
    return this.affine(this.g.op('Mul', [gate, up]), this.linear(L('mlp.down_proj.weight'), d, f), this.bias(L('mlp.down_proj.bias'), d));
  }

  private act(x: string): string {
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

  /** The unembedding: lm_head (or embed_out), or the embedding itself when tied, used as W^T. */
  unembed(): Operand {
    const { dModel: d, vocab: V } = this.s;
    const own = this.name('unembed');
    if (this.weights.has(own)) return this.linear(own, V, d);
    if (!this.s.tiedEmbeddings) throw new EngineError(`the weights have no tensor "${own}" and config.json does not tie the embeddings`);
    return this.transposed(this.w(this.name('embed'), [V, d]), V, d);
  }
}
