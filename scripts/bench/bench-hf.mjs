// `node scripts/bench/bench-hf.mjs`: load time, memory and forward-pass latency of Hugging Face folders
// opened directly (graph built in TypeScript): the test models, and a GPT-2 small shaped
// model (124 M parameters, random fp16 weights written to a temporary folder) at 1,024 tokens.
// Prints one JSON document on stdout and a table on stderr.
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { createRequire } from 'module';
import { fileURLToPath } from 'url';
import { ensureBuilt } from '../build/ensure-built.mjs';

const require = createRequire(import.meta.url);
const ROOT = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..', '..');
ensureBuilt();
const E = require(path.join(ROOT, 'dist-test', 'support', 'engineApi.js'));
const REPS = Number(process.env.IL_BENCH_REPS ?? 5);
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** GPT-2 small's config with random weights (normal 0.02, stored as F16) in a temporary folder. */
export function gpt2Small() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'il-gpt2-small-'));
  const d = 768, V = 50257, P = 1024, L = 12;
  const shapes = { 'wte.weight': [V, d], 'wpe.weight': [P, d], 'ln_f.weight': [d], 'ln_f.bias': [d] };
  for (let l = 0; l < L; l++) {
    Object.assign(shapes, {
      [`h.${l}.ln_1.weight`]: [d], [`h.${l}.ln_1.bias`]: [d], [`h.${l}.attn.c_attn.weight`]: [d, 3 * d], [`h.${l}.attn.c_attn.bias`]: [3 * d],
      [`h.${l}.attn.c_proj.weight`]: [d, d], [`h.${l}.attn.c_proj.bias`]: [d], [`h.${l}.ln_2.weight`]: [d], [`h.${l}.ln_2.bias`]: [d],
      [`h.${l}.mlp.c_fc.weight`]: [d, 4 * d], [`h.${l}.mlp.c_fc.bias`]: [4 * d], [`h.${l}.mlp.c_proj.weight`]: [4 * d, d], [`h.${l}.mlp.c_proj.bias`]: [d],
    });
  }
  const header = {};
  let offset = 0;
  for (const [name, shape] of Object.entries(shapes)) {
    const n = shape.reduce((a, b) => a * b, 1) * 2;
    header[name] = { dtype: 'F16', shape, data_offsets: [offset, offset + n] };
    offset += n;
  }
  let h = Buffer.from(JSON.stringify(header));
  h = Buffer.concat([h, Buffer.alloc((8 - (h.length % 8)) % 8, 0x20)]);
  const data = Buffer.alloc(offset);
  // Random half floats: small values of either sign (exponent 2^-9 .. 2^-6), norms set to ~1.
  for (let i = 0; i < offset; i += 2) data.writeUInt16LE(((Math.random() < 0.5 ? 0x8000 : 0) | ((6 + Math.floor(Math.random() * 3)) << 10) | Math.floor(Math.random() * 1024)), i);
  for (const [name, info] of Object.entries(header)) if (/ln_.*weight/.test(name)) for (let i = info.data_offsets[0]; i < info.data_offsets[1]; i += 2) data.writeUInt16LE(0x3c00, i);
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(BigInt(h.length));
  fs.writeFileSync(path.join(dir, 'model.safetensors'), Buffer.concat([len, h, data]));
  fs.writeFileSync(path.join(dir, 'config.json'), JSON.stringify({ model_type: 'gpt2', vocab_size: V, n_positions: P, n_embd: d, n_layer: L, n_head: 12, bos_token_id: 50256 }));
  // The bundled tokenizer stands in (its 2,048 ids are all inside GPT-2's vocabulary).
  fs.copyFileSync(path.join(ROOT, 'media', 'models', 'attn-only-2l', 'tokenizer.json'), path.join(dir, 'tokenizer.json'));
  return dir;
}

async function measure(name, dir, seqs) {
  global.gc?.();
  const rss0 = process.memoryUsage().rss;
  const t0 = performance.now();
  const folder = E.readModelFolder(dir);
  const m = await E.OrtModel.load(folder);
  const loadMs = performance.now() - t0;
  global.gc?.();
  const rss1 = process.memoryUsage().rss;
  const a = folder.manifest.architecture;
  const row = { model: name, params: folder.hf.weights.parameterCount, fileMB: folder.hf.weights.bytes / 1e6, graphMB: folder.hf.graphBytes / 1e6, loadMs, rssAfterLoadMB: (rss1 - rss0) / 1e6, forward: {} };
  for (const seq of seqs.filter((s) => s <= a.n_ctx)) {
    const ids = Int32Array.from({ length: seq }, (_, i) => (i * 7919) % 2000 + 1);
    const times = [];
    for (let r = 0; r < REPS + 1; r++) {
      const t = performance.now();
      await m.forward({ ids, batch: 1, seq, wantAttentions: true });
      if (r) times.push(performance.now() - t);
    }
    row.forward[seq] = median(times);
  }
  row.peakRssMB = process.memoryUsage().rss / 1e6;
  await m.dispose();
  process.stderr.write(`${name.padEnd(16)} ${(row.params / 1e6).toFixed(2).padStart(7)} M params  load ${row.loadMs.toFixed(0).padStart(6)} ms  +RSS ${row.rssAfterLoadMB.toFixed(0).padStart(5)} MB  ` +
    Object.entries(row.forward).map(([s, ms]) => `${s} tok ${ms.toFixed(1)} ms`).join('  ') + '\n');
  return row;
}

async function main() {
  const rows = [];
  for (const name of ['tiny-gpt2', 'tiny-pythia', 'tiny-llama', 'tiny-qwen2']) rows.push(await measure(name, path.join(ROOT, 'test', 'fixtures', 'hf-models', name), [128, 255]));
  if (!process.argv.includes('--tiny-only')) {
    const dir = gpt2Small();
    try {
      rows.push(await measure('gpt2-small-shape', dir, [128, 512, 1024]));
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }
  console.log(JSON.stringify({ machine: `${os.cpus().length} cores, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB`, rows }, null, 1));
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await main();
