// Live mode: an analysis given the previous one takes the windows whose tokens did not change
// from it. Checked against a fresh analysis of the same text with the real bundled model: every
// number equal, and only the changed windows run.
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'fs';
import * as path from 'path';
import type { Analysis } from '../../src/engine/analysis';
import type { ForwardRequest, InferenceBackend } from '../../src/engine/backend';
import { openModel } from '../../src/engine/model';
import { ModelSession } from '../../src/engine/session';
import { OrtModel } from '../../src/worker/ortModel';
import { MODEL_DIR, ROOT } from '../support/fixtures';

/** Counts forward passes (analysis and ablation) of the real model. */
class Counting implements InferenceBackend {
  calls = 0;
  constructor(private readonly inner: InferenceBackend) {}
  forward(req: ForwardRequest) {
    this.calls++;
    return this.inner.forward(req);
  }
  dispose() {
    return this.inner.dispose();
  }
}

async function setup() {
  const m = openModel(MODEL_DIR);
  const counting = new Counting(await OrtModel.load(m.folder));
  return { s: new ModelSession(m, counting), counting };
}

/** A real source text of about 1,400 tokens (three windows of the bundled model). */
const TEXT = fs.readFileSync(path.join(ROOT, 'src', 'engine', 'overlay.ts'), 'utf8').slice(0, 4200);

async function analyzeAndAblate(s: ModelSession, text: string, previous?: Analysis, headMask?: Float32Array) {
  const a = await s.analyze(text, { inductionThreshold: 0.4, topK: 5, previous, headMask });
  await s.ablate(a, headMask);
  return a;
}

function assertSame(a: Analysis, b: Analysis) {
  assert.deepEqual(Array.from(a.tokens.ids), Array.from(b.tokens.ids));
  assert.deepEqual(a.loss, b.loss);
  assert.deepEqual(a.predictions, b.predictions);
  assert.deepEqual(a.events, b.events);
  assert.deepEqual(a.ablationGain, b.ablationGain);
  assert.equal(a.windows.length, b.windows.length);
  a.windows.forEach((w, i) => assert.deepEqual(w.attentions, b.windows[i].attentions, `attentions of window ${i}`));
}

test('an edit near the end reruns only the windows it touches; every result equals a fresh analysis', async () => {
  const { s, counting } = await setup();
  await s.probe();
  const before = await analyzeAndAblate(s, TEXT);
  assert.ok(before.windows.length >= 3, `the text spans ${before.windows.length} windows`);
  const edited = TEXT.slice(0, TEXT.length - 40) + ' renamed_identifier' + TEXT.slice(TEXT.length - 40);
  counting.calls = 0;
  const reused = await analyzeAndAblate(s, edited, before);
  const runs = counting.calls;
  counting.calls = 0;
  const fresh = await analyzeAndAblate(s, edited);
  assertSame(reused, fresh);
  // Fresh: one analysis and one ablation pass per window; reused: only for the windows that changed.
  assert.equal(counting.calls, 2 * fresh.windows.length);
  const firstChanged = fresh.tokens.ids.findIndex((id, i) => id !== before.tokens.ids[i]);
  const changed = fresh.windows.filter((w) => Math.min(w.end + 1, fresh.tokens.ids.length) > firstChanged).length;
  assert.ok(changed < fresh.windows.length, 'some windows end before the edit');
  assert.equal(runs, 2 * changed, `${runs} passes for ${changed} changed windows`);
  await s.dispose();
});

test('an edit at the start, another head mask or other settings reuse nothing', async () => {
  const { s, counting } = await setup();
  await s.probe();
  const before = await analyzeAndAblate(s, TEXT);
  const n = before.windows.length;
  counting.calls = 0;
  const atStart = await analyzeAndAblate(s, '#' + TEXT, before);
  assert.equal(counting.calls, 2 * atStart.windows.length);
  assertSame(atStart, await analyzeAndAblate(s, '#' + TEXT));
  const mask = new Float32Array(2 * 8).fill(1);
  mask[3] = 0;
  counting.calls = 0;
  const masked = await analyzeAndAblate(s, TEXT, before, mask);
  assert.equal(counting.calls, 2 * n, 'a new mask runs every window');
  assertSame(masked, await analyzeAndAblate(s, TEXT, undefined, mask));
  counting.calls = 0;
  const other = await s.analyze(TEXT, { inductionThreshold: 0.4, topK: 3, previous: before });
  assert.equal(counting.calls, n, 'another number of predictions runs every window');
  assert.equal(other.predictions[0].length, 3);
  // The same text with the same settings runs nothing at all.
  counting.calls = 0;
  const again = await analyzeAndAblate(s, TEXT, before);
  assert.equal(counting.calls, 0);
  assertSame(again, before);
  await s.dispose();
});
