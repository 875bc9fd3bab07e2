// GPT-2: learned positions, LayerNorm before attention and MLP, Conv1D weights stored [in, out]
// (c_attn holds Q, K and V side by side), scores divided by sqrt(d_head) (and layer + 1 when
// configured), tied embeddings. Checkpoints may prefix every name with "transformer.".
import { CONFIG_LIMITS } from '../configReader';
import { selfAttention } from '../pathAblation';
import { makeSpec, TensorList, unembedding, type Family } from './family';

const prefix = (has: (n: string) => boolean) => (has('transformer.wte.weight') ? 'transformer.' : '');

export const gpt2: Family = {
  name: 'gpt2',
  label: 'GPT-2',
  modelTypes: ['gpt2'],
  parse(r) {
    const L = CONFIG_LIMITS;
    const d = r.int('n_embd', L.hidden);
    const H = r.int('n_head', L.heads);
    if (!r.bool('scale_attn_weights', true)) r.fail('"scale_attn_weights": false is not supported');
    return makeSpec(r, {
      family: 'gpt2', nLayers: r.int('n_layer', L.layers), nHeads: H, dModel: d, dHead: r.headDim(d, H, null),
      dMlp: r.has('n_inner') ? r.int('n_inner', L.intermediate) : 4 * d, vocab: r.int('vocab_size', L.vocab),
      maxPositions: r.int('n_positions', L.positions), eps: r.eps('layer_norm_epsilon', 1e-5),
      activation: r.activation('activation_function', 'gelu_new'), rope: null, tiedEmbeddings: true,
      scaleByInverseLayer: r.bool('scale_attn_by_inverse_layer_idx', false),
    });
  },
  tensors(s, has) {
    const { dModel: d, dMlp: f, vocab: V } = s;
    const p = prefix(has);
    const t = new TensorList();
    t.need(`${p}wte.weight`, [V, d], 'the token embedding');
    t.need(`${p}wpe.weight`, [s.maxPositions, d]);
    for (let l = 0; l < s.nLayers; l++) {
      const L = `${p}h.${l}.`;
      t.norm(`${L}ln_1`, d, true);
      t.norm(`${L}ln_2`, d, true);
      t.need(`${L}attn.c_attn.weight`, [d, 3 * d]); // Conv1D: [in, out]
      t.need(`${L}attn.c_attn.bias`, [3 * d]);
      t.need(`${L}attn.c_proj.weight`, [d, d]);
      t.maybe(`${L}attn.c_proj.bias`, [d]);
      t.need(`${L}mlp.c_fc.weight`, [d, f]);
      t.maybe(`${L}mlp.c_fc.bias`, [f]);
      t.need(`${L}mlp.c_proj.weight`, [f, d]);
      t.maybe(`${L}mlp.c_proj.bias`, [d]);
    }
    t.norm(`${p}ln_f`, d, true);
    t.maybe('lm_head.weight', [V, d]); // GPT-2 always ties
    return t.out;
  },
  embed(b, ids, positions) {
    const p = prefix((n) => b.has(n));
    const { vocab: V, dModel: d } = b.s;
    const tokens = b.g.op('Gather', [b.w(`${p}wte.weight`, [V, d]), ids]);                      // [B, T, d]
    return b.g.op('Add', [tokens, b.g.op('Gather', [b.w(`${p}wpe.weight`, [b.s.maxPositions, d]), positions])]);
  },
  layer(b, l, h, ctx) {
    const { dModel: d, dMlp: f, nHeads: H } = b.s;
    const n = (x: string) => `${prefix((k) => b.has(k))}h.${l}.${x}`;
    const conv = (x: string, name: string, out: number, inp: number) => b.affine(x, b.w(`${name}.weight`, [inp, out]), b.bias(`${name}.bias`, out));
    const { merged, pattern } = selfAttention(b, gpt2, l, h, {
      norm: { kind: 'layer', base: n('ln_1') },
      project(x) {
        const [q, k, v] = b.split(conv(x, n('attn.c_attn'), 3 * d, d), [d, d, d]);
        return { q: b.heads(q, H), k: b.heads(k, H), v: b.heads(v, H) };
      },
    }, ctx);
    h = b.g.op('Add', [h, conv(merged, n('attn.c_proj'), d, d)]);
    const mlp = conv(b.act(conv(b.layerNorm(h, n('ln_2')), n('mlp.c_fc'), f, d)), n('mlp.c_proj'), d, f);
    return { h: b.g.op('Add', [h, mlp]), pattern };
  },
  final: (b, h) => b.layerNorm(h, `${prefix((k) => b.has(k))}ln_f`),
  unembed: (b) => unembedding(b, 'lm_head.weight', `${prefix((k) => b.has(k))}wte.weight`),
  headOutput: (b, l) => b.perHeadFromInOut(`${prefix((k) => b.has(k))}h.${l}.attn.c_proj.weight`, [b.s.dModel, b.s.dModel]),
  finalNorm: (b) => ({ kind: 'layer', weight: b.w(`${prefix((k) => b.has(k))}ln_f.weight`, [b.s.dModel]) }),
};
