// ONNX graphs built in TypeScript from Hugging Face folders against the PyTorch reference forward
// passes of training/hf_reference.py (written from the transformers maths), for each architecture.
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { readHfFolder } from '../../src/engine/hf/folder';
import { TensorReader } from '../../src/engine/hf/weights';
import { readModelFolder } from '../../src/engine/manifest';
import { openModel } from '../../src/engine/model';
import { OrtModel } from '../../src/worker/ortModel';
import { maxAbsDiff, ROOT } from '../support/fixtures';

const HF_MODELS = ['tiny-gpt2', 'tiny-pythia', 'tiny-llama', 'tiny-qwen2', 'tiny-mistral', 'tiny-qwen3', 'tiny-gemma', 'tiny-gemma2', 'tiny-gemma3', 'tiny-phi3', 'tiny-olmo2'];

interface HfReference {
  parity: {
    ids: number[][]; rows: number[]; logitsShape: number[]; attentionsShape: number[];
    maskedIds: number[][]; maskedHead: { layer: number; head: number }; maskedLogitsShape: number[]; maskedAttentionsShape: number[];
  };
}

const fixtureDir = (name: string) => path.join(ROOT, 'test', 'fixtures', name);
export const hfModelDir = (name: string) => path.join(ROOT, 'test', 'fixtures', 'hf-models', name);

function f32(name: string, file: string): Float32Array {
  const b = fs.readFileSync(path.join(fixtureDir(name), file));
  return new Float32Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength));
}

/** Rows `rows` of a [batch=1, seq, n] tensor -> [rows.length, n]. */
function pickRows(a: Float32Array, rows: number[], n: number): Float32Array {
  const out = new Float32Array(rows.length * n);
  rows.forEach((r, i) => out.set(a.subarray(r * n, (r + 1) * n), i * n));
  return out;
}

for (const name of HF_MODELS) {
  test(`${name}: logits and attentions of the built ONNX graph match PyTorch at full context (1e-4)`, async () => {
    const ref = JSON.parse(fs.readFileSync(path.join(fixtureDir(name), 'reference.json'), 'utf8')) as HfReference;
    const folder = readModelFolder(hfModelDir(name));
    const { n_layers: L, n_heads: H, d_vocab: V, n_ctx } = folder.manifest.architecture;
    const m = await OrtModel.load(folder);
    try {
      const ids = Int32Array.from(ref.parity.ids.flat());
      const T = ref.parity.ids[0].length;
      assert.ok(T >= n_ctx - 1, 'the parity sequence spans the context');
      const out = await m.forward({ ids, batch: 1, seq: T, wantAttentions: true });
      const rows = ref.parity.rows;
      const logitDiff = maxAbsDiff(pickRows(out.logits, rows, V), f32(name, 'parity_logits.f32'));
      // attentions [1, L, H, T, T] -> the reference keeps query rows `rows` of every (layer, head).
      const attn = new Float32Array(L * H * rows.length * T);
      for (let lh = 0; lh < L * H; lh++) attn.set(pickRows(out.attentions!.subarray(lh * T * T, (lh + 1) * T * T), rows, T), lh * rows.length * T);
      const attnDiff = maxAbsDiff(attn, f32(name, 'parity_attentions.f32'));
      console.log(`# ${name}: max |logits diff| ${logitDiff.toExponential(2)}, max |attention diff| ${attnDiff.toExponential(2)} over ${T} tokens`);
      assert.ok(logitDiff <= 1e-4, `logits differ by ${logitDiff}`);
      assert.ok(attnDiff <= 1e-4, `attentions differ by ${attnDiff}`);
    } finally {
      await m.dispose();
    }
  });

  test(`${name}: a batch of two with one head masked matches PyTorch (head_mask on the head's output)`, async () => {
    const ref = JSON.parse(fs.readFileSync(path.join(fixtureDir(name), 'reference.json'), 'utf8')) as HfReference;
    const folder = readModelFolder(hfModelDir(name));
    const { n_layers: L, n_heads: H } = folder.manifest.architecture;
    const m = await OrtModel.load(folder);
    try {
      const ids = Int32Array.from(ref.parity.maskedIds.flat());
      const [B, T] = [ref.parity.maskedIds.length, ref.parity.maskedIds[0].length];
      const mask = new Float32Array(L * H).fill(1);
      mask[ref.parity.maskedHead.layer * H + ref.parity.maskedHead.head] = 0;
      const masked = await m.forward({ ids, batch: B, seq: T, headMask: mask, wantAttentions: true });
      const full = await m.forward({ ids, batch: B, seq: T, wantAttentions: false });
      const want = f32(name, 'parity_masked_logits.f32');
      assert.ok(maxAbsDiff(masked.logits, want) <= 1e-4, `masked logits differ by ${maxAbsDiff(masked.logits, want)}`);
      assert.ok(maxAbsDiff(masked.attentions!, f32(name, 'parity_masked_attentions.f32')) <= 1e-4);
      assert.ok(maxAbsDiff(full.logits, want) > 1e-3, 'masking the head must change the logits, or this test proves nothing');
    } finally {
      await m.dispose();
    }
  });
}

test('Hugging Face folders open with a manifest derived from config.json', () => {
  const m = openModel(hfModelDir('tiny-pythia'));
  const a = m.folder.manifest.architecture;
  assert.deepEqual([a.n_layers, a.n_heads, a.d_model, a.d_head, a.n_ctx, a.d_vocab], [2, 4, 64, 16, 256, 2112]);
  assert.equal(a.positional, 'rotary');
  assert.equal(m.dims.tokenVocab, 2048, 'the probe draws ids the tokenizer can produce, not the padding rows');
  assert.equal(m.folder.weightsPath, null, 'no exact circuits for models with MLPs and LayerNorm');
});

/** A copy of a test model folder, changed by `edit`. */
function copyHf(name: string, edit: (dir: string) => void): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'il-hf-'));
  for (const f of fs.readdirSync(hfModelDir(name))) fs.copyFileSync(path.join(hfModelDir(name), f), path.join(dir, f));
  edit(dir);
  return dir;
}

function editConfig(dir: string, f: (c: Record<string, unknown>) => void) {
  const file = path.join(dir, 'config.json');
  const c = JSON.parse(fs.readFileSync(file, 'utf8'));
  f(c);
  fs.writeFileSync(file, JSON.stringify(c));
}

test('Hugging Face folders: clear errors for missing files, other architectures, foreign tokenizers and size', () => {
  const noTokenizer = copyHf('tiny-llama', (d) => fs.rmSync(path.join(d, 'tokenizer.json')));
  assert.throws(() => openModel(noTokenizer), /tokenizer\.json is missing/);
  const noWeights = copyHf('tiny-llama', (d) => fs.rmSync(path.join(d, 'model.safetensors')));
  assert.throws(() => openModel(noWeights), /model\.safetensors is missing/);
  const binOnly = copyHf('tiny-llama', (d) => fs.renameSync(path.join(d, 'model.safetensors'), path.join(d, 'pytorch_model.bin')));
  assert.throws(() => openModel(binOnly), /has pytorch_model\.bin but no model\.safetensors/);
  const bert = copyHf('tiny-llama', (d) => editConfig(d, (c) => (c.model_type = 'bert')));
  assert.throws(() => openModel(bert), /config\.json: model_type "bert" is not supported; Induction Lens builds GPT-2/);
  const scaled = copyHf('tiny-llama', (d) => editConfig(d, (c) => (c.rope_scaling = { rope_type: 'su', factor: 8 })));
  assert.throws(() => openModel(scaled), /rotary scaling "su" is not supported \(supported: default, linear, dynamic, llama3, yarn, longrope\)/);
  const wrongConfig = copyHf('tiny-llama', (d) => editConfig(d, (c) => (c.hidden_size = 128)));
  assert.throws(() => openModel(wrongConfig), /token embedding has shape \[2048,64\], config\.json says \[2048, 128\]/);
  // A tokenizer with more ids than the model's embedding rows belongs to another model.
  const foreign = copyHf('tiny-llama', (d) => {
    const file = path.join(d, 'tokenizer.json');
    const t = JSON.parse(fs.readFileSync(file, 'utf8'));
    t.model.vocab['Ġzzzzextra'] = 2100;
    fs.writeFileSync(file, JSON.stringify(t));
  });
  assert.throws(() => openModel(foreign), /has 2101 tokens but the model's vocabulary \(d_vocab\) is 2048: the tokenizer belongs to another model/);
  assert.throws(() => readHfFolder(hfModelDir('tiny-llama'), 1e6), /0\.4 M parameters need about 0\.0\d GB of memory to load .*this machine has 0\.00 GB, of which the lens uses at most 0\.00 GB/);
});

/** Writes tensors (float32, or raw bytes of another dtype) as one safetensors file. */
function writeSafetensors(file: string, tensors: [string, { shape: number[]; data: Float32Array | Uint8Array; dtype?: string }][]) {
  const header: Record<string, unknown> = {};
  let offset = 0;
  for (const [name, t] of tensors) {
    header[name] = { dtype: t.dtype ?? 'F32', shape: t.shape, data_offsets: [offset, offset + t.data.byteLength] };
    offset += t.data.byteLength;
  }
  let h = Buffer.from(JSON.stringify(header));
  h = Buffer.concat([h, Buffer.alloc((8 - (h.length % 8)) % 8, 0x20)]);
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(BigInt(h.length));
  fs.writeFileSync(file, Buffer.concat([len, h, ...tensors.map(([, t]) => Buffer.from(t.data.buffer, t.data.byteOffset, t.data.byteLength))]));
}

test('sharded weights (model.safetensors.index.json) give the same logits as the single file', async () => {
  const single = readModelFolder(hfModelDir('tiny-llama'));
  const reader = new TensorReader(single.hf!.weights);
  const names = [...single.hf!.weights.tensors.keys()].sort();
  const sharded = copyHf('tiny-llama', (d) => {
    fs.rmSync(path.join(d, 'model.safetensors'));
    const half = Math.ceil(names.length / 2);
    const shards = [names.slice(0, half), names.slice(half)];
    const map: Record<string, string> = {};
    shards.forEach((part, i) => {
      const file = `model-0000${i + 1}-of-00002.safetensors`;
      writeSafetensors(path.join(d, file), part.map((n) => [n, reader.get(n)]));
      for (const n of part) map[n] = file;
    });
    fs.writeFileSync(path.join(d, 'model.safetensors.index.json'), JSON.stringify({ metadata: {}, weight_map: map }));
  });
  const ids = Int32Array.from({ length: 40 }, (_, i) => (i * 37) % 2000 + 1);
  const run = async (dir: string) => {
    const m = await OrtModel.load(readModelFolder(dir));
    try {
      return (await m.forward({ ids, batch: 1, seq: ids.length, wantAttentions: false })).logits;
    } finally {
      await m.dispose();
    }
  };
  assert.equal(readModelFolder(sharded).hf!.weights.files.length, 2);
  assert.equal(maxAbsDiff(await run(sharded), await run(hfModelDir('tiny-llama'))), 0);
});

test('past 2 GB of float32 weights only memory limits a model: the refusal gives what it needs and what there is', () => {
  const dir = copyHf('tiny-llama', (d) => {
    editConfig(d, (c) => Object.assign(c, { vocab_size: 600000, hidden_size: 1024, num_attention_heads: 16, num_key_value_heads: 16 }));
    // A header that declares the tensors, without their data: only headers are read before the check.
    const header = JSON.stringify({ 'model.embed_tokens.weight': { dtype: 'BF16', shape: [600000, 1024], data_offsets: [0, 600000 * 1024 * 2] } });
    const len = Buffer.alloc(8);
    len.writeBigUInt64LE(BigInt(header.length));
    fs.writeFileSync(path.join(d, 'model.safetensors'), Buffer.concat([len, Buffer.from(header)]));
  });
  // 614 M parameters: 2.5 GB as float32, past the old protobuf limit. With memory to spare the
  // size checks pass and the next check (the missing data) speaks.
  assert.throws(() => readHfFolder(dir, 64 * 2 ** 30), /data area|holds \d+ bytes|past the end|missing/);
  assert.throws(() => readHfFolder(dir, 4 * 2 ** 30), /614\.4 M parameters need about 6\.1 GB of memory to load \(2\.5 GB of float32 weights\); this machine has 4\.3 GB, of which the lens uses at most 3\.2 GB/);
});

test('probe scores are keyed per model: the key is stable, and changes with the config or the weights', () => {
  const a = openModel(hfModelDir('tiny-pythia')).hash;
  assert.equal(openModel(hfModelDir('tiny-pythia')).hash, a);
  assert.notEqual(openModel(hfModelDir('tiny-llama')).hash, a);
  const edited = copyHf('tiny-pythia', (d) => editConfig(d, (c) => (c.layer_norm_eps = 1e-6)));
  const copy = copyHf('tiny-pythia', () => undefined);
  const before = openModel(copy).hash;
  assert.notEqual(openModel(edited).hash, before);
  const w = path.join(copy, 'model.safetensors');
  fs.utimesSync(w, new Date(), new Date(Date.now() + 5000));
  assert.notEqual(openModel(copy).hash, before, 'rewritten weights get a new key');
});

test('buffers saved in real checkpoints (causal masks, also as BOOL; rotary tables) are skipped and not counted', async () => {
  for (const [name, buffers] of [
    ['tiny-gpt2', ['h.0.attn.bias', 'h.1.attn.masked_bias']],
    ['tiny-pythia', ['gpt_neox.layers.0.attention.bias', 'gpt_neox.layers.0.attention.rotary_emb.inv_freq']],
  ] as const) {
    const original = readModelFolder(hfModelDir(name));
    const reader = new TensorReader(original.hf!.weights);
    const dir = copyHf(name, (d) => {
      const tensors: [string, { shape: number[]; data: Float32Array | Uint8Array; dtype?: string }][] =
        [...original.hf!.weights.tensors.keys()].map((n) => [n, reader.get(n)]);
      tensors.push([buffers[0], { shape: [1, 1, 16, 16], data: new Uint8Array(256).fill(1), dtype: 'BOOL' }]);
      tensors.push([buffers[1], { shape: [8], data: new Float32Array(8).fill(-1e4) }]);
      writeSafetensors(path.join(d, 'model.safetensors'), tensors);
    });
    const withBuffers = readModelFolder(dir);
    assert.equal(withBuffers.hf!.weights.parameterCount, original.hf!.weights.parameterCount);
    const ids = Int32Array.from({ length: 30 }, (_, i) => (i * 53) % 2000 + 1);
    const logits = async (f: typeof original) => {
      const m = await OrtModel.load(f);
      try {
        return (await m.forward({ ids, batch: 1, seq: ids.length, wantAttentions: false })).logits;
      } finally {
        await m.dispose();
      }
    };
    assert.equal(maxAbsDiff(await logits(withBuffers), await logits(original)), 0, name);
  }
});
