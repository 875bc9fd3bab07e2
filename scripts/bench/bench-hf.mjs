// `node --expose-gc scripts/bench/bench-hf.mjs [--tiny-only] [--llama-1b]`: load time, memory and
// forward-pass latency of Hugging Face folders opened directly (graph built in TypeScript), each
// model in a fresh process: the test models, a GPT-2 small shaped folder (124 M parameters, random
// fp16 weights) and, with --llama-1b, a Llama-3.2-1B shaped one (its real config.json values and
// tensor shapes, random bf16 weights, 1.24 B parameters; rope_scaling dropped). Shaped folders are
// made in a temporary folder and deleted. Prints one JSON document on stdout (per model: loadMs,
// rssAfterLoadMb, peakRssMb and forwardMs per length) and a table on stderr.
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { createRequire } from 'module';
import { fileURLToPath } from 'url';
import { ensureBuilt } from '../build/ensure-built.mjs';
import { gpt2Small, llama1b } from './shapedFolders.mjs';

const require = createRequire(import.meta.url);
const ROOT = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..', '..');
const REPS = Number(process.env.IL_BENCH_REPS ?? 3);
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const mb = (bytes) => Math.round(bytes / 2 ** 20);

export { gpt2Small, llama1b };

/** One model in this (fresh) process: load, memory, forward passes at each length. */
async function measureHere(name, dir, seqs) {
  const E = require(path.join(ROOT, 'dist-test', 'support', 'engineApi.js'));
  let peak = process.memoryUsage().rss;
  const sample = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 20);
  const t0 = performance.now();
  const folder = E.readModelFolder(dir);
  const m = await E.OrtModel.load(folder);
  const loadMs = performance.now() - t0;
  // What stays after the load: our float32 arrays are garbage once onnxruntime holds its copy.
  for (let i = 0; i < 3; i++) {
    global.gc?.();
    await new Promise((r) => setTimeout(r, 100));
  }
  const rssAfterLoad = process.memoryUsage().rss;
  const a = folder.manifest.architecture;
  const forwardMs = {};
  const peakRssMbByLength = {};
  for (const seq of seqs.filter((s) => s <= a.n_ctx)) {
    const ids = Int32Array.from({ length: seq }, (_, i) => (i * 7919) % 2000 + 1);
    const times = [];
    for (let r = 0; r < (seq * a.n_layers * a.d_model > 2e7 ? 2 : REPS + 1); r++) {
      const t = performance.now();
      await m.forward({ ids, batch: 1, seq, wantAttentions: true });
      if (r) times.push(performance.now() - t);
    }
    forwardMs[seq] = Math.round(median(times) * 10) / 10;
    // Lengths run in increasing order: the peak so far is the peak up to this length.
    peakRssMbByLength[seq] = mb(Math.max(peak, process.memoryUsage().rss, process.resourceUsage().maxRSS * 1024));
  }
  clearInterval(sample);
  peak = Math.max(peak, process.memoryUsage().rss, process.resourceUsage().maxRSS * 1024);
  await m.dispose();
  return {
    model: name, params: folder.hf.weights.parameterCount, float32WeightMb: mb(folder.hf.weights.parameterCount * 4),
    loadMs: Math.round(loadMs), rssAfterLoadMb: mb(rssAfterLoad), peakRssMb: mb(peak), peakRssMbByLength, forwardMs,
  };
}

/** One model in a fresh process (so load times and memory are not those of a warm process). */
function measure(name, dir, seqs) {
  const out = execFileSync(process.execPath, ['--expose-gc', fileURLToPath(import.meta.url), '--one', name, dir, seqs.join(',')], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
  const row = JSON.parse(out);
  process.stderr.write(`${name.padEnd(16)} ${(row.params / 1e6).toFixed(2).padStart(8)} M params  load ${String(row.loadMs).padStart(6)} ms  RSS after load ${String(row.rssAfterLoadMb).padStart(6)} MB  peak ${String(row.peakRssMb).padStart(6)} MB  ` +
    Object.entries(row.forwardMs).map(([s, ms]) => `${s} tok ${ms} ms`).join('  ') + '\n');
  return row;
}

async function main() {
  if (process.argv[2] === '--one') {
    const [, , , name, dir, seqs] = process.argv;
    console.log(JSON.stringify(await measureHere(name, dir, seqs.split(',').map(Number))));
    return;
  }
  ensureBuilt();
  const rows = [];
  for (const name of ['tiny-gpt2', 'tiny-pythia', 'tiny-llama', 'tiny-qwen2']) rows.push(measure(name, path.join(ROOT, 'test', 'fixtures', 'hf-models', name), [128, 255]));
  const shaped = process.argv.includes('--tiny-only') ? [] : [['gpt2-small-shape', gpt2Small, [128, 512, 1024]]];
  if (process.argv.includes('--llama-1b')) shaped.push(['llama-3.2-1b-shape', llama1b, [512]]);
  for (const [name, make, seqs] of shaped) {
    const dir = make();
    try {
      rows.push(measure(name, dir, seqs));
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }
  console.log(JSON.stringify({ machine: `${os.cpus().length} cores, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB`, rows }, null, 1));
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await main();
