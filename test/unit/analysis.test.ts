import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { planWindows } from '../../src/engine/analysis';
import { openModel } from '../../src/engine/model';
import { OrtModel } from '../../src/worker/ortModel';
import { ModelSession } from '../../src/engine/session';
import { MODEL_DIR, reference } from '../support/fixtures';

const ref = reference();

async function session() {
  const m = openModel(MODEL_DIR);
  return new ModelSession(m, await OrtModel.load(m.folder));
}

test('analysis of the fixture text equals the independent PyTorch computation', async () => {
  const s = await session();
  const a = await s.analyze(ref.text, { inductionThreshold: ref.inductionThreshold, topK: 5 });
  const r = ref.analysis;
  assert.deepEqual(Array.from(a.tokens.ids), r.ids);
  assert.deepEqual(a.inductionHeads, r.inductionHeads);
  assert.ok(r.events.length > 10, 'the fixture text must contain induction events');
  assert.equal(a.events.length, r.events.length);
  a.events.forEach((e, i) => {
    const x = r.events[i];
    assert.equal(e.query, x.query);
    assert.equal(e.source, x.source, `source of event at ${e.query}`);
    assert.equal(e.successorId, x.successorId);
    assert.deepEqual(e.head, x.head);
    assert.ok(Math.abs(e.attention - x.attention) < 1e-4);
    assert.ok(Math.abs(e.prob - x.prob) < 1e-4);
    assert.equal(e.rank, x.rank);
    assert.equal(e.hit, x.hit);
  });
  a.loss.forEach((l, q) => {
    const x = r.loss[q];
    if (x === null) assert.equal(l, null);
    else assert.ok(Math.abs((l as number) - x) < 1e-3, `loss at ${q}`);
  });
  a.predictions.forEach((ps, q) => {
    assert.deepEqual(ps.map((p) => p.id), r.top5[q].map((p) => p.id), `top-5 at ${q}`);
    ps.forEach((p, k) => assert.ok(Math.abs(p.prob - r.top5[q][k].prob) < 1e-4));
  });
  const gain = await s.ablate(a);
  gain.forEach((g, q) => {
    const x = r.ablationGain[q];
    if (x === null) assert.equal(g, null);
    else assert.ok(Math.abs((g as number) - x) < 1e-3, `ablation gain at ${q}`);
  });
  await s.dispose();
});

test('windows: every position is owned once, by the window giving it the most left context', () => {
  for (const [n, ctx] of [[10, 512], [511, 512], [512, 512], [2000, 512], [37, 8]] as const) {
    const ws = planWindows(n, ctx);
    const owner = new Array(n).fill(-1);
    ws.forEach((w, k) => {
      assert.ok(w.end - w.start <= ctx - 1);
      for (let i = w.ownStart; i < w.ownEnd; i++) {
        assert.equal(owner[i], -1);
        owner[i] = k;
      }
    });
    assert.ok(owner.every((o) => o >= 0));
    for (let i = 0; i < n; i++) {
      const w = ws[owner[i]];
      assert.ok(w.start <= i && i < w.end);
      for (const other of ws) {
        if (other.start <= i && i < other.end) assert.ok(i - other.start <= i - w.start, `position ${i} has more left context elsewhere`);
      }
    }
  }
});

test('a text longer than the context is analyzed in windows with consistent results', async () => {
  const s = await session();
  const long = (ref.text + '\n').repeat(5); // about 780 tokens, two windows at context 512
  const a = await s.analyze(long, { inductionThreshold: ref.inductionThreshold });
  assert.ok(a.windows.length >= 2);
  assert.equal(a.loss.length, a.tokens.ids.length);
  assert.equal(a.loss.filter((x) => x === null).length, 1, 'only the last position has no loss');
  // Positions owned by the first window match an analysis of that prefix alone.
  const w0 = a.windows[0];
  const prefix = long.slice(0, a.tokens.ends[w0.ownEnd - 1]);
  const b = await s.analyze(prefix, { inductionThreshold: ref.inductionThreshold });
  for (let q = 0; q < b.tokens.ids.length - 1; q++) assert.ok(Math.abs((a.loss[q] as number) - (b.loss[q] as number)) < 1e-4);
  // Later windows find events with their own sources, always inside the window.
  for (const e of a.events) {
    const w = a.windows.find((x) => x.ownStart <= e.query && e.query < x.ownEnd)!;
    assert.ok(e.source >= w.start + 1 && e.source < e.query);
  }
  await s.dispose();
});

test('empty text is refused with a clear message', async () => {
  const s = await session();
  await assert.rejects(s.analyze(''), /nothing to analyze/);
  await s.dispose();
});

test('the optional logsumexp and top-k outputs give the same analysis as computing them in JS', async () => {
  const fs = await import('fs');
  const os = await import('os');
  const path = await import('path');
  const full = openModel(MODEL_DIR);
  assert.ok(full.folder.manifest.io.logsumexp && full.folder.manifest.io.top_k, 'the bundled model exports the optional outputs');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'il-noopt-'));
  for (const f of fs.readdirSync(MODEL_DIR)) fs.copyFileSync(path.join(MODEL_DIR, f), path.join(dir, f));
  const manifest = JSON.parse(fs.readFileSync(path.join(dir, 'model.json'), 'utf8'));
  delete manifest.io.logsumexp;
  delete manifest.io.top_k;
  fs.writeFileSync(path.join(dir, 'model.json'), JSON.stringify(manifest));
  const plain = openModel(dir);
  const a = await new ModelSession(full, await OrtModel.load(full.folder)).analyze(ref.text, { topK: 5, inductionThreshold: ref.inductionThreshold });
  const b = await new ModelSession(plain, await OrtModel.load(plain.folder)).analyze(ref.text, { topK: 5, inductionThreshold: ref.inductionThreshold });
  a.loss.forEach((l, q) => assert.ok(l === null ? b.loss[q] === null : Math.abs(l - (b.loss[q] as number)) < 1e-4));
  a.predictions.forEach((ps, q) => {
    assert.deepEqual(ps.map((p) => p.id), b.predictions[q].map((p) => p.id));
    ps.forEach((p, j) => assert.ok(Math.abs(p.prob - b.predictions[q][j].prob) < 1e-4)); // float32 vs float64 log-sum-exp
  });
  assert.deepEqual(a.events.map((e) => [e.query, e.source, e.rank]), b.events.map((e) => [e.query, e.source, e.rank]));
});

test('maxTokens cuts the analysis after that many tokens and says how much text it covers', async () => {
  const s = await session();
  const full = s.model.tokenizer.encode(ref.text);
  const a = await s.analyze(ref.text, { maxTokens: 20, inductionThreshold: ref.inductionThreshold });
  assert.equal(a.tokens.ids.length, 20);
  assert.deepEqual(Array.from(a.tokens.ids), Array.from(full.ids.subarray(0, 20)));
  assert.equal(a.analyzedLength, full.ends[19]);
  assert.ok(a.events.every((e) => e.query < 20));
  const all = await s.analyze(ref.text, { inductionThreshold: ref.inductionThreshold });
  assert.equal(all.analyzedLength, ref.text.length);
  await s.dispose();
});
