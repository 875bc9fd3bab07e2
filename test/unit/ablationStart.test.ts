// The ablation pass starts at the first layer it masks more than the analysis did, from the
// residual stream the analysis kept there: its gains equal those of running the whole model again,
// for the bundled model and for Hugging Face models (the suffix graphs are the engine's own).
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { ablationStart } from '../../src/engine/analysis';
import type { ForwardRequest, InferenceBackend } from '../../src/engine/backend';
import { openModel } from '../../src/engine/model';
import { ModelSession } from '../../src/engine/session';
import { OrtModel } from '../../src/worker/ortModel';
import { MODEL_DIR, ROOT } from '../support/fixtures';

/** Records the requests; with `whole`, drops residAt and from, so every pass runs the whole model. */
class Recording implements InferenceBackend {
  readonly requests: ForwardRequest[] = [];
  constructor(private readonly inner: InferenceBackend, private readonly whole: boolean) {}
  forward(req: ForwardRequest) {
    this.requests.push(req);
    return this.inner.forward(this.whole ? { ...req, residAt: undefined, from: undefined } : req);
  }
  dispose() {
    return this.inner.dispose();
  }
}

const TEXT = fs.readFileSync(path.join(ROOT, 'samples', 'identifiers.py'), 'utf8').repeat(3);

async function gains(dir: string, whole: boolean, headMask?: Float32Array) {
  const m = openModel(dir);
  const backend = new Recording(await OrtModel.load(m.folder), whole);
  const s = new ModelSession(m, backend);
  try {
    const a = await s.analyze(TEXT, { inductionThreshold: 0.3, headMask, maxTokens: 700 });
    backend.requests.length = 0;
    const gain = await s.ablate(a, headMask);
    return { a, gain, requests: [...backend.requests] };
  } finally {
    await s.dispose();
  }
}

const MODELS: [string, string][] = [
  ['bundled attn-only-2l', MODEL_DIR],
  ['tiny-qwen3 (Hugging Face)', path.join(ROOT, 'test', 'fixtures', 'hf-models', 'tiny-qwen3')],
  ['tiny-pythia (Hugging Face, parallel residual)', path.join(ROOT, 'test', 'fixtures', 'hf-models', 'tiny-pythia')],
];

for (const [name, dir] of MODELS) {
  test(`${name}: the ablation pass from the first masked layer gives the gains of the whole model`, async () => {
    const fast = await gains(dir, false);
    const slow = await gains(dir, true);
    const start = ablationStart(fast.a.dims, fast.a.inductionHeads, null);
    assert.ok(fast.a.inductionHeads.length > 0 && start > 0, `${name} has induction heads after layer 0 (start ${start})`);
    assert.ok(fast.requests.length > 0 && fast.requests.every((r) => r.from?.layer === start && r.from.resid.length > 0), 'every ablation pass starts at that layer');
    let diff = 0;
    fast.gain.forEach((g, i) => {
      const h = slow.gain[i];
      assert.equal(g === null, h === null, `gain ${i} null in one only`);
      if (g !== null && h !== null) diff = Math.max(diff, Math.abs(g - h));
    });
    console.log(`# ${name}: ablation from layer ${start}, ${fast.gain.filter((g) => g !== null).length} gains, max |diff| ${diff.toExponential(2)}`);
    assert.ok(diff < 1e-4, `gains differ by ${diff}`);
    assert.ok(fast.a.windows.every((w) => w.resid === undefined), 'the kept residual streams are dropped after the pass');
  });
}

test('a user mask on an induction head moves the start to the next layer it adds; an ONNX-file model runs the whole model', async () => {
  const m = openModel(MODEL_DIR);
  const dims = m.dims;
  const heads = [{ layer: 1, head: 4 }, { layer: 1, head: 6 }];
  assert.equal(ablationStart(dims, heads, null), 1);
  const mask = new Float32Array(dims.nLayers * dims.nHeads).fill(1);
  mask[1 * dims.nHeads + 4] = 0;
  mask[1 * dims.nHeads + 6] = 0;
  assert.equal(ablationStart(dims, heads, mask), 0, 'nothing more to mask: no start');
  assert.equal(ablationStart(dims, [{ layer: 0, head: 1 }, ...heads], null), 0);
  // The same folder run from its ONNX file: no residual outputs, so the pass runs from the tokens.
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'il-onnx-'));
  for (const f of fs.readdirSync(MODEL_DIR)) fs.copyFileSync(path.join(MODEL_DIR, f), path.join(dir, f));
  const manifest = JSON.parse(fs.readFileSync(path.join(dir, 'model.json'), 'utf8'));
  delete manifest.graph;
  fs.writeFileSync(path.join(dir, 'model.json'), JSON.stringify(manifest));
  const onnx = await gains(dir, false);
  const built = await gains(MODEL_DIR, false);
  assert.ok(onnx.requests.every((r) => r.from === undefined), 'no residual stream to start from');
  onnx.gain.forEach((g, i) => assert.ok(g === null ? built.gain[i] === null : Math.abs(g - built.gain[i]!) < 1e-4, `gain ${i}`));
});

test('a pass that starts at a later layer reads the residual stream, not the ids', async () => {
  for (const [name, dir] of MODELS) {
    const m = openModel(dir);
    const model = await OrtModel.load(m.folder);
    try {
      const T = 40;
      const ids = Int32Array.from({ length: T }, (_, i) => (i * 37) % 1000);
      const whole = await model.forward({ ids, batch: 1, seq: T, wantAttentions: false, residAt: 1 });
      assert.equal(whole.resid?.length, T * m.folder.manifest.architecture.d_model, `${name}: resid_1 returned`);
      const zeros = new Int32Array(T);
      const later = await model.forward({ ids: zeros, batch: 1, seq: T, wantAttentions: false, from: { layer: 1, resid: whole.resid } });
      assert.deepEqual(Array.from(later.logits), Array.from(whole.logits), `${name}: logits from layer 1 equal the whole pass`);
      const fromZeros = await model.forward({ ids: zeros, batch: 1, seq: T, wantAttentions: false });
      assert.notDeepEqual(Array.from(fromZeros.logits.subarray(-50)), Array.from(whole.logits.subarray(-50)), 'other ids give other logits');
    } finally {
      await model.dispose();
    }
  }
});
