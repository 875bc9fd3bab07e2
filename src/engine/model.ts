// A model folder opened for analysis: read from disk (in the inference worker or the CLI, never
// on the extension host's thread) and assembled from its parts.
import * as crypto from 'crypto';
import { readJsonFile } from './jsonFile';
import { MAX_BYTES, readRegularFile } from './safeFile';
import { readModelFolder } from './manifest';
import { hfModelHash } from './hf/folder';
import { assembleModel, type ModelParts, type OpenedModel } from './modelParts';

export type { ModelParts, OpenedModel } from './modelParts';

/** Reads and checks every file of a model folder the host needs: folder, tokenizer, hash. */
export function readModelParts(dir: string): ModelParts {
  const folder = readModelFolder(dir);
  const tokenizerJson = readJsonFile(folder.tokenizerPath, MAX_BYTES.tokenizer);
  const hash = folder.hf ? hfModelHash(folder.hf) : crypto.createHash('sha256').update(readRegularFile(folder.onnxPath, MAX_BYTES.none)).digest('hex');
  return { folder, tokenizerJson, hash };
}

export function openModel(dir: string): OpenedModel {
  return assembleModel(readModelParts(dir));
}
