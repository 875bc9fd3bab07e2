// Attention on demand: an analysis that keeps no attentions fetches only the attention rows of the
// tokens that can be induction queries (and each position's previous-token attention), yet gives
// the same events, scores and (run again when asked) patterns as one that keeps every window's
// [L, H, S, S] tensor; for graphs the engine builds and for a plain ONNX file.
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { openModel } from '../../src/engine/model';
import { headPattern, textScores } from '../../src/engine/panelViews';
import { ModelSession } from '../../src/engine/session';
import { OrtModel } from '../../src/worker/ortModel';
import { MODEL_DIR, ROOT } from '../support/fixtures';

/** The bundled model's folder with "graph" removed: the ONNX file runs (no rows outputs). */
function onnxFileCopy(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'il-onnx-'));
  for (const f of fs.readdirSync(MODEL_DIR)) fs.copyFileSync(path.join(MODEL_DIR, f), path.join(dir, f));
  const m = JSON.parse(fs.readFileSync(path.join(dir, 'model.json'), 'utf8'));
  delete m.graph;
  fs.writeFileSync(path.join(dir, 'model.json'), JSON.stringify(m));
  return dir;
}

const MODELS: [string, () => string][] = [
  ['bundled model (built graph)', () => MODEL_DIR],
  ['tiny-qwen3 (no BOS)', () => path.join(ROOT, 'test', 'fixtures', 'hf-models', 'tiny-qwen3')],
  ['bundled model from its ONNX file', onnxFileCopy],
];
const TEXT = fs.readFileSync(path.join(ROOT, 'src', 'engine', 'overlay.ts'), 'utf8').slice(0, 5000);

for (const [name, dir] of MODELS) {
  test(`${name}: without kept attentions the analysis, the panel's scores and patterns are the same`, async () => {
    const m = openModel(dir());
    const s = new ModelSession(m, await OrtModel.load(m.folder));
    try {
      const full = await s.analyze(TEXT, { inductionThreshold: 0.3 });
      const lean = await s.analyze(TEXT, { inductionThreshold: 0.3, keepAttentions: false });
      assert.ok(full.windows.length >= 2 && full.events.length > 20, `${full.windows.length} windows, ${full.events.length} events`);
      assert.ok(lean.windows.every((w) => w.attentions === null && w.prevAttn), 'no attentions kept, previous-token rows kept');
      assert.deepEqual(lean.loss, full.loss);
      assert.deepEqual(lean.predictions, full.predictions);
      assert.equal(lean.events.length, full.events.length);
      lean.events.forEach((e, i) => {
        const f = full.events[i];
        assert.deepEqual({ ...e, attention: 0 }, { ...f, attention: 0 }, `event ${i}`);
        assert.ok(Math.abs(e.attention - f.attention) < 1e-6);
      });
      const [a, b] = [textScores(lean), textScores(full)];
      a.forEach((x, i) => {
        assert.ok(Math.abs(x.textPreviousToken - b[i].textPreviousToken) < 1e-6, `previous-token score L${x.layer}H${x.head}`);
        assert.ok(Math.abs(x.textInduction - b[i].textInduction) < 1e-6, `induction score L${x.layer}H${x.head}`);
      });
      for (const h of [lean.inductionHeads[0], { layer: 0, head: 1 }]) {
        const p = await s.pattern(lean, h);
        const q = headPattern(full, h);
        assert.deepEqual(p.shape, q.shape);
        let d = 0;
        p.data.forEach((v, i) => (d = Math.max(d, Math.abs(v - q.data[i]))));
        assert.ok(d < 1e-6, `pattern of L${h.layer}H${h.head} differs by ${d}`);
      }
    } finally {
      await s.dispose();
    }
  });
}

test('kept tensors of a 2,048-token analysis of the bundled model: attentions vs on demand', async () => {
  const m = openModel(MODEL_DIR);
  const s = new ModelSession(m, await OrtModel.load(m.folder));
  try {
    const text = fs.readFileSync(path.join(ROOT, 'src', 'engine', 'analysis.ts'), 'utf8').repeat(3);
    const kept = (a: Awaited<ReturnType<typeof s.analyze>>) => {
      const seen = new Set<ArrayBufferLike>();
      let bytes = 0;
      const add = (x: ArrayBufferView | null | undefined) => {
        if (x && !seen.has(x.buffer)) {
          seen.add(x.buffer);
          bytes += x.buffer.byteLength;
        }
      };
      for (const w of a.windows) [w.attentions, w.prevAttn, w.resid].forEach(add);
      a.eventAttention?.forEach(add);
      return bytes;
    };
    const full = await s.analyze(text, { maxTokens: 2048 });
    const lean = await s.analyze(text, { maxTokens: 2048, keepAttentions: false });
    await s.ablate(lean);
    assert.equal(lean.tokens.ids.length, 2048);
    const mb = (n: number) => (n / 2 ** 20).toFixed(1);
    console.log(`# 2,048 tokens, ${lean.windows.length} windows: ${mb(kept(full))} MB of tensors with attentions kept, ${mb(kept(lean))} MB on demand`);
    assert.ok(kept(lean) <= 64 * 2 ** 20, 'at most 64 MB');
    assert.ok(kept(lean) < kept(full) / 10);
  } finally {
    await s.dispose();
  }
});
