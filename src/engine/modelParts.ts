// A model as the host receives it from the worker: the folder description, the tokenizer's JSON
// and the cache key, all read and checked off the extension host's thread. Building the model
// from them reads no file.
import { EngineError } from './errors';
import { validateManifest, type ModelFolder, type ModelManifest } from './manifest';
import type { ModelDims } from './analysis';
import { TextTokenizer } from './tokenizer';

export interface ModelParts {
  folder: ModelFolder;
  /** tokenizer.json as parsed (size-capped) by the worker. */
  tokenizerJson: unknown;
  /** The key of cached probe scores (see OpenedModel.hash). */
  hash: string;
}

export interface OpenedModel {
  folder: ModelFolder;
  tokenizer: TextTokenizer;
  dims: ModelDims;
  /** sha256 of the ONNX file (of the config and weight files' stamps for Hugging Face folders):
   *  the key of cached probe scores. */
  hash: string;
}

/** One line naming what a folder holds, for pick lists (from the worker's `inspect`). */
export interface ModelSummary {
  id: string;
  nLayers: number;
  nHeads: number;
  nCtx: number;
  /** e.g. "llama, 1.2 M parameters" or "attention-only". */
  kind: string;
}

export function summarize(folder: ModelFolder): ModelSummary {
  const a = folder.manifest.architecture;
  const kind = folder.hf ? `${folder.hf.spec.modelType}, ${(folder.hf.weights.parameterCount / 1e6).toFixed(1)} M parameters` : a.attn_only ? 'attention-only' : 'ONNX';
  return { id: folder.manifest.id, nLayers: a.n_layers, nHeads: a.n_heads, nCtx: a.n_ctx, kind };
}

/** The BOS token the model's windows and probe start with: for a Hugging Face folder the one its
 *  tokenizer adds to a text (none for GPT-2 or Qwen, whose tokenizers add none: the model never
 *  saw one first), for the bundled format the manifest's `bos_token_id`. */
function bosOf(folder: ModelFolder, manifest: ModelManifest, tokenizer: TextTokenizer): number | null {
  return folder.hf ? tokenizer.addsBos : manifest.bos_token_id;
}

/** Builds the model from parts read elsewhere: the manifest is checked again (the parts crossed
 *  a thread boundary) and the tokenizer is built, its ids bounded by the model's vocabulary. */
export function assembleModel(parts: ModelParts): OpenedModel {
  const f = parts?.folder;
  if (!f || typeof f !== 'object' || typeof f.dir !== 'string' || typeof f.tokenizerPath !== 'string' || typeof f.onnxPath !== 'string' || typeof parts.hash !== 'string') {
    throw new EngineError('the model description from the inference worker is malformed');
  }
  const manifest = validateManifest(f.manifest, `${f.dir} (model description)`);
  const a = manifest.architecture;
  const tokenizer = new TextTokenizer(parts.tokenizerJson, f.tokenizerPath, { maxId: a.d_vocab });
  return {
    folder: { ...f, manifest },
    tokenizer,
    hash: parts.hash,
    dims: {
      nLayers: a.n_layers, nHeads: a.n_heads, nCtx: a.n_ctx, dVocab: a.d_vocab,
      tokenVocab: Math.min(tokenizer.vocabSize, a.d_vocab), dModel: a.d_model, bos: bosOf(f, manifest, tokenizer),
    },
  };
}
