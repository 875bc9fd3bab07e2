// The article's circuits for the panel, computed from a model folder's weights.
import { computeCircuits } from '../engine/circuits';
import { panelCircuits } from '../engine/circuitsView';
import { openModel } from '../engine/model';
import { readSafetensors } from '../engine/safetensors';
import type { HeadRef, PanelCircuits } from '../protocol/panel';

const cache = new Map<string, PanelCircuits>();

export function circuitsForPanel(dir: string, previousHead: HeadRef, inductionHead: HeadRef): PanelCircuits {
  const model = openModel(dir);
  const key = `${model.hash}:${previousHead.head}:${inductionHead.head}`;
  const hit = cache.get(key);
  if (hit) return hit;
  const weights = readSafetensors(model.folder.weightsPath!);
  const c = computeCircuits(weights, model.folder.manifest, { previousHead, inductionHead, ovSample: 40 });
  const out = panelCircuits(c, (id) => model.tokenizer.tokenText(id));
  cache.set(key, out);
  return out;
}
