// What each architecture family provides: its model_type values, its config reading, the tensors
// it reads (names and shapes, checked before any weight is loaded) and its block maths.
import { EngineError } from '../../errors';
import { CONFIG_LIMITS, type ConfigReader } from '../configReader';
import type { Blocks, LayerContext, Operand } from '../blocks';
import type { HfFamily, HfSpec } from '../spec';

export interface ExpectedTensor {
  name: string;
  shape: number[];
  /** Biases the builder uses only when present; an absent unembedding when embeddings are tied. */
  optional: boolean;
  /** How messages call it, when it has a name users know. */
  label?: string;
}

export interface Family {
  name: HfFamily;
  /** How messages name the family, e.g. "GPT-NeoX/Pythia". */
  label: string;
  /** config.json model_type values that use this family's maths. */
  modelTypes: readonly string[];
  /** Family-specific fields of the spec (the shared ones are read by config.ts). */
  parse(r: ConfigReader): HfSpec;
  /** Every tensor the block maths reads; `has` tells which names the weights hold. */
  tensors(s: HfSpec, has: (name: string) => boolean): ExpectedTensor[];
  /** Token (and, for GPT-2, position) embeddings: [B, T, d]. */
  embed(b: Blocks, ids: string, positions: string): string;
  /** One decoder layer: the residual stream after it and the layer's pattern [B, H, T, T]. */
  layer(b: Blocks, l: number, h: string, ctx: LayerContext): { h: string; pattern: string };
  /** The final norm. */
  final(b: Blocks, h: string): string;
  /** The unembedding: [V, d] used transposed, or a weight [d, V] used as is. */
  unembed(b: Blocks): Operand | string;
  /** Layer l's W_O as [H, D, d]: each head's output is z_h · W_O[h] (direct logit attribution). */
  headOutput(b: Blocks, l: number): string;
  /** The final norm taken as linear at a position (its scale, and for LayerNorm its mean, from
   *  the whole residual stream there): 'layer' w ⊙ (c − mean c) / σ, 'rms' w ⊙ c / σ, or none. */
  finalNorm(b: Blocks): { kind: 'layer' | 'rms' | 'none'; weight: string | null };
}

/** Collects expected tensors. */
export class TensorList {
  readonly out: ExpectedTensor[] = [];
  need(name: string, shape: number[], label?: string): void {
    this.out.push({ name, shape, optional: false, label });
  }
  maybe(name: string, shape: number[]): void {
    this.out.push({ name, shape, optional: true });
  }
  /** A norm's weight (and bias). */
  norm(base: string, n: number, bias = false): void {
    this.need(`${base}.weight`, [n]);
    if (bias) this.need(`${base}.bias`, [n]);
  }
  /** A Linear layer: weight [out, in], optional or required bias. */
  linear(base: string, out: number, inp: number, bias: 'optional' | 'required' | 'none' = 'optional'): void {
    this.need(`${base}.weight`, [out, inp]);
    if (bias === 'optional') this.maybe(`${base}.bias`, [out]);
    if (bias === 'required') this.need(`${base}.bias`, [out]);
  }
}

/** The unembedding: `own` when the weights hold it, else the embedding when config.json ties them. */
export function unembedding(b: Blocks, own: string, embed: string): Operand {
  const { dModel: d, vocab: V } = b.s;
  if (b.has(own)) return b.linear(own, V, d);
  if (!b.s.tiedEmbeddings) throw new EngineError(`the weights have no tensor "${own}" and config.json does not tie the embeddings`);
  return b.linear(embed, V, d);
}

type Required = Pick<HfSpec, 'family' | 'nLayers' | 'nHeads' | 'dModel' | 'dHead' | 'dMlp' | 'vocab' | 'maxPositions' | 'eps' | 'activation' | 'rope' | 'tiedEmbeddings'>;

/** A spec with the plain defaults (no soft-capping, full attention everywhere, q·k / sqrt(d_head))
 *  for what `fields` leaves out; bos_token_id read when present. */
export function makeSpec(r: ConfigReader, fields: Required & Partial<HfSpec>): HfSpec {
  const bos = r.c.bos_token_id ?? null;
  if (bos !== null && (typeof bos !== 'number' || !Number.isInteger(bos) || bos < 0 || bos >= fields.vocab)) {
    r.fail(`bos_token_id ${JSON.stringify(bos)} is outside the vocabulary (${fields.vocab})`);
  }
  return {
    modelType: r.modelType, nKvHeads: fields.nHeads, parallelResidual: false, attnScale: fields.dHead ** -0.5,
    scaleByInverseLayer: false, attnSoftcap: null, finalSoftcap: null, embedScale: null, normPlusOne: false,
    layerTypes: new Array<'full'>(fields.nLayers).fill('full'), slidingWindow: null, bos: bos,
    ...fields,
  };
}

/** The dimensions every decoder-only config names the Llama way. */
export function llamaDims(r: ConfigReader) {
  const L = CONFIG_LIMITS;
  const dModel = r.int('hidden_size', L.hidden);
  const nHeads = r.int('num_attention_heads', L.heads);
  return {
    nLayers: r.int('num_hidden_layers', L.layers), nHeads, nKvHeads: r.kvHeads('num_key_value_heads', nHeads), dModel,
    dHead: r.headDim(dModel, nHeads), dMlp: r.int('intermediate_size', L.intermediate), vocab: r.int('vocab_size', L.vocab),
    maxPositions: r.int('max_position_embeddings', L.positions),
  };
}
