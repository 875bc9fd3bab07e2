// OLMo 2: norms after attention and after the MLP, on their outputs before the residual add
// (no norm before them), and RMSNorm of the queries and keys over the whole projection (q_norm
// [H*D], k_norm [Hkv*D]) before the heads are split and rotated.
import { parseRope } from '../ropeScaling';
import { llamaDims, makeSpec, TensorList, type Family } from './family';
import { selfAttention } from '../pathAblation';
import { at, decoderEnds, projections, swiglu } from './llama';

export const olmo2: Family = {
  name: 'olmo2',
  label: 'OLMo 2',
  modelTypes: ['olmo2'],
  parse(r) {
    const dims = llamaDims(r);
    return makeSpec(r, {
      family: 'olmo2', ...dims, eps: r.eps('rms_norm_eps', 1e-5), activation: r.activation('hidden_act', 'silu'),
      rope: parseRope(r, dims.dHead), tiedEmbeddings: r.bool('tie_word_embeddings', false),
    });
  },
  tensors(s) {
    const { dModel: d, nHeads: H, nKvHeads: Hkv, dHead: D, dMlp: f, vocab: V } = s;
    const t = new TensorList();
    t.need('model.embed_tokens.weight', [V, d], 'the token embedding');
    for (let l = 0; l < s.nLayers; l++) {
      t.linear(at(l, 'self_attn.q_proj'), H * D, d);
      t.linear(at(l, 'self_attn.k_proj'), Hkv * D, d);
      t.linear(at(l, 'self_attn.v_proj'), Hkv * D, d);
      t.norm(at(l, 'self_attn.q_norm'), H * D);
      t.norm(at(l, 'self_attn.k_norm'), Hkv * D);
      t.linear(at(l, 'self_attn.o_proj'), d, H * D);
      t.norm(at(l, 'post_attention_layernorm'), d);
      t.linear(at(l, 'mlp.gate_proj'), f, d);
      t.linear(at(l, 'mlp.up_proj'), f, d);
      t.linear(at(l, 'mlp.down_proj'), d, f);
      t.norm(at(l, 'post_feedforward_layernorm'), d);
    }
    t.norm('model.norm', d);
    t.out.push({ name: 'lm_head.weight', shape: [V, d], optional: s.tiedEmbeddings });
    return t.out;
  },
  embed: (b, ids) => b.g.op('Gather', [b.w('model.embed_tokens.weight', [b.s.vocab, b.s.dModel]), ids]),
  layer(b, l, h, ctx) {
    const g = b.g;
    const { dModel: d, nHeads: H, nKvHeads: Hkv, dHead: D } = b.s;
    const { merged, pattern } = selfAttention(b, olmo2, l, h, {
      norm: { kind: 'none' }, // no norm before attention: q and k are normed after their projections
      project(x) {
        const [qf, kf, vf] = projections(b, l, x, false);
        return { q: b.heads(b.rmsNorm(qf, at(l, 'self_attn.q_norm'), H * D), H), k: b.heads(b.rmsNorm(kf, at(l, 'self_attn.k_norm'), Hkv * D), Hkv), v: b.heads(vf, Hkv) };
      },
    }, ctx);
    h = g.op('Add', [h, b.rmsNorm(b.dense(merged, at(l, 'self_attn.o_proj'), d, H * D), at(l, 'post_attention_layernorm'))]);
    return { h: g.op('Add', [h, b.rmsNorm(swiglu(b, l, h, false), at(l, 'post_feedforward_layernorm'))]), pattern };
  },
  ...decoderEnds,
};
