// `npm run bench`: one JSON document on stdout (a readable table on stderr) with medians and
// spreads of every stage at 128, 512 and the model's full context, compared with the raw
// onnxruntime-node call (the floor) and with PyTorch eager mode on the same weights.
// `--vscode` adds the timings taken inside the real VS Code (code-server) harness.
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { createRequire } from 'module';
import { lagProbe } from './lag-probe.mjs';
import { ensureBuilt } from '../build/ensure-built.mjs';

const require = createRequire(import.meta.url);
const ROOT = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..', '..');
ensureBuilt();
const E = require(path.join(ROOT, 'dist-test', 'support', 'engineApi.js'));
const ort = require('onnxruntime-node');
const MODEL = process.env.IL_BENCH_MODEL ?? path.join(ROOT, 'media', 'models', 'attn-only-2l');
const REPS = Number(process.env.IL_BENCH_REPS ?? 20);

const stats = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const q = (p) => s[Math.min(s.length - 1, Math.floor(p * s.length))];
  return { median: q(0.5), p10: q(0.1), p90: q(0.9), min: s[0], max: s[s.length - 1], n: s.length };
};
async function time(fn, reps = REPS, warm = 3) {
  for (let i = 0; i < warm; i++) await fn();
  const out = [];
  for (let i = 0; i < reps; i++) {
    const t0 = performance.now();
    await fn();
    out.push(performance.now() - t0);
  }
  return stats(out);
}

/** A large real text: the Python standard library sources on this machine, or the samples. */
function largeText() {
  const dir = '/usr/lib/python3.11';
  let text = '';
  if (fs.existsSync(dir)) {
    for (const f of fs.readdirSync(dir).filter((x) => x.endsWith('.py')).sort()) {
      text += fs.readFileSync(path.join(dir, f), 'utf8');
      if (text.length > 1_000_000) break;
    }
  }
  if (text.length < 100_000) text = fs.readdirSync(path.join(ROOT, 'samples')).map((f) => fs.readFileSync(path.join(ROOT, 'samples', f), 'utf8')).join('\n').repeat(200);
  return text;
}


async function main() {
  const model = E.openModel(MODEL);
  const { nCtx, nLayers, nHeads } = model.dims;
  const tok = model.tokenizer;
  const big = largeText();
  const out = { machine: { cpus: os.cpus().length, cpu: os.cpus()[0]?.model, memGiB: Math.round(os.totalmem() / 2 ** 30), node: process.version, onnxruntimeNode: '1.30.0' }, model: model.folder.manifest.id, stages: {}, ratios: {}, targets: {} };

  // Tokenization throughput on the large file, and per call.
  const t0 = performance.now();
  const all = tok.encode(big);
  const bigMs = performance.now() - t0;
  out.stages.tokenizeLargeFile = { chars: big.length, tokens: all.ids.length, ms: bigMs, tokensPerSecond: all.ids.length / (bigMs / 1000) };
  // Sizes in model positions (BOS included): 128, 512 and the full context.
  const sizes = [...new Set([128, 512, nCtx])].filter((n) => n <= nCtx);
  const texts = Object.fromEntries(sizes.map((n) => [n, big.slice(0, all.ends[n - 2])]));
  const ids = Object.fromEntries(sizes.map((n) => [n, Array.from(all.ids.subarray(0, n - 1))]));
  texts[2048] = big.slice(0, all.ends[2046]);

  const session = await ort.InferenceSession.create(model.folder.onnxPath, { graphOptimizationLevel: 'all' });
  const pool = new E.WorkerPool(path.join(ROOT, 'dist', 'worker.js'));
  const backend = await pool.backend(MODEL);
  const engine = new E.ModelSession(model, backend);
  await engine.probe();
  for (const n of sizes) {
    const stage = {};
    stage.tokenizeMs = await time(() => tok.encode(texts[n]));
    const feeds = {
      input_ids: new ort.Tensor('int64', BigInt64Array.from([0, ...ids[n]].map(BigInt)), [1, n]),
      head_mask: new ort.Tensor('float32', new Float32Array(nLayers * nHeads).fill(1), [nLayers, nHeads]),
    };
    stage.rawSessionRunMs = await time(() => session.run(feeds));
    stage.rawLogitsOnlyMs = await time(() => session.run(feeds, ['logits']));
    let a;
    stage.analysisMs = await time(async () => {
      a = await engine.analyze(texts[n], { topK: 5 });
    });
    stage.ablationMs = await time(() => engine.ablate(a));
    stage.decorationPlanMs = await time(() => E.planOverlay(a, texts[n].slice(0, a.analyzedLength), { mode: 'matter', attentionThreshold: 0.3, minAblationGain: 1 }, (id) => tok.bytesOf(id)));
    let worst = 0;
    for (let i = 0; i < 10; i++) {
      const stop = lagProbe();
      await engine.analyze(texts[n], { topK: 5 });
      worst = Math.max(worst, stop());
    }
    stage.eventLoopDelayDuringAnalysisMs = worst;
    stage.analysisOverRaw = stage.analysisMs.median / stage.rawSessionRunMs.median;
    stage.events = a.events.length;
    out.stages[`tokens${n}`] = stage;
  }
  out.stages.analysis2048tokensMs = await time(() => engine.analyze(texts[2048], { topK: 5 }), 10);
  out.stages.probeMs = await time(() => E.runProbe(backend, nLayers, nHeads, model.dims.dVocab, model.dims.bos), 10);
  out.memory = { rssMiB: process.memoryUsage().rss / 2 ** 20, peakRssMiB: process.resourceUsage().maxRSS / 1024, note: 'bench process with the in-process session and the worker (worker_threads share the process)' };

  // PyTorch eager on the same weights.
  try {
    const f = path.join(os.tmpdir(), `il-bench-${process.pid}.json`);
    fs.writeFileSync(f, JSON.stringify(ids));
    const py = JSON.parse(execFileSync('/usr/bin/python3', [path.join(ROOT, 'scripts', 'bench', 'bench_torch.py'), MODEL, f], { encoding: 'utf8', env: { ...process.env, LD_PRELOAD: '' } }));
    fs.rmSync(f);
    out.torchEager = py;
    for (const n of sizes) out.stages[`tokens${n}`].torchOverEngine = py[n].analysisMs.median / out.stages[`tokens${n}`].analysisMs.median;
    out.ratios.torchOverEngine512 = out.stages.tokens512?.torchOverEngine ?? null;
    out.ratios.torchProbeOverEngine = py.probeMs.median / out.stages.probeMs.median;
  } catch (e) {
    out.torchEager = { error: `PyTorch not available: ${e.message.split('\n')[0]}` };
    out.ratios.torchOverEngine512 = null;
  }
  out.ratios.analysisOverRaw512 = out.stages.tokens512?.analysisOverRaw ?? null;

  if (process.argv.includes('--vscode')) {
    const { perfInVsCode } = await import('../../test/e2e/perf.mjs');
    out.vscode = await perfInVsCode();
  }

  const v = out.vscode ?? {};
  const target = (name, value, limit, cmp = '<=') => {
    out.targets[name] = { value, limit, holds: value === null || value === undefined ? null : cmp === '<=' ? value <= limit : value >= limit };
  };
  target('analysisOverRaw512', out.ratios.analysisOverRaw512, 1.3);
  target('torchOverEngine512', out.ratios.torchOverEngine512, 2, '>=');
  target('eventLoopDelayMs', Math.max(...sizes.map((n) => out.stages[`tokens${n}`].eventLoopDelayDuringAnalysisMs)), 20);
  target('editToOverlayBeyondDebounceMs', v.editToOverlayBeyondDebounceMs?.median, 100);
  target('panelFirstPaint2048Ms', v.panelFirstPaint2048Ms?.median, 150);
  target('heatmapRedrawFullContextMs', v.heatmapRedrawFullContextMs?.median, 30);
  target('activationMs', v.activationMs, 30);

  await engine.dispose();
  await pool.terminate();
  console.log(JSON.stringify(out, null, 1));
  const rows = [['stage', ...sizes.map((n) => `${n} tok`)]];
  const row = (name, f) => rows.push([name, ...sizes.map((n) => f(out.stages[`tokens${n}`], n))]);
  const ms = (x) => (x ? `${x.median.toFixed(2)} ms` : '-');
  row('tokenize', (s) => ms(s.tokenizeMs));
  row('raw session.run (floor)', (s) => ms(s.rawSessionRunMs));
  row('engine analysis', (s) => ms(s.analysisMs));
  row('  ratio to floor', (s) => s.analysisOverRaw.toFixed(2));
  row('ablation re-run', (s) => ms(s.ablationMs));
  row('PyTorch eager analysis', (s, n) => ms(out.torchEager[n]?.analysisMs));
  row('decoration planning', (s) => ms(s.decorationPlanMs));
  row('event-loop delay', (s) => `${s.eventLoopDelayDuringAnalysisMs.toFixed(1)} ms`);
  process.stderr.write(rows.map((r) => r.map((c, i) => (i ? c.padStart(14) : c.padEnd(26))).join('')).join('\n') + '\n');
  if (process.argv.includes('--write-doc')) writeDoc(out, rows);
  process.stderr.write(Object.entries(out.targets).map(([k, t]) => `${t.holds === null ? '  ?' : t.holds ? ' ok' : 'MISS'} ${k}: ${t.value === undefined || t.value === null ? 'not measured' : Number(t.value).toFixed(2)} (limit ${t.limit})`).join('\n') + '\n');
}

/** docs/performance.md from this run: the table, the VS Code timings, the targets. */
function writeDoc(out, rows) {
  const md = [];
  md.push('# Performance', '', `Measured by \`node scripts/bench/bench.mjs --vscode --write-doc\` on ${out.machine.cpus} cores (${out.machine.cpu}), ${out.machine.memGiB} GiB, Node ${out.machine.node}, onnxruntime-node ${out.machine.onnxruntimeNode}, model ${out.model}. Medians of ${REPS} runs after 3 warm-up runs; sizes are model positions including BOS (512 = the full context of the bundled model).`, '');
  md.push(`| ${rows[0].join(' | ')} |`, `|${rows[0].map(() => '---').join('|')}|`);
  for (const r of rows.slice(1)) md.push(`| ${r.join(' | ')} |`);
  md.push('', `Tokenizer throughput on ${out.stages.tokenizeLargeFile.chars.toLocaleString('en')} characters of Python source: ${Math.round(out.stages.tokenizeLargeFile.tokensPerSecond).toLocaleString('en')} tokens/s. Whole analysis of 2,048 tokens (8 overlapping windows of 511 tokens): ${out.stages.analysis2048tokensMs.median.toFixed(1)} ms. Probe (8 x 101 tokens): engine ${out.stages.probeMs.median.toFixed(1)} ms${out.torchEager.probeMs ? `, PyTorch ${out.torchEager.probeMs.median.toFixed(1)} ms` : ''}.`);
  if (out.vscode) {
    const v = out.vscode;
    const f = (x) => (x && x.median !== undefined ? `${x.median.toFixed(1)} ms (min ${x.min.toFixed(1)}, max ${x.max.toFixed(1)}, n ${x.n})` : 'not measured');
    md.push('', '## Inside VS Code (code-server 4.100.3, headless Chromium)', '',
      `- command to overlay, ${v.tokensCommand} tokens: ${f(v.commandToOverlayMs)}`,
      `- edit to overlay in live mode, ${v.liveVisibleTokens}-token visible range, debounce excluded: ${f(v.editToOverlayBeyondDebounceMs)}`,
      `- panel first paint, 511 tokens: ${f(v.panelFirstPaint512Ms)}; 2,048 tokens: ${f(v.panelFirstPaint2048Ms)}`,
      `- heatmap redraw at full context (511 x 511): ${f(v.heatmapRedrawFullContextMs)}; 2,048 x 2,048: ${f(v.heatmapRedraw2048Ms)}`,
      `- activation: ${v.activationMs?.toFixed(2)} ms (the model loads lazily)`,
      `- extension host memory with the model loaded: RSS ${v.extensionHostMemoryMiB.rss.toFixed(0)} MiB (peak ${v.extensionHostMemoryMiB.peakRss.toFixed(0)} MiB, array buffers ${v.extensionHostMemoryMiB.arrayBuffers.toFixed(0)} MiB); the worker is a thread of this process`);
  }
  md.push('', '## Targets', '', '| target | measured | limit | holds |', '|---|---:|---:|---|');
  for (const [k, t] of Object.entries(out.targets)) md.push(`| ${k} | ${t.value === null || t.value === undefined ? '-' : Number(t.value).toFixed(2)} | ${t.limit} | ${t.holds === null ? 'not measured' : t.holds ? 'yes' : 'no'} |`);
  md.push('', '## Floors', '',
    '- inference: the raw `session.run` of onnxruntime-node on the same input, fetching logits and attentions, in the same process. The engine adds tokenization, the hop to the worker thread (buffers are transferred, not copied), the log-softmax of every position for losses and top-k, and the event search.',
    '- decoration planning: linear in the number of events; the floor is the `setDecorations` calls themselves (one per decoration type).',
    '- panel paint: building one span per token; heatmap: one `putImageData` of an n x n image.');
  fs.mkdirSync(path.join(ROOT, 'docs'), { recursive: true });
  fs.writeFileSync(path.join(ROOT, 'docs', 'performance.md'), md.join('\n') + '\n');
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
