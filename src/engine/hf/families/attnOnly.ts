// The attention-only transformer of an Induction Lens model folder (the bundled model), built
// from its weights.safetensors (TransformerLens names) rather than run from its ONNX file, so that
// it gets the same graph features as the Hugging Face families. No LayerNorm, no MLP, no biases;
// positions learned (added to the residual stream) or Shortformer (added to the inputs of queries
// and keys only, never to values).
import type { Architecture } from '../../manifest';
import type { Blocks } from '../blocks';
import type { HfSpec } from '../spec';
import { selfAttention } from '../pathAblation';
import { TensorList, type Family } from './family';

/** The spec of an attention-only model.json architecture. */
export function attnOnlySpec(a: Architecture, bos: number): HfSpec {
  const { n_layers: L, n_heads: H, d_model: d, d_head: D, n_ctx, d_vocab: V } = a;
  return {
    family: 'attn_only', modelType: a.positional, nLayers: L, nHeads: H, nKvHeads: H, dModel: d, dHead: D, dMlp: 0, vocab: V,
    maxPositions: n_ctx, eps: 1e-5, activation: 'relu', rope: null, parallelResidual: false, tiedEmbeddings: false,
    attnScale: D ** -0.5, scaleByInverseLayer: false, attnSoftcap: null, finalSoftcap: null, embedScale: null, normPlusOne: false,
    layerTypes: new Array<'full'>(L).fill('full'), slidingWindow: null, bos,
  };
}

/** W [H, d, D] (TransformerLens) as one [d, H*D] matrix, so each projection is one MatMul. */
function perHeadColumns(b: Blocks, name: string): string {
  const { nHeads: H, dModel: d, dHead: D } = b.s;
  return b.derived(`${name}.columns`, [d, H * D], () => {
    const w = b.tensor(name, [H, d, D]).data;
    const out = new Float32Array(d * H * D);
    for (let h = 0; h < H; h++) {
      for (let i = 0; i < d; i++) out.set(w.subarray((h * d + i) * D, (h * d + i + 1) * D), i * H * D + h * D);
    }
    return out;
  });
}

const positions = (b: Blocks, at: string) => b.g.op('Gather', [b.w('pos_embed.W_pos', [b.s.maxPositions, b.s.dModel]), at]); // [T, d]

export const attnOnly: Family = {
  name: 'attn_only',
  label: 'attention-only',
  modelTypes: [],
  parse: (r) => r.fail('attention-only models are read from model.json, not config.json'),
  tensors(s) {
    const { nHeads: H, dModel: d, dHead: D, vocab: V } = s;
    const t = new TensorList();
    t.need('embed.W_E', [V, d], 'the token embedding');
    t.need('pos_embed.W_pos', [s.maxPositions, d]);
    for (let l = 0; l < s.nLayers; l++) {
      for (const w of ['W_Q', 'W_K', 'W_V']) t.need(`blocks.${l}.attn.${w}`, [H, d, D]);
      t.need(`blocks.${l}.attn.W_O`, [H, D, d]);
    }
    t.need('unembed.W_U', [d, V]);
    return t.out;
  },
  embed(b, ids, at) {
    const e = b.g.op('Gather', [b.w('embed.W_E', [b.s.vocab, b.s.dModel]), ids]); // [B, T, d]
    return b.s.modelType === 'learned' ? b.g.op('Add', [e, positions(b, at)]) : e;
  },
  layer(b, l, h, ctx) {
    const g = b.g;
    const { nHeads: H, dModel: d, dHead: D } = b.s;
    const proj = (x: string, w: string) => b.heads(g.op('MatMul', [x, perHeadColumns(b, `blocks.${l}.attn.${w}`)]), H);
    const { merged, pattern } = selfAttention(b, attnOnly, l, h, {
      norm: { kind: 'none' },
      project(x) {
        // Shortformer: positions enter the inputs of queries and keys only.
        const qkIn = b.s.modelType === 'shortformer' ? g.op('Add', [x, positions(b, ctx.positions)]) : x; // [B, T, d]
        return { q: proj(qkIn, 'W_Q'), k: proj(qkIn, 'W_K'), v: proj(x, 'W_V') };
      },
    }, ctx);
    const wo = g.op('Reshape', [b.w(`blocks.${l}.attn.W_O`, [H, D, d]), g.ints([H * D, d])]); // [H*D, d]
    return { h: g.op('Add', [h, g.op('MatMul', [merged, wo])]), pattern };
  },
  final: (_b, h) => h,
  unembed: (b) => b.w('unembed.W_U', [b.s.dModel, b.s.vocab]),
  headOutput: (b, l) => b.perHeadFromInOut(`blocks.${l}.attn.W_O`, [b.s.nHeads, b.s.dHead, b.s.dModel]),
  finalNorm: () => ({ kind: 'none', weight: null }),
};
