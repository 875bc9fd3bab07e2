// The article's circuits for the panel, computed from a model folder's weights.
import { computeCircuits } from '../engine/circuits';
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
  // The positional pattern is shown for the first 64 positions, where its structure is visible.
  const n = Math.min(64, c.previousTokenQK.n);
  const pos = new Float32Array(n * n);
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) pos[i * n + j] = c.previousTokenQK.pattern[i * c.previousTokenQK.n + j];
  const T = c.kCompositionPattern.seq;
  const out: PanelCircuits = {
    previousTokenQK: { head: c.previousTokenQK.head, subDiagonalMass: c.previousTokenQK.subDiagonalMass, pattern: { shape: [n, n], data: pos } },
    kCompositionPattern: { previousHead: c.kCompositionPattern.previousHead, inductionHead: c.kCompositionPattern.inductionHead, scores: { shape: [T, T], data: c.kCompositionPattern.scores } },
    ovCircuit: { head: c.ovCircuit.head, tokens: c.ovCircuit.tokenIds.map((id) => model.tokenizer.tokenText(id)), matrix: { shape: [c.ovCircuit.tokenIds.length, c.ovCircuit.tokenIds.length], data: c.ovCircuit.matrix } },
    copying: c.copying,
    kComposition: c.kComposition,
  };
  cache.set(key, out);
  return out;
}
