// Llama and the models that share its maths (Mistral, Qwen2, and through llamaStyle Qwen3 and
// Phi-3): RMSNorm before attention and MLP, rotary on q and k, grouped-query attention, SwiGLU
// MLP down(act(gate(x)) * up(x)), optional biases (Qwen2 has them on q, k and v).
import type { Blocks } from '../blocks';
import { selfAttention } from '../pathAblation';
import type { ConfigReader } from '../configReader';
import { parseRope, type RopeType } from '../ropeScaling';
import type { HfFamily, LayerType } from '../spec';
import { llamaDims, makeSpec, TensorList, unembedding, type Family } from './family';

export const at = (l: number, n: string) => `model.layers.${l}.${n}`;

/** What every model.layers.* decoder (Llama-style, Gemma, OLMo 2) ends with: the final RMSNorm
 *  model.norm, lm_head or the tied embedding, and the pieces of direct logit attribution. */
export const decoderEnds: Pick<Family, 'final' | 'unembed' | 'headOutput' | 'finalNorm'> = {
  final: (b, h) => b.rmsNorm(h, 'model.norm'),
  unembed: (b) => unembedding(b, 'lm_head.weight', 'model.embed_tokens.weight'),
  headOutput: (b, l) => b.perHeadFromLinear(at(l, 'self_attn.o_proj.weight')),
  finalNorm: (b) => ({ kind: 'rms', weight: b.rmsWeight('model.norm') }),
};

export interface LlamaStyle {
  name: HfFamily;
  label: string;
  modelTypes: readonly string[];
  /** Phi-3: one qkv_proj [Q; K; V] and one gate_up_proj [gate; up]. */
  fused: boolean;
  /** Qwen3: RMSNorm over each head's d_head of q and k (q_norm, k_norm) before rotary. */
  headNorms: boolean;
  /** Older names of rope types this family's configs use (Phi-3: "su" and "yarn" mean LongRoPE). */
  ropeAliases?: Record<string, RopeType>;
}

/** Which layers use the sliding window: config.json's layer_types, else Qwen's rule (layers from
 *  max_window_layers on, only when use_sliding_window, false when absent), else every layer when
 *  sliding_window is set (Mistral, Phi-3). Llama itself has no sliding window. */
export function slidingLayers(r: ConfigReader, nLayers: number, window: number | null): LayerType[] {
  const listed = r.layerTypes(nLayers);
  if (listed) return listed;
  const all = (t: LayerType) => new Array<LayerType>(nLayers).fill(t);
  if (window === null || r.modelType === 'llama') return all('full');
  if (r.modelType.startsWith('qwen')) {
    if (!r.bool('use_sliding_window', false)) return all('full');
    const from = r.int('max_window_layers', 1e6, 28); // transformers' default for Qwen2 and Qwen3
    return all('full').map((_, l) => (l >= from ? 'sliding' : 'full'));
  }
  return all('sliding');
}

export function llamaStyle(o: LlamaStyle): Family {
  const family: Family = {
    name: o.name,
    label: o.label,
    modelTypes: o.modelTypes,
    parse(r) {
      const dims = llamaDims(r);
      const window = r.slidingWindow();
      const layerTypes = slidingLayers(r, dims.nLayers, window);
      return makeSpec(r, {
        family: o.name, ...dims, eps: r.eps('rms_norm_eps', 1e-6), activation: r.activation('hidden_act', 'silu'),
        rope: parseRope(r, dims.dHead, { aliases: o.ropeAliases }), tiedEmbeddings: r.bool('tie_word_embeddings', false),
        layerTypes, slidingWindow: layerTypes.includes('sliding') ? window : null,
      });
    },
    tensors(s) {
      const { dModel: d, nHeads: H, nKvHeads: Hkv, dHead: D, dMlp: f, vocab: V } = s;
      const t = new TensorList();
      t.need('model.embed_tokens.weight', [V, d], 'the token embedding');
      for (let l = 0; l < s.nLayers; l++) {
        t.norm(at(l, 'input_layernorm'), d);
        t.norm(at(l, 'post_attention_layernorm'), d);
        if (o.fused) {
          t.linear(at(l, 'self_attn.qkv_proj'), (H + 2 * Hkv) * D, d);
          t.linear(at(l, 'mlp.gate_up_proj'), 2 * f, d);
        } else {
          t.linear(at(l, 'self_attn.q_proj'), H * D, d);
          t.linear(at(l, 'self_attn.k_proj'), Hkv * D, d);
          t.linear(at(l, 'self_attn.v_proj'), Hkv * D, d);
          t.linear(at(l, 'mlp.gate_proj'), f, d);
          t.linear(at(l, 'mlp.up_proj'), f, d);
        }
        if (o.headNorms) {
          t.norm(at(l, 'self_attn.q_norm'), D);
          t.norm(at(l, 'self_attn.k_norm'), D);
        }
        t.linear(at(l, 'self_attn.o_proj'), d, H * D);
        t.linear(at(l, 'mlp.down_proj'), d, f);
      }
      t.norm('model.norm', d);
      t.out.push({ name: 'lm_head.weight', shape: [V, d], optional: s.tiedEmbeddings });
      return t.out;
    },
    ...decoderEnds,
    embed: (b, ids) => b.g.op('Gather', [b.w('model.embed_tokens.weight', [b.s.vocab, b.s.dModel]), ids]),
    layer(b, l, h, ctx) {
      const g = b.g;
      const { dModel: d, nHeads: H, dHead: D } = b.s;
      const { merged, pattern } = selfAttention(b, family, l, h, { norm: { kind: 'rms', base: at(l, 'input_layernorm') }, project: (x) => headsOf(b, l, x, o) }, ctx);
      h = g.op('Add', [h, b.dense(merged, at(l, 'self_attn.o_proj'), d, H * D)]);
      return { h: g.op('Add', [h, swiglu(b, l, b.rmsNorm(h, at(l, 'post_attention_layernorm')), o.fused)]), pattern };
    },
  };
  return family;
}

/** q [B, T, H*D], k and v [B, T, Hkv*D] from x [B, T, d]: separate or fused projections. */
export function projections(b: Blocks, l: number, x: string, fused: boolean): [string, string, string] {
  const { dModel: d, nHeads: H, nKvHeads: Hkv, dHead: D } = b.s;
  if (fused) {
    const [q, k, v] = b.split(b.dense(x, at(l, 'self_attn.qkv_proj'), (H + 2 * Hkv) * D, d), [H * D, Hkv * D, Hkv * D]);
    return [q, k, v];
  }
  return [b.dense(x, at(l, 'self_attn.q_proj'), H * D, d), b.dense(x, at(l, 'self_attn.k_proj'), Hkv * D, d), b.dense(x, at(l, 'self_attn.v_proj'), Hkv * D, d)];
}

/** q, k, v heads from the normed input x, with Qwen3's per-head norms. */
export function headsOf(b: Blocks, l: number, x: string, o: Pick<LlamaStyle, 'fused' | 'headNorms'>) {
  const { nHeads: H, nKvHeads: Hkv, dHead: D } = b.s;
  const [qf, kf, vf] = projections(b, l, x, o.fused);
  let q = b.heads(qf, H);
  let k = b.heads(kf, Hkv);
  if (o.headNorms) {
    q = b.rmsNorm(q, at(l, 'self_attn.q_norm'), D);
    k = b.rmsNorm(k, at(l, 'self_attn.k_norm'), D);
  }
  return { q, k, v: b.heads(vf, Hkv) };
}

/** down(act(gate(x)) * up(x)); Phi-3 fuses gate and up (gate first). */
export function swiglu(b: Blocks, l: number, x: string, fused: boolean): string {
  const { dModel: d, dMlp: f } = b.s;
  const [gate, up] = fused
    ? b.split(b.dense(x, at(l, 'mlp.gate_up_proj'), 2 * f, d), [f, f])
    : [b.dense(x, at(l, 'mlp.gate_proj'), f, d), b.dense(x, at(l, 'mlp.up_proj'), f, d)];
  return b.dense(b.g.op('Mul', [b.act(gate), up]), at(l, 'mlp.down_proj'), d, f);
}

export const llama = llamaStyle({ name: 'llama', label: 'Llama-style', modelTypes: ['llama', 'mistral', 'qwen2'], fused: false, headNorms: false });
