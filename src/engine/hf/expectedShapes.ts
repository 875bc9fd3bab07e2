// Every tensor the graph builder (build.ts) reads for each family, with the shape config.json
// implies, so a folder is refused at read time rather than halfway through building the graph.
// Keep in step with build.ts: its names, its shapes, and which tensors it treats as optional.
import type { HfSpec } from './config';

export interface ExpectedTensor {
  name: string;
  shape: number[];
  /** Biases the builder uses only when present; an absent unembedding when embeddings are tied. */
  optional: boolean;
  /** How messages call it, when it has a name users know. */
  label?: string;
}

/** `has` tells which names the weights hold (GPT-2 checkpoints may prefix "transformer."). */
export function expectedTensors(s: HfSpec, has: (name: string) => boolean): ExpectedTensor[] {
  const { dModel: d, nHeads: H, nKvHeads: Hkv, dHead: D, dMlp: f, vocab: V } = s;
  const out: ExpectedTensor[] = [];
  const need = (name: string, shape: number[], label?: string) => out.push({ name, shape, optional: false, label });
  const maybe = (name: string, shape: number[]) => out.push({ name, shape, optional: true });
  const norm = (base: string, bias: boolean) => {
    need(`${base}.weight`, [d]);
    if (bias) need(`${base}.bias`, [d]);
  };

  if (s.family === 'gpt2') {
    const p = has('transformer.wte.weight') ? 'transformer.' : '';
    need(`${p}wte.weight`, [V, d], 'the token embedding');
    need(`${p}wpe.weight`, [s.maxPositions, d]);
    for (let l = 0; l < s.nLayers; l++) {
      const L = `${p}h.${l}.`;
      norm(`${L}ln_1`, true);
      norm(`${L}ln_2`, true);
      need(`${L}attn.c_attn.weight`, [d, 3 * d]); // Conv1D: [in, out]
      need(`${L}attn.c_attn.bias`, [3 * d]);
      need(`${L}attn.c_proj.weight`, [H * D, d]);
      maybe(`${L}attn.c_proj.bias`, [d]);
      need(`${L}mlp.c_fc.weight`, [d, f]);
      maybe(`${L}mlp.c_fc.bias`, [f]);
      need(`${L}mlp.c_proj.weight`, [f, d]);
      maybe(`${L}mlp.c_proj.bias`, [d]);
    }
    norm(`${p}ln_f`, true);
    out.push({ name: 'lm_head.weight', shape: [V, d], optional: true }); // GPT-2 always ties
  } else if (s.family === 'gpt_neox') {
    need('gpt_neox.embed_in.weight', [V, d], 'the token embedding');
    for (let l = 0; l < s.nLayers; l++) {
      const L = `gpt_neox.layers.${l}.`;
      norm(`${L}input_layernorm`, true);
      norm(`${L}post_attention_layernorm`, true);
      need(`${L}attention.query_key_value.weight`, [3 * d, d]);
      maybe(`${L}attention.query_key_value.bias`, [3 * d]);
      need(`${L}attention.dense.weight`, [d, H * D]);
      maybe(`${L}attention.dense.bias`, [d]);
      need(`${L}mlp.dense_h_to_4h.weight`, [f, d]);
      maybe(`${L}mlp.dense_h_to_4h.bias`, [f]);
      need(`${L}mlp.dense_4h_to_h.weight`, [d, f]);
      maybe(`${L}mlp.dense_4h_to_h.bias`, [d]);
    }
    norm('gpt_neox.final_layer_norm', true);
    out.push({ name: 'embed_out.weight', shape: [V, d], optional: s.tiedEmbeddings });
  } else {
    need('model.embed_tokens.weight', [V, d], 'the token embedding');
    for (let l = 0; l < s.nLayers; l++) {
      const L = `model.layers.${l}.`;
      norm(`${L}input_layernorm`, false);
      norm(`${L}post_attention_layernorm`, false);
      for (const [proj, heads] of [['q_proj', H], ['k_proj', Hkv], ['v_proj', Hkv]] as const) {
        need(`${L}self_attn.${proj}.weight`, [heads * D, d]);
        maybe(`${L}self_attn.${proj}.bias`, [heads * D]);
      }
      need(`${L}self_attn.o_proj.weight`, [d, H * D]);
      maybe(`${L}self_attn.o_proj.bias`, [d]);
      for (const proj of ['gate_proj', 'up_proj']) {
        need(`${L}mlp.${proj}.weight`, [f, d]);
        maybe(`${L}mlp.${proj}.bias`, [f]);
      }
      need(`${L}mlp.down_proj.weight`, [d, f]);
      maybe(`${L}mlp.down_proj.bias`, [d]);
    }
    norm('model.norm', false);
    out.push({ name: 'lm_head.weight', shape: [V, d], optional: s.tiedEmbeddings });
  }
  return out;
}
