// The ONNX model against the PyTorch reference, and the model contract checks.
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as crypto from 'crypto';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { openModel } from '../../src/engine/model';
import { OrtModel } from '../../src/worker/ortModel';
import { readModelFolder } from '../../src/engine/manifest';
import { f32, maxAbsDiff, MODEL_DIR, reference } from '../support/fixtures';

const ref = reference();

test('fixtures were made from the shipped model', () => {
  assert.equal(openModel(MODEL_DIR).hash, ref.modelHash, 'run training/make_fixtures.py after changing the model');
});

test('ONNX logits and attentions match the PyTorch forward (1e-3 / 1e-4)', async () => {
  const m = await OrtModel.load(readModelFolder(MODEL_DIR));
  const ids = Int32Array.from(ref.parity.ids);
  const out = await m.forward({ ids, batch: 1, seq: ids.length, wantAttentions: true });
  assert.ok(maxAbsDiff(out.logits, f32('parity_logits.f32')) <= 1e-3);
  assert.ok(maxAbsDiff(out.attentions!, f32('parity_attentions.f32')) <= 1e-4);
  await m.dispose();
});

test('head_mask zero removes exactly that head (PyTorch zeroed its W_O)', async () => {
  const m = await OrtModel.load(readModelFolder(MODEL_DIR));
  const { layer, head } = ref.parity.removedHead;
  const { n_layers, n_heads } = m.folder.manifest.architecture;
  const mask = new Float32Array(n_layers * n_heads).fill(1);
  mask[layer * n_heads + head] = 0;
  const ids = Int32Array.from(ref.parity.ids);
  const masked = await m.forward({ ids, batch: 1, seq: ids.length, headMask: mask, wantAttentions: false });
  const removed = f32('parity_logits_head_removed.f32');
  assert.ok(maxAbsDiff(masked.logits, removed) <= 1e-3);
  const full = f32('parity_logits.f32');
  assert.ok(maxAbsDiff(full, removed) > 1e-2, 'the removed head must matter, or this test proves nothing');
  await m.dispose();
});

function copyModel(edit: (dir: string) => void): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'il-model-'));
  for (const f of fs.readdirSync(MODEL_DIR)) fs.copyFileSync(path.join(MODEL_DIR, f), path.join(dir, f));
  edit(dir);
  return dir;
}

function editManifest(dir: string, f: (m: any) => void) {
  const p = path.join(dir, 'model.json');
  const m = JSON.parse(fs.readFileSync(p, 'utf8'));
  f(m);
  fs.writeFileSync(p, JSON.stringify(m));
}

test('loading errors name the file and what is wrong', async () => {
  assert.throws(() => openModel('/nonexistent/model'), /model folder \/nonexistent\/model does not exist/);
  const noManifest = copyModel((d) => fs.rmSync(path.join(d, 'model.json')));
  assert.throws(() => openModel(noManifest), /not a model folder: it needs model\.json/);
  const badJson = copyModel((d) => fs.writeFileSync(path.join(d, 'model.json'), '{"format":'));
  assert.throws(() => openModel(badJson), /model\.json: not valid JSON/);
  // Without "graph": "weights" the ONNX file is what runs: it must be there.
  const noOnnx = copyModel((d) => {
    fs.rmSync(path.join(d, 'model.onnx'));
    editManifest(d, (m) => delete m.graph);
  });
  assert.throws(() => openModel(noOnnx), /model\.json: onnx file model\.onnx does not exist/);
  const badFormat = copyModel((d) => editManifest(d, (m) => (m.format = 'other/2')));
  assert.throws(() => openModel(badFormat), /format must be "induction-lens-model\/1"/);
  const badDims = copyModel((d) => editManifest(d, (m) => (m.architecture.n_heads = 0)));
  assert.throws(() => openModel(badDims), /architecture\.n_heads must be a positive integer/);
  const smallVocab = copyModel((d) => editManifest(d, (m) => (m.architecture.d_vocab = 100)));
  assert.throws(() => openModel(smallVocab), /tokenizer\.json: has 2048 tokens but the model's vocabulary \(d_vocab\) is 100|bos_token_id/);
  // The ONNX file is run when model.json does not ask for the graph built from the weights.
  const onnxModel = (edit: (dir: string) => void) => copyModel((d) => {
    editManifest(d, (m) => delete m.graph);
    edit(d);
  });
  const corruptOnnx = onnxModel((d) => fs.writeFileSync(path.join(d, 'model.onnx'), 'not an onnx file'));
  await assert.rejects(OrtModel.load(readModelFolder(corruptOnnx)), /model\.onnx: onnxruntime cannot load it/);
  const wrongIo = onnxModel((d) => editManifest(d, (m) => (m.io.head_mask = 'mask')));
  await assert.rejects(OrtModel.load(readModelFolder(wrongIo)), /model\.onnx: has no input named "mask"/);
  const wrongHeads = onnxModel((d) => editManifest(d, (m) => (m.architecture.n_heads = 4)));
  await assert.rejects(OrtModel.load(readModelFolder(wrongHeads)), /input "head_mask" dimension 1 is 8, the manifest says 4/);
  const wrongVocab = onnxModel((d) => editManifest(d, (m) => (m.architecture.d_vocab = 4096)));
  await assert.rejects(OrtModel.load(readModelFolder(wrongVocab)), /output "logits" dimension 2 is 2048, the manifest says 4096/);
});

test('"graph": "weights": the graph built from weights.safetensors gives the ONNX file\'s numbers, and bad weights a clear error', async () => {
  const fromOnnx = copyModel((d) => editManifest(d, (m) => delete m.graph));
  const built = await OrtModel.load(readModelFolder(MODEL_DIR));
  const onnx = await OrtModel.load(readModelFolder(fromOnnx));
  try {
    const ids = Int32Array.from({ length: 2 * 300 }, (_, i) => (i % 300 === 0 ? 0 : (i * 7919) % 2048));
    const mask = new Float32Array(16).fill(1);
    mask[9] = 0;
    for (const headMask of [undefined, mask]) {
      const a = await built.forward({ ids, batch: 2, seq: 300, headMask, wantAttentions: true });
      const b = await onnx.forward({ ids, batch: 2, seq: 300, headMask, wantAttentions: true });
      let dl = 0, da = 0;
      a.logits.forEach((v, i) => (dl = Math.max(dl, Math.abs(v - b.logits[i]))));
      a.attentions!.forEach((v, i) => (da = Math.max(da, Math.abs(v - b.attentions![i]))));
      console.log(`# built vs ONNX file${headMask ? ' (L1H1 masked)' : ''}: max |logits diff| ${dl.toExponential(2)}, max |attention diff| ${da.toExponential(2)}`);
      assert.ok(dl < 1e-4 && da < 1e-5, `${dl} ${da}`);
    }
  } finally {
    await built.dispose();
    await onnx.dispose();
  }
  assert.throws(() => readModelFolder(copyModel((d) => editManifest(d, (m) => (m.graph = 'onnx')))), /"graph" must be "weights" when present/);
  assert.throws(() => readModelFolder(copyModel((d) => editManifest(d, (m) => (m.architecture.layer_norm = true)))), /"graph": "weights" needs a weights file and an attention-only model/);
  const wrongShape = copyModel((d) => editManifest(d, (m) => (m.architecture.d_head = 8)));
  await assert.rejects(OrtModel.load(readModelFolder(wrongShape)), /tensor "blocks\.0\.attn\.W_Q" has shape \[8,128,16\], model\.json implies \[8,128,8\]/);
});


test('"graph": "weights" without model.onnx (as the VSIX ships it): the folder opens and runs, with the numbers of the folder that has it', async () => {
  const noOnnx = copyModel((d) => fs.rmSync(path.join(d, 'model.onnx')));
  const opened = openModel(noOnnx);
  assert.equal(opened.folder.onnxPath, path.join(noOnnx, 'weights.safetensors'), 'errors and the hash name the file the graph is built from');
  assert.equal(opened.hash, crypto.createHash('sha256').update(fs.readFileSync(path.join(noOnnx, 'weights.safetensors'))).digest('hex'));
  const without = await OrtModel.load(readModelFolder(noOnnx));
  const withOnnx = await OrtModel.load(readModelFolder(MODEL_DIR));
  try {
    const ids = Int32Array.from(ref.parity.ids);
    const a = await without.forward({ ids, batch: 1, seq: ids.length, wantAttentions: true });
    const b = await withOnnx.forward({ ids, batch: 1, seq: ids.length, wantAttentions: true });
    assert.equal(maxAbsDiff(a.logits, b.logits), 0, 'the same graph from the same weights');
    assert.equal(maxAbsDiff(a.attentions!, b.attentions!), 0);
    assert.ok(maxAbsDiff(a.logits, f32('parity_logits.f32')) <= 1e-3);
  } finally {
    await without.dispose();
    await withOnnx.dispose();
  }
});
