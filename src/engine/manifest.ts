// model.json: the contract between a model folder and the engine (docs/definitions.md, "Model folders").
import * as fs from 'fs';
import * as path from 'path';
import { EngineError } from './errors';
import { readJsonFile } from './jsonFile';
import { checkPlainFileName, isPresent, MAX_BYTES, statRegularFile } from './safeFile';
import { CONFIG_LIMITS } from './hf/config';
import { isHfFolder, readHfFolder, type HfFolder } from './hf/folder';

export interface Architecture {
  n_layers: number;
  n_heads: number;
  d_model: number;
  d_head: number;
  n_ctx: number;
  d_vocab: number;
  attn_only: boolean;
  layer_norm: boolean;
  /** 'learned' or 'shortformer' for Induction Lens models; 'rotary' for Hugging Face ones. */
  positional: string;
}

export interface ModelManifest {
  format: 'induction-lens-model/1';
  id: string;
  onnx: string;
  tokenizer: string;
  weights?: string;
  /** "weights": the engine builds the graph from the weights file (attention-only models without
   *  LayerNorm); the ONNX file is then for other tools. Absent: the ONNX file is run. */
  graph?: 'weights';
  architecture: Architecture;
  bos_token_id: number;
  io: {
    input_ids: string;
    head_mask: string;
    logits: string;
    attentions: string;
    /** Optional output [batch, seq]: log Σ exp(logits), so the engine need not compute it. */
    logsumexp?: string;
    /** Optional outputs [batch, seq, k]: the k largest logits and their ids (int64). */
    top_k?: { values: string; indices: string; k: number };
  };
}

/** A validated manifest with absolute paths to its files. */
export interface ModelFolder {
  dir: string;
  manifest: ModelManifest;
  /** The ONNX file; for a Hugging Face folder, its config.json, and for a `"graph": "weights"`
   *  folder without its ONNX file, the weights file (the graph is built in memory; errors name
   *  this file and the probe cache's hash is taken of it). */
  onnxPath: string;
  tokenizerPath: string;
  weightsPath: string | null;
  /** Set for Hugging Face folders (config.json + safetensors), whose graph the worker builds. */
  hf?: HfFolder;
}

/** Each dimension's upper bound: those of Hugging Face configs (hf/config.ts). */
const INT_FIELDS = {
  n_layers: CONFIG_LIMITS.layers, n_heads: CONFIG_LIMITS.heads, d_model: CONFIG_LIMITS.hidden,
  d_head: CONFIG_LIMITS.headDim, n_ctx: CONFIG_LIMITS.positions, d_vocab: CONFIG_LIMITS.vocab,
} as const;

export function readModelFolder(dir: string): ModelFolder {
  const file = path.join(dir, 'model.json');
  if (!fs.statSync(dir, { throwIfNoEntry: false })?.isDirectory()) {
    throw new EngineError(`model folder ${dir} does not exist`);
  }
  if (isHfFolder(dir)) return readHfFolder(dir);
  if (!isPresent(file)) {
    throw new EngineError(`${dir}: not a model folder: it needs model.json (an Induction Lens model) or config.json with model.safetensors and tokenizer.json (a Hugging Face model)`);
  }
  const m = validateManifest(readJsonFile(file, MAX_BYTES.manifest), file);
  // The names were checked to be plain file names; the files must be regular files (onnxruntime
  // opens the ONNX file itself).
  const resolve = (name: string, what: string) => {
    const p = path.resolve(dir, name);
    if (!isPresent(p)) throw new EngineError(`${file}: ${what} file ${name} does not exist`);
    statRegularFile(p);
    return p;
  };
  // "graph": "weights": the engine runs the graph it builds from the weights, so the ONNX file
  // (kept for other tools) may be absent; the packaged extension ships the bundled model without it.
  const builtWithoutOnnx = m.graph === 'weights' && !isPresent(path.resolve(dir, m.onnx));
  const onnxPath = builtWithoutOnnx ? null : resolve(m.onnx, 'onnx');
  const tokenizerPath = resolve(m.tokenizer, 'tokenizer');
  const weightsPath = m.weights ? resolve(m.weights, 'weights') : null;
  return { dir, manifest: m, onnxPath: onnxPath ?? weightsPath!, tokenizerPath, weightsPath };
}

export function validateManifest(raw: unknown, file: string): ModelManifest {
  const fail = (what: string): never => {
    throw new EngineError(`${file}: ${what}`);
  };
  if (!raw || typeof raw !== 'object') fail('must be a JSON object');
  const m = raw as Record<string, unknown>;
  if (m.format !== 'induction-lens-model/1') fail(`format must be "induction-lens-model/1" (got ${JSON.stringify(m.format)})`);
  // The id is shown as is (status bar, CLI output): no control characters.
  if (typeof m.id !== 'string' || !m.id.length || /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/.test(m.id)) fail('"id" must be a non-empty string without control characters');
  for (const k of ['onnx', 'tokenizer'] as const) checkPlainFileName(m[k], `${file}: "${k}"`);
  if (m.weights !== undefined) checkPlainFileName(m.weights, `${file}: "weights"`);
  const a = m.architecture as Record<string, unknown> | undefined;
  if (!a || typeof a !== 'object') fail('"architecture" is missing');
  for (const [k, max] of Object.entries(INT_FIELDS)) {
    const v = a![k];
    if (typeof v !== 'number' || !Number.isInteger(v) || v <= 0) fail(`architecture.${k} must be a positive integer`);
    if ((v as number) > max) fail(`architecture.${k} must be at most ${max.toLocaleString('en-US')}`);
  }
  if (typeof m.bos_token_id !== 'number' || !Number.isInteger(m.bos_token_id) || m.bos_token_id < 0 || m.bos_token_id >= (a!.d_vocab as number)) {
    fail('"bos_token_id" must be an integer id inside the vocabulary');
  }
  const io = m.io as Record<string, unknown> | undefined;
  if (!io || typeof io !== 'object') fail('"io" is missing');
  for (const k of ['input_ids', 'head_mask', 'logits', 'attentions'] as const) {
    if (typeof io![k] !== 'string') fail(`io.${k} must name the ONNX ${k.includes('_') && k !== 'head_mask' ? 'input' : 'tensor'}`);
  }
  if (io!.logsumexp !== undefined && typeof io!.logsumexp !== 'string') fail('io.logsumexp must name an ONNX output when present');
  if (m.graph !== undefined) {
    if (m.graph !== 'weights') fail('"graph" must be "weights" when present');
    if (m.weights === undefined || a!.attn_only === false || a!.layer_norm === true || !['learned', 'shortformer'].includes(a!.positional as string)) {
      fail('"graph": "weights" needs a weights file and an attention-only model without LayerNorm, with learned or shortformer positions');
    }
  }
  const tk = io!.top_k as Record<string, unknown> | undefined;
  if (tk !== undefined && (typeof tk !== 'object' || typeof tk.values !== 'string' || typeof tk.indices !== 'string' || !Number.isInteger(tk.k) || (tk.k as number) < 1)) {
    fail('io.top_k must be {"values", "indices", "k"} when present');
  }
  return {
    format: 'induction-lens-model/1',
    id: m.id as string,
    onnx: m.onnx as string,
    tokenizer: m.tokenizer as string,
    weights: m.weights as string | undefined,
    ...(m.graph === 'weights' ? { graph: 'weights' as const } : {}),
    architecture: {
      ...(a as unknown as Architecture),
      attn_only: a!.attn_only !== false,
      layer_norm: a!.layer_norm === true,
      positional: typeof a!.positional === 'string' ? (a!.positional) : 'learned',
    },
    bos_token_id: m.bos_token_id as number,
    io: io as ModelManifest['io'],
  };
}
