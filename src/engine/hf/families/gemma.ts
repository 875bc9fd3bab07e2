// Gemma 1, 2 and 3 (text): embeddings scaled by sqrt(hidden), RMSNorm with (1 + w), GeGLU MLP
// with the tanh GELU, tied embeddings. Gemma 2 adds query_pre_attn_scalar, sandwich norms
// (after attention and around the MLP), tanh soft-capping of scores and final logits and a
// sliding window on alternate layers; Gemma 3 drops the soft-capping, adds RMSNorm of each head's
// queries and keys before rotary, and a local/global layer pattern whose local layers use their
// own rotary base.
import { CONFIG_LIMITS, isPositive, POSITIVE } from '../configReader';
import { parseRope } from '../ropeScaling';
import type { LayerType } from '../spec';
import { llamaDims, makeSpec, TensorList, type Family } from './family';
import { selfAttention } from '../pathAblation';
import { at, decoderEnds, headsOf, swiglu } from './llama';

const version = (modelType: string) => (modelType === 'gemma' ? 1 : modelType === 'gemma2' ? 2 : 3);

export const gemma: Family = {
  name: 'gemma',
  label: 'Gemma',
  modelTypes: ['gemma', 'gemma2', 'gemma3_text'],
  parse(r) {
    const v = version(r.modelType);
    const dims = llamaDims(r);
    const window = v === 1 ? null : r.slidingWindow();
    let layerTypes: LayerType[] = new Array<LayerType>(dims.nLayers).fill('full');
    if (window !== null) {
      // Gemma 2: even layers slide; Gemma 3: all but every sliding_window_pattern-th layer.
      const pattern = v === 2 ? 2 : r.int('sliding_window_pattern', CONFIG_LIMITS.layers, 6);
      layerTypes = r.layerTypes(dims.nLayers) ?? layerTypes.map((_, l) => ((l + 1) % pattern ? 'sliding' : 'full'));
    }
    const rope = parseRope(r, dims.dHead, v === 3 ? { localThetaKey: 'rope_local_base_freq' } : {});
    const capping = (key: string) => (v === 1 ? null : r.optionalPositive(key));
    // transformers uses the tanh GELU whatever hidden_act says (hidden_activation when given).
    const act = r.has('hidden_activation') ? r.activation('hidden_activation', 'gelu_pytorch_tanh') : 'gelu_new';
    return makeSpec(r, {
      family: 'gemma', ...dims, eps: r.eps('rms_norm_eps', 1e-6), activation: act, rope,
      tiedEmbeddings: r.bool('tie_word_embeddings', true), normPlusOne: true,
      embedScale: Math.fround(Math.sqrt(dims.dModel)),
      attnScale: v === 1 ? dims.dHead ** -0.5 : r.real('query_pre_attn_scalar', dims.dHead, isPositive, POSITIVE) ** -0.5,
      attnSoftcap: capping('attn_logit_softcapping'), finalSoftcap: capping('final_logit_softcapping'),
      layerTypes, slidingWindow: layerTypes.includes('sliding') ? window : null,
    });
  },
  tensors(s) {
    const { dModel: d, nHeads: H, nKvHeads: Hkv, dHead: D, dMlp: f, vocab: V } = s;
    const v = version(s.modelType);
    const t = new TensorList();
    t.need('model.embed_tokens.weight', [V, d], 'the token embedding');
    for (let l = 0; l < s.nLayers; l++) {
      t.norm(at(l, 'input_layernorm'), d);
      t.norm(at(l, 'post_attention_layernorm'), d);
      if (v > 1) {
        t.norm(at(l, 'pre_feedforward_layernorm'), d);
        t.norm(at(l, 'post_feedforward_layernorm'), d);
      }
      t.linear(at(l, 'self_attn.q_proj'), H * D, d);
      t.linear(at(l, 'self_attn.k_proj'), Hkv * D, d);
      t.linear(at(l, 'self_attn.v_proj'), Hkv * D, d);
      if (v === 3) {
        t.norm(at(l, 'self_attn.q_norm'), D);
        t.norm(at(l, 'self_attn.k_norm'), D);
      }
      t.linear(at(l, 'self_attn.o_proj'), d, H * D);
      t.linear(at(l, 'mlp.gate_proj'), f, d);
      t.linear(at(l, 'mlp.up_proj'), f, d);
      t.linear(at(l, 'mlp.down_proj'), d, f);
    }
    t.norm('model.norm', d);
    t.out.push({ name: 'lm_head.weight', shape: [V, d], optional: s.tiedEmbeddings });
    return t.out;
  },
  embed(b, ids) {
    const e = b.g.op('Gather', [b.w('model.embed_tokens.weight', [b.s.vocab, b.s.dModel]), ids]); // [B, T, d]
    return b.g.op('Mul', [e, b.g.scalar(b.s.embedScale!)]);
  },
  layer(b, l, h, ctx) {
    const g = b.g;
    const v = version(b.s.modelType);
    const { dModel: d, nHeads: H, dHead: D } = b.s;
    const project = (x: string) => headsOf(b, l, x, { fused: false, headNorms: v === 3 });
    const { merged, pattern } = selfAttention(b, gemma, l, h, { norm: { kind: 'rms', base: at(l, 'input_layernorm') }, project }, ctx);
    const out = b.dense(merged, at(l, 'self_attn.o_proj'), d, H * D);
    if (v === 1) {
      h = g.op('Add', [h, out]);
      return { h: g.op('Add', [h, swiglu(b, l, b.rmsNorm(h, at(l, 'post_attention_layernorm')), false)]), pattern };
    }
    h = g.op('Add', [h, b.rmsNorm(out, at(l, 'post_attention_layernorm'))]);
    const mlp = swiglu(b, l, b.rmsNorm(h, at(l, 'pre_feedforward_layernorm')), false);
    return { h: g.op('Add', [h, b.rmsNorm(mlp, at(l, 'post_feedforward_layernorm'))]), pattern };
  },
  ...decoderEnds,
};
