// A model folder opened for analysis: manifest, tokenizer, dimensions and a content hash.
import * as crypto from 'crypto';
import { readJsonFile } from './jsonFile';
import { MAX_BYTES, readRegularFile } from './safeFile';
import { readModelFolder, type ModelFolder } from './manifest';
import type { ModelDims } from './analysis';
import { TextTokenizer } from './tokenizer';
import { hfModelHash } from './hf/folder';

export interface OpenedModel {
  folder: ModelFolder;
  tokenizer: TextTokenizer;
  dims: ModelDims;
  /** sha256 of the ONNX file (of the config and weight files' stamps for Hugging Face folders):
   *  the key of cached probe scores. */
  hash: string;
}

export function openModel(dir: string): OpenedModel {
  const folder = readModelFolder(dir);
  const a = folder.manifest.architecture;
  // Ids past the model's vocabulary mean the tokenizer belongs to another model.
  const tokenizer = new TextTokenizer(readJsonFile(folder.tokenizerPath, MAX_BYTES.tokenizer), folder.tokenizerPath, { maxId: a.d_vocab });
  const hash = folder.hf ? hfModelHash(folder.hf) : crypto.createHash('sha256').update(readRegularFile(folder.onnxPath, MAX_BYTES.none)).digest('hex');
  return {
    folder,
    tokenizer,
    hash,
    dims: {
      nLayers: a.n_layers, nHeads: a.n_heads, nCtx: a.n_ctx, dVocab: a.d_vocab,
      tokenVocab: Math.min(tokenizer.vocabSize, a.d_vocab), bos: folder.manifest.bos_token_id,
    },
  };
}
