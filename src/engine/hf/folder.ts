// A Hugging Face model folder (config.json, model.safetensors, tokenizer.json) read as a model of
// the lens: validated from its config and safetensors headers alone, before any weight is loaded.
import * as crypto from 'crypto';
import * as os from 'os';
import * as path from 'path';
import { EngineError, quoted } from '../errors';
import { readJsonFile } from '../jsonFile';
import type { ModelFolder, ModelManifest } from '../manifest';
import { isPresent, MAX_BYTES, readRegularFile, statRegularFile } from '../safeFile';
import { IO } from './io';
import { parseHfConfig, type HfSpec } from './config';
import { expectedTensors, type ExpectedTensor } from './expectedShapes';
import { BUFFER, checkWeightData, findWeightFiles, type WeightFiles } from './weights';

/** The longest window the lens runs through a Hugging Face model: the attentions output alone
 *  is n_layers * n_heads * T^2 floats (604 MB for GPT-2 small at 1,024 tokens). */
export const LENS_MAX_CONTEXT = 1024;
/** The share of the machine's memory a model may take while it loads. */
const MEMORY_SHARE = 0.75;
/** Changes whenever the graph builder computes something differently (it keys cached scores). */
const BUILDER_VERSION = 'hf-graph/2';

export interface HfFolder {
  spec: HfSpec;
  weights: WeightFiles;
  configPath: string;
  /** Positions the lens uses: the model's own, capped. */
  nCtx: number;
}

/**
 * A tensor the builder does not read, and that is not a saved buffer, means the weights and
 * config.json disagree (more layers than num_hidden_layers, a renamed bias the builder would
 * silently treat as absent): refused rather than computed as another model.
 */
function checkNoUnknownTensors(dir: string, spec: HfSpec, weights: WeightFiles, expected: ExpectedTensor[]): void {
  const known = new Set(expected.map((e) => e.name));
  for (const name of weights.tensors.keys()) {
    if (known.has(name) || BUFFER.test(name)) continue;
    throw new EngineError(`${dir}: the weights hold tensor ${quoted(name)}, which a ${quoted(spec.modelType)} model with this config.json does not have (${spec.nLayers} layers): is config.json from another model?`);
  }
}

export function isHfFolder(dir: string): boolean {
  return isPresent(path.join(dir, 'config.json')) && !isPresent(path.join(dir, 'model.json'));
}

const gb = (n: number) => `${(n / 1e9).toFixed(n < 1e9 ? 2 : 1)} GB`;

export function readHfFolder(dir: string, totalMemory = os.totalmem()): ModelFolder {
  const configPath = path.join(dir, 'config.json');
  const spec = parseHfConfig(readJsonFile(configPath, MAX_BYTES.config), configPath);
  const tokenizerPath = path.join(dir, 'tokenizer.json');
  if (!isPresent(tokenizerPath)) {
    throw new EngineError(`${dir}: tokenizer.json is missing (the lens reads the fast-tokenizer file that Hugging Face saves beside the weights)`);
  }
  statRegularFile(tokenizerPath);
  const weights = findWeightFiles(dir);
  const expected = expectedTensors(spec, (n) => weights.tensors.has(n));
  // The embedding first: a mismatch there means config.json is from another model.
  checkTensors(dir, spec, weights, expected.filter((e) => e.label));
  // float32 weights (grouped-query K/V heads are repeated at run time, not in the weights).
  const graphBytes = weights.parameterCount * 4;
  const params = `${(weights.parameterCount / 1e6).toFixed(1)} M parameters`;
  // The weights live outside the ONNX protobuf, so only memory limits the model's size. Peak
  // while loading: the files as read, the float32 weights and onnxruntime's copy of them, with
  // a margin for its working memory (measured: see README, Hugging Face folders).
  const peak = weights.bytes + 2.5 * graphBytes;
  const budget = totalMemory * MEMORY_SHARE;
  if (peak > budget) {
    throw new EngineError(`${dir}: ${params} need about ${gb(peak)} of memory to load (${gb(graphBytes)} of float32 weights); this machine has ${gb(totalMemory)}, of which the lens uses at most ${gb(budget)}`);
  }
  // After the size refusals (which need only the declared sizes), before any data is read.
  checkWeightData(weights);
  checkTensors(dir, spec, weights, expected);
  checkNoUnknownTensors(dir, spec, weights, expected);
  // LongRoPE switches to its long factors past the original context: the lens stays within it.
  const longrope = spec.rope?.global.type === 'longrope' ? spec.rope.global.originalMax : Infinity;
  const nCtx = Math.min(spec.maxPositions, LENS_MAX_CONTEXT, longrope);
  const manifest: ModelManifest = {
    format: 'induction-lens-model/1',
    id: path.basename(path.resolve(dir)),
    onnx: 'config.json',
    tokenizer: 'tokenizer.json',
    architecture: {
      n_layers: spec.nLayers, n_heads: spec.nHeads, d_model: spec.dModel, d_head: spec.dHead, n_ctx: nCtx,
      d_vocab: spec.vocab, attn_only: false, layer_norm: true, positional: spec.rope ? 'rotary' : 'learned',
    },
    // The BOS a window starts with comes from the tokenizer's post-processor (modelParts.ts).
    bos_token_id: spec.bos ?? 0,
    io: { ...IO, top_k: { ...IO.top_k } },
  };
  return {
    dir,
    manifest,
    onnxPath: configPath,
    tokenizerPath,
    weightsPath: null,
    hf: { spec, weights, configPath, nCtx },
  };
}

/** Key of cached probe scores: the config, the builder version, and each weight file's name,
 *  size and modification time (hashing gigabytes of weights on every load would cost seconds). */
export function hfModelHash(hf: HfFolder): string {
  const h = crypto.createHash('sha256').update(BUILDER_VERSION).update(readRegularFile(hf.configPath, MAX_BYTES.config));
  for (const f of hf.weights.files) {
    const st = statRegularFile(f);
    h.update(`\n${path.basename(f)}:${st.size}:${st.mtimeMs}`);
  }
  return h.digest('hex');
}

/** Every tensor the builder reads is there (unless optional) with the shape config.json implies. */
function checkTensors(dir: string, spec: HfSpec, weights: WeightFiles, expected: ExpectedTensor[]): void {
  for (const e of expected) {
    const t = weights.tensors.get(e.name);
    const [what, which] = e.label ? [e.label, ` (tensor ${quoted(e.name)})`] : [`tensor ${quoted(e.name)}`, ''];
    if (!t) {
      if (e.optional) continue;
      throw new EngineError(`${dir}: the weights have no ${what}${which}, which a ${quoted(spec.modelType)} model needs; is config.json from another model?`);
    }
    if (t.shape.length !== e.shape.length || t.shape.some((n, i) => n !== e.shape[i])) {
      throw new EngineError(`${dir}: ${what} has shape [${t.shape}], config.json says [${e.shape.join(', ')}]${which}`);
    }
  }
}
