// GPT-NeoX (Pythia): LayerNorm, rotary on the first rotary_pct of each head, one fused
// query_key_value projection laid out per head as [Q, K, V], and by default a parallel residual
// (attention and MLP both read the layer's input).
import { CONFIG_LIMITS, FRACTION, isFraction, isPositive, POSITIVE } from '../configReader';
import { parseRope } from '../ropeScaling';
import { selfAttention } from '../pathAblation';
import { makeSpec, TensorList, unembedding, type Family } from './family';

const at = (l: number, n: string) => `gpt_neox.layers.${l}.${n}`;

export const neox: Family = {
  name: 'gpt_neox',
  label: 'GPT-NeoX/Pythia',
  modelTypes: ['gpt_neox'],
  parse(r) {
    const L = CONFIG_LIMITS;
    const d = r.int('hidden_size', L.hidden);
    const H = r.int('num_attention_heads', L.heads);
    const dHead = r.headDim(d, H, null);
    const rope = parseRope(r, dHead, { thetaKey: 'rotary_emb_base', partial: r.has('rotary_pct') ? r.real('rotary_pct', 1, isFraction, FRACTION) : undefined, partialKey: r.has('rotary_pct') ? 'rotary_pct' : undefined });
    if (r.has('rotary_emb_base')) rope.global.theta = r.real('rotary_emb_base', 10000, isPositive, POSITIVE);
    return makeSpec(r, {
      family: 'gpt_neox', nLayers: r.int('num_hidden_layers', L.layers), nHeads: H, dModel: d, dHead,
      dMlp: r.int('intermediate_size', L.intermediate), vocab: r.int('vocab_size', L.vocab),
      maxPositions: r.int('max_position_embeddings', L.positions), eps: r.eps('layer_norm_eps', 1e-5),
      activation: r.activation('hidden_act', 'gelu'), rope, tiedEmbeddings: r.bool('tie_word_embeddings', false),
      parallelResidual: r.bool('use_parallel_residual', true),
    });
  },
  tensors(s) {
    const { dModel: d, dMlp: f, vocab: V } = s;
    const t = new TensorList();
    t.need('gpt_neox.embed_in.weight', [V, d], 'the token embedding');
    for (let l = 0; l < s.nLayers; l++) {
      t.norm(at(l, 'input_layernorm'), d, true);
      t.norm(at(l, 'post_attention_layernorm'), d, true);
      t.linear(at(l, 'attention.query_key_value'), 3 * d, d);
      t.linear(at(l, 'attention.dense'), d, d);
      t.linear(at(l, 'mlp.dense_h_to_4h'), f, d);
      t.linear(at(l, 'mlp.dense_4h_to_h'), d, f);
    }
    t.norm('gpt_neox.final_layer_norm', d, true);
    t.out.push({ name: 'embed_out.weight', shape: [V, d], optional: s.tiedEmbeddings });
    return t.out;
  },
  embed: (b, ids) => b.g.op('Gather', [b.w('gpt_neox.embed_in.weight', [b.s.vocab, b.s.dModel]), ids]),
  layer(b, l, h, ctx) {
    const g = b.g;
    const { dModel: d, dMlp: f, nHeads: H, dHead: D } = b.s;
    const { merged, pattern } = selfAttention(b, neox, l, h, {
      norm: { kind: 'layer', base: at(l, 'input_layernorm') },
      project(x) {
        const qkv = b.dense(x, at(l, 'attention.query_key_value'), 3 * d, d); // [B, T, H * 3D]
        // Per head: D values of Q, then K, then V.
        const perHead = g.op('Transpose', [g.op('Reshape', [qkv, g.ints([0, 0, H, 3 * D])])], { perm: [0, 2, 1, 3] }); // [B, H, T, 3D]
        const [q, k, v] = b.split(perHead, [D, D, D]);
        return { q, k, v };
      },
    }, ctx);
    const out = b.dense(merged, at(l, 'attention.dense'), d, d);
    const mlp = (x: string) => b.dense(b.act(b.dense(x, at(l, 'mlp.dense_h_to_4h'), f, d)), at(l, 'mlp.dense_4h_to_h'), d, f);
    if (b.s.parallelResidual) {
      // mlp(ln2(x)) + attn(ln1(x)) + x, in that order.
      return { h: g.op('Add', [g.op('Add', [mlp(b.layerNorm(h, at(l, 'post_attention_layernorm'))), out]), h]), pattern };
    }
    const a = g.op('Add', [out, h]);
    return { h: g.op('Add', [mlp(b.layerNorm(a, at(l, 'post_attention_layernorm'))), a]), pattern };
  },
  final: (b, h) => b.layerNorm(h, 'gpt_neox.final_layer_norm'),
  unembed: (b) => unembedding(b, 'embed_out.weight', 'gpt_neox.embed_in.weight'),
  headOutput: (b, l) => b.perHeadFromLinear(at(l, 'attention.dense.weight')),
  finalNorm: (b) => ({ kind: 'layer', weight: b.w('gpt_neox.final_layer_norm.weight', [b.s.dModel]) }),
};
