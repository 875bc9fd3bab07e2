import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { openModel } from '../../src/engine/model';
import { analysisJson, modelJson } from '../../src/engine/report';
import { ModelSession } from '../../src/engine/session';
import { OrtModel } from '../../src/worker/ortModel';
import { MODEL_DIR, reference } from '../support/fixtures';

const ref = reference();

test('the analysis report (CLI --json and the panel\'s Export JSON): fields, order and values', async () => {
  const m = openModel(MODEL_DIR);
  const s = new ModelSession(m, await OrtModel.load(m.folder));
  const a = await s.analyze(ref.text, { inductionThreshold: ref.inductionThreshold, topK: 5 });
  assert.deepEqual(modelJson(s), { id: 'attn-only-2l', nLayers: 2, nHeads: 8, nCtx: 512 });
  const j = analysisJson(s, a, 0) as Record<string, unknown> & { ablationGain: unknown[]; tokens: { id: number; text: string; start: number; end: number }[] };
  assert.deepEqual(Object.keys(j), ['model', 'tokens', 'heads', 'inductionHeads', 'events', 'loss', 'ablationGain']);
  assert.deepEqual(j.tokens.map((t) => t.id), ref.analysis.ids);
  assert.equal(j.tokens.map((t) => ref.text.slice(t.start, t.end)).join(''), ref.text);
  assert.ok(j.ablationGain.every((g) => g === null), 'no ablation yet: nulls');
  await s.ablate(a);
  const k = analysisJson(s, a, 3) as { predictions: { id: number; text: string; prob: number }[][]; ablationGain: (number | null)[] };
  assert.deepEqual(k.predictions[5].map((p) => p.id), ref.analysis.top5[5].slice(0, 3).map((p) => p.id));
  assert.deepEqual(Object.keys(k.predictions[5][0]), ['id', 'text', 'prob']);
  k.ablationGain.forEach((g, q) => {
    const x = ref.analysis.ablationGain[q];
    if (x === null) assert.equal(g, null);
    else assert.ok(Math.abs((g as number) - x) < 1e-3);
  });
  assert.equal(JSON.stringify(analysisJson(s, a, 3)), JSON.stringify(k), 'deterministic');
  await s.dispose();
});
