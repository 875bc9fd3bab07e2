// Direct logit attribution: every head's direct contribution to a token's logit at a position,
// against a PyTorch reference written from the definition (training/dla_reference.py) for
// Hugging Face models with LayerNorm and RMSNorm, and, for the bundled attention-only model (no
// final norm), against the exact decomposition of its logits.
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'fs';
import * as path from 'path';
import { readModelFolder } from '../../src/engine/manifest';
import { openModel } from '../../src/engine/model';
import { readSafetensors } from '../../src/engine/safetensors';
import { ModelSession } from '../../src/engine/session';
import { OrtModel } from '../../src/worker/ortModel';
import { MODEL_DIR, ROOT } from '../support/fixtures';

/** rows (sorted distinct query positions) and flat (row index, token) pairs for (position, token) pairs. */
function request(pairs: number[][]) {
  const rows = [...new Set(pairs.map(([q]) => q))].sort((a, b) => a - b);
  return { rows: Int32Array.from(rows), dlaPairs: Int32Array.from(pairs.flatMap(([q, tok]) => [rows.indexOf(q), tok])) };
}

for (const name of ['tiny-pythia', 'tiny-qwen3', 'tiny-gemma2', 'tiny-olmo2']) {
  test(`${name}: each head's direct logit attribution equals the PyTorch reference (1e-4)`, async () => {
    const ref = JSON.parse(fs.readFileSync(path.join(ROOT, 'test', 'fixtures', 'dla', `${name}.json`), 'utf8')) as { ids: number[]; pairs: number[][]; dla: number[][] };
    const m = await OrtModel.load(readModelFolder(path.join(ROOT, 'test', 'fixtures', 'hf-models', name)));
    try {
      const ids = Int32Array.from(ref.ids);
      const out = await m.forward({ ids, batch: 1, seq: ids.length, wantAttentions: false, ...request(ref.pairs) });
      const P = ref.pairs.length;
      const LH = ref.dla[0].length;
      assert.equal(out.dla?.length, LH * P);
      let diff = 0;
      ref.pairs.forEach((_, p) => ref.dla[p].forEach((v, i) => (diff = Math.max(diff, Math.abs(out.dla![i * P + p] - v)))));
      console.log(`# ${name}: ${P} pairs × ${LH} heads, max |dla diff| ${diff.toExponential(2)}`);
      assert.ok(diff < 1e-4, `dla differs by ${diff}`);
    } finally {
      await m.dispose();
    }
  });
}

test('bundled model (no final norm): the heads\' attributions and the direct path add up to the logit; every event has one', async () => {
  const w = readSafetensors(path.join(MODEL_DIR, 'weights.safetensors'));
  const [WE, WU] = [w.get('embed.W_E')!, w.get('unembed.W_U')!];
  const [d, V] = WU.shape;
  const m = openModel(MODEL_DIR);
  const model = await OrtModel.load(m.folder);
  try {
    const ids = Int32Array.from({ length: 120 }, (_, i) => (i === 0 ? 0 : 1 + ((i % 50) * 37) % 2000));
    const pairs = [[60, ids[11]], [75, ids[26]], [99, 5], [119, ids[70]]];
    const out = await model.forward({ ids, batch: 1, seq: ids.length, wantAttentions: false, ...request(pairs) });
    const LH = m.dims.nLayers * m.dims.nHeads;
    pairs.forEach(([q, tok], p) => {
      let direct = 0; // W_E[id_q] · W_U[:, tok] (Shortformer: positions never enter the residual stream)
      for (let i = 0; i < d; i++) direct += WE.data[ids[q] * d + i] * WU.data[i * V + tok];
      let heads = 0;
      for (let i = 0; i < LH; i++) heads += out.dla![i * pairs.length + p];
      const logit = out.logits[q * V + tok];
      assert.ok(Math.abs(direct + heads - logit) < 1e-4, `position ${q}: ${direct} + ${heads} vs logit ${logit}`);
    });
    const s = new ModelSession(m, model);
    const text = fs.readFileSync(path.join(ROOT, 'samples', 'identifiers.py'), 'utf8');
    const a = await s.analyze(text, { keepAttentions: false, attribution: true });
    assert.ok(a.events.length > 10 && a.events.every((e) => a.eventDla?.get(e.query)?.length === LH), 'every event has its attribution');
    // Without it in the pass (the extension), asked for afterwards: one event (a hover), then all.
    const lean = await s.analyze(text, { keepAttentions: false });
    assert.equal(lean.eventDla, undefined);
    const q = lean.events[3].query;
    await s.attributions(lean, [q]);
    assert.deepEqual([...lean.eventDla!.keys()], [q]);
    await s.attributions(lean);
    for (const e of a.events) {
      const [x, y] = [a.eventDla!.get(e.query)!, lean.eventDla!.get(e.query)!];
      x.forEach((v, i) => assert.ok(Math.abs(v - y[i]) < 1e-5, `event ${e.query}, head ${i}: ${v} vs ${y[i]}`));
    }
    // The strongest attribution of a hit is usually an induction head's.
    const hits = a.events.filter((e) => e.hit);
    const byInduction = hits.filter((e) => {
      const v = a.eventDla!.get(e.query)!;
      const best = v.indexOf(Math.max(...v));
      return a.inductionHeads.some((h) => h.layer * m.dims.nHeads + h.head === best);
    });
    console.log(`# bundled: ${byInduction.length} of ${hits.length} hits have an induction head as their strongest direct attribution`);
    assert.ok(byInduction.length > hits.length / 2);
  } finally {
    await model.dispose();
  }
});
