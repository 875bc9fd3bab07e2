// A model folder opened for analysis: manifest, tokenizer, dimensions and a content hash.
import * as crypto from 'crypto';
import * as fs from 'fs';
import { EngineError } from './errors';
import { readJsonFile } from './jsonFile';
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
  const tokenizer = new TextTokenizer(readJsonFile(folder.tokenizerPath), folder.tokenizerPath);
  const a = folder.manifest.architecture;
  if (tokenizer.vocabSize > a.d_vocab) {
    throw new EngineError(`${folder.tokenizerPath}: has ${tokenizer.vocabSize} tokens but the model's vocabulary (d_vocab) is ${a.d_vocab}: the tokenizer belongs to another model`);
  }
  const hash = folder.hf ? hfModelHash(folder.hf) : crypto.createHash('sha256').update(fs.readFileSync(folder.onnxPath)).digest('hex');
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
