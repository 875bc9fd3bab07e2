// `npm run bench`: one JSON document on stdout (a readable table on stderr) with medians and
// spreads of every stage at 128, 512 and the model's full context, compared with the raw
// onnxruntime-node call (the floor) and with PyTorch eager mode on the same weights, then the
// whole analysis of a GPT-2 small shaped Hugging Face folder against PyTorch and against its own
// logits-only forward pass. Every ratio is measured by interleaving its two sides (A B A B …, see
// interleaved()) so that the machine's noise hits both. `--vscode` adds the timings taken inside
// the real VS Code (code-server) harness; `--no-hf` leaves out the GPT-2 small part; `--write-doc`
// regenerates docs/performance.md; `--from RUN.json` renders a saved run's JSON again (table,
// targets, with --write-doc the doc) without measuring. IL_BENCH_REPS (default 20) sets the repetitions,
// IL_BENCH_HF_REPS (default min(7, IL_BENCH_REPS)) those of the GPT-2 small part.
import { spawn } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as readline from 'readline';
import { createRequire } from 'module';
import { lagProbe } from './lag-probe.mjs';
import { gpt2Small } from './shapedFolders.mjs';
import { ensureBuilt } from '../build/ensure-built.mjs';

const require = createRequire(import.meta.url);
const ROOT = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..', '..');
// Loaded by main() (not when a saved run is only rendered again, --from).
let E, ort;
const MODEL = process.env.IL_BENCH_MODEL ?? path.join(ROOT, 'media', 'models', 'attn-only-2l');
const REPS = Number(process.env.IL_BENCH_REPS ?? 20);
/** The analysis as the extension runs it: top-5 predictions, attention rows on demand (no
 *  [L, H, S, S] tensors kept; the Pattern view asks for a head's layer when it shows one). */
const ANALYZE = { topK: 5, keepAttentions: false };
const HF_REPS = Number(process.env.IL_BENCH_HF_REPS ?? Math.min(7, REPS));
const MiB = 2 ** 20;

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

/** A side of a comparison: runs fn once and returns its wall time in ms. */
const wall = (fn) => async () => {
  const t0 = performance.now();
  await fn();
  return performance.now() - t0;
};

/** Idle time before each timed call of interleaved(), so that the other side's thread pools
 *  (onnxruntime's and PyTorch's spin-wait after a parallel section) are asleep when it starts. */
const GAP_MS = 10;
const pause = () => new Promise((r) => setTimeout(r, GAP_MS));

/**
 * The two sides of a ratio, interleaved: both warmed (`warm` calls each), then a, b, a, b … `reps`
 * pairs, so that whatever else the machine does hits both. a and b run once per call and return
 * their own time in ms (wall() for calls in this process; the PyTorch server reports its own).
 * Returns the medians of each side and the median of the per-pair ratios a_i / b_i.
 */
async function interleaved(a, b, reps = REPS, warm = 2) {
  for (let i = 0; i < warm; i++) {
    await a();
    await b();
  }
  const ta = [], tb = [], r = [];
  for (let i = 0; i < reps; i++) {
    await pause();
    const x = await a();
    await pause();
    const y = await b();
    ta.push(x);
    tb.push(y);
    r.push(x / y);
  }
  const rs = stats(r);
  return { a: stats(ta), b: stats(tb), ratio: rs.median, ratioSpread: { p10: rs.p10, p90: rs.p90, n: rs.n } };
}

/** Bytes of the typed arrays an object keeps alive (their whole buffers, each counted once). */
export function keptTensorBytes(root) {
  const seen = new Set();
  const buffers = new Set();
  let bytes = 0;
  const walk = (v) => {
    if (v === null || typeof v !== 'object' || seen.has(v)) return;
    seen.add(v);
    if (ArrayBuffer.isView(v) || v instanceof ArrayBuffer || (typeof SharedArrayBuffer !== 'undefined' && v instanceof SharedArrayBuffer)) {
      const buf = ArrayBuffer.isView(v) ? v.buffer : v;
      if (!buffers.has(buf)) {
        buffers.add(buf);
        bytes += buf.byteLength;
      }
      return;
    }
    if (v instanceof Map) for (const [k, x] of v) (walk(k), walk(x));
    else if (v instanceof Set) for (const x of v) walk(x);
    else for (const x of Array.isArray(v) ? v : Object.values(v)) walk(x);
  };
  walk(root);
  return bytes;
}

/** bench_torch.py --serve: one JSON command a line, one reply a line. */
class TorchServer {
  constructor() {
    this.child = spawn('/usr/bin/python3', [path.join(ROOT, 'scripts', 'bench', 'bench_torch.py'), '--serve'], { stdio: ['pipe', 'pipe', 'inherit'], env: { ...process.env, LD_PRELOAD: '' } });
    this.waiting = [];
    this.failed = null;
    const fail = (e) => {
      this.failed = e;
      for (const w of this.waiting.splice(0)) w.reject(e);
    };
    this.child.on('error', fail);
    this.child.stdin.on('error', fail);
    this.child.on('exit', (code) => fail(new Error(`bench_torch.py exited (${code})`)));
    readline.createInterface({ input: this.child.stdout }).on('line', (line) => {
      const w = this.waiting.shift();
      if (!w) return;
      let m;
      try {
        m = JSON.parse(line);
      } catch {
        return w.reject(new Error(`bench_torch.py: ${line}`));
      }
      if (m.error) w.reject(new Error(`bench_torch.py: ${m.error}`));
      else w.resolve(m);
    });
  }

  call(cmd) {
    if (this.failed) return Promise.reject(this.failed);
    return new Promise((resolve, reject) => {
      this.waiting.push({ resolve, reject });
      this.child.stdin.write(JSON.stringify(cmd) + '\n');
    });
  }

  /** A side for interleaved(): one timed call, its time as measured in Python. */
  ms(cmd) {
    return async () => (await this.call(cmd)).ms;
  }

  close() {
    if (this.failed) return;
    this.child.stdin.end(JSON.stringify({ op: 'quit' }) + '\n');
  }
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

/** The start of `big` that makes `positions` model positions (BOS included when the model has one). */
function textOfPositions(tok, dims, big, positions, encoded) {
  const nTokens = positions - (dims.bos === null ? 0 : 1);
  const enc = encoded ?? tok.encode(big.slice(0, 40 * positions));
  return big.slice(0, enc.ends[nTokens - 1]);
}

/** The ids the analysis' first window runs on (BOS first when the model has one), as numbers. */
const windowIdsOf = (a) => [...(a.dims.bos === null ? [] : [a.dims.bos]), ...a.tokens.ids.subarray(a.windows[0].start, a.windows[0].end)];

/** Compares the fair PyTorch analysis' events with the engine's (same heads, same window). */
async function checkTorch(torch, key, a) {
  const r = await torch.call({ op: 'check', key, heads: a.inductionHeads.map((h) => [h.layer, h.head]) });
  const ev = r.events ?? { query: [], source: [], head: [], rank: [] };
  const mine = new Map(a.events.map((e) => [e.query, e]));
  let same = 0;
  ev.query.forEach((q, i) => {
    const e = mine.get(q);
    if (e && e.source === ev.source[i] && e.head.layer === ev.head[i][0] && e.head.head === ev.head[i][1] && e.rank === ev.rank[i]) same++;
  });
  // PyTorch's loss[i] is that of model position i; the engine's loss[q] that of token q.
  const pre = a.dims.bos === null ? 0 : 1;
  const lossDiff = Math.max(0, ...a.loss.map((l, q) => (l === null || r.loss[q + pre] === undefined ? 0 : Math.abs(l - r.loss[q + pre]))));
  return { engineEvents: a.events.length, torchEvents: ev.query.length, sameEvents: same, maxLossDifference: lossDiff };
}

async function main() {
  const from = process.argv.indexOf('--from');
  if (from > 0) return report(JSON.parse(fs.readFileSync(process.argv[from + 1], 'utf8')));
  ensureBuilt();
  E = require(path.join(ROOT, 'dist-test', 'support', 'engineApi.js'));
  ort = require('onnxruntime-node');
  const model = E.openModel(MODEL);
  const { nCtx, nLayers, nHeads } = model.dims;
  const tok = model.tokenizer;
  const big = largeText();
  const out = { machine: { cpus: os.cpus().length, cpu: os.cpus()[0]?.model, memGiB: Math.round(os.totalmem() / 2 ** 30), node: process.version, onnxruntimeNode: '1.30.0' }, model: model.folder.manifest.id, reps: REPS, stages: {}, ratios: {}, targets: {} };

  // Tokenization throughput on the large file, and per call.
  const t0 = performance.now();
  const all = tok.encode(big);
  const bigMs = performance.now() - t0;
  out.stages.tokenizeLargeFile = { chars: big.length, tokens: all.ids.length, ms: bigMs, tokensPerSecond: all.ids.length / (bigMs / 1000) };
  // Sizes in model positions (BOS included): 128, 512 and the full context.
  const sizes = [...new Set([128, 512, nCtx])].filter((n) => n <= nCtx);
  const texts = Object.fromEntries(sizes.map((n) => [n, textOfPositions(tok, model.dims, big, n, all)]));
  texts[2048] = textOfPositions(tok, model.dims, big, 2048, all);

  const session = await ort.InferenceSession.create(model.folder.onnxPath, { graphOptimizationLevel: 'all' });
  const pool = new E.WorkerPool(path.join(ROOT, 'dist', 'worker.js'));
  const backend = await pool.backend(MODEL);
  const engine = new E.ModelSession(model, backend);
  await engine.probe();

  // PyTorch eager on the same weights, in a server this process alternates calls with.
  let torch = null;
  out.torchEager = {};
  try {
    torch = new TorchServer();
    await torch.call({ op: 'bundled', dir: MODEL });
  } catch (e) {
    out.torchEager = { error: `PyTorch not available: ${e.message.split('\n')[0]}` };
    torch?.close();
    torch = null;
  }

  for (const n of sizes) {
    const stage = {};
    stage.tokenizeMs = await time(() => tok.encode(texts[n]));
    let a = await engine.analyze(texts[n], ANALYZE);
    const ids = windowIdsOf(a);
    const feeds = {
      input_ids: new ort.Tensor('int64', BigInt64Array.from(ids.map(BigInt)), [1, ids.length]),
      head_mask: new ort.Tensor('float32', new Float32Array(nLayers * nHeads).fill(1), [nLayers, nHeads]),
    };
    const analysis = wall(async () => {
      a = await engine.analyze(texts[n], ANALYZE);
    });
    // Whole analysis against the raw session.run with attentions (the floor), then logits only.
    const raw = await interleaved(analysis, wall(() => session.run(feeds)));
    stage.analysisMs = raw.a;
    stage.rawSessionRunMs = raw.b;
    stage.analysisOverRaw = raw.ratio;
    stage.analysisOverRawSpread = raw.ratioSpread;
    // The floor: the same graph's forward pass fetching logits only, through the same worker.
    const logits = await interleaved(analysis, wall(() => backend.forward({ ids: Int32Array.from(ids), batch: 1, seq: ids.length, wantAttentions: false })));
    stage.rawLogitsOnlyMs = logits.b;
    stage.analysisOverLogitsOnly = logits.ratio;
    stage.analysisOverLogitsOnlySpread = logits.ratioSpread;
    const abl = await interleaved(wall(() => engine.ablate(a)), analysis);
    stage.ablationMs = abl.a;
    stage.ablationOverAnalysis = abl.ratio;
    stage.ablationOverAnalysisSpread = abl.ratioSpread;
    stage.decorationPlanMs = await time(() => E.planOverlay(a, texts[n].slice(0, a.analyzedLength), { mode: 'matter', attentionThreshold: 0.3, minAblationGain: 1 }, (id) => tok.bytesOf(id)));
    let worst = 0;
    for (let i = 0; i < 10; i++) {
      const stop = lagProbe();
      await engine.analyze(texts[n], ANALYZE);
      worst = Math.max(worst, stop());
    }
    stage.eventLoopDelayDuringAnalysisMs = worst;
    stage.events = a.events.length;
    stage.inductionHeads = a.inductionHeads.map((h) => `${h.layer}.${h.head}`);
    if (torch) try {
      const key = `bundled${n}`;
      await torch.call({ op: 'ids', key, ids });
      const heads = a.inductionHeads.map((h) => [h.layer, h.head]);
      // The fair side: the engine's induction heads, events vectorized; then the earlier one.
      const fair = await interleaved(torch.ms({ op: 'analysis', key, heads }), analysis);
      const old = await interleaved(torch.ms({ op: 'analysisOld', key }), analysis);
      const fwd = await interleaved(torch.ms({ op: 'forward', key }), wall(() => session.run(feeds)));
      out.torchEager[n] = { analysisMs: fair.a, analysisOldMs: old.a, forwardMs: fwd.a, forwardOverRawSessionRun: fwd.ratio };
      stage.torchOverEngine = fair.ratio;
      stage.torchOverEngineSpread = fair.ratioSpread;
      stage.torchOverEngineOld = old.ratio;
      if (n === 512 || n === sizes[sizes.length - 1]) out.torchEager[`check${n}`] = await checkTorch(torch, key, a);
    } catch (e) {
      out.torchEager.error = e.message.split('\n')[0];
      torch.close();
      torch = null;
    }
    out.stages[`tokens${n}`] = stage;
  }
  out.stages.analysis2048tokensMs = await time(() => engine.analyze(texts[2048], ANALYZE), Math.min(REPS, 10));
  out.stages.probeMs = await time(() => E.runProbe(backend, nLayers, nHeads, model.dims.dVocab, model.dims.bos, model.dims.tokenVocab), Math.min(REPS, 10));
  if (torch) try {
    const probe = await interleaved(torch.ms({ op: 'probe' }), wall(() => E.runProbe(backend, nLayers, nHeads, model.dims.dVocab, model.dims.bos, model.dims.tokenVocab)), Math.min(REPS, 10));
    out.torchEager.probeMs = probe.a;
    out.ratios.torchProbeOverEngine = probe.ratio;
  } catch (e) {
    out.torchEager.error = e.message.split('\n')[0];
  }
  out.ratios.torchOverEngine512 = out.stages.tokens512?.torchOverEngine ?? null;
  out.ratios.torchOverEngine512Old = out.stages.tokens512?.torchOverEngineOld ?? null;
  out.ratios.analysisOverRaw512 = out.stages.tokens512?.analysisOverRaw ?? null;
  out.ratios.analysisOverLogitsOnly512 = out.stages.tokens512?.analysisOverLogitsOnly ?? null;
  out.ratios.ablationOverAnalysis512 = out.stages.tokens512?.ablationOverAnalysis ?? null;

  // Memory: the typed arrays the whole analysis (ablation included) of 2,048 tokens keeps.
  {
    const a = await engine.analyze(texts[2048], ANALYZE);
    await engine.ablate(a);
    out.memory = { keptTensorBytes2048: keptTensorBytes(a), tokens2048: a.tokens.ids.length, windows2048: a.windows.length };
  }
  Object.assign(out.memory, { rssMiB: process.memoryUsage().rss / MiB, peakRssMiB: process.resourceUsage().maxRSS / 1024, note: 'bench process with the in-process session and the worker (worker_threads share the process); kept tensor bytes: the buffers of the typed arrays an Analysis object references, each counted once' });
  await engine.dispose();

  if (!process.argv.includes('--no-hf')) await hfGpt2Small(out, big, pool, torch);
  torch?.close();
  await pool.terminate();

  if (process.argv.includes('--vscode')) {
    const { perfInVsCode } = await import('../../test/e2e/perf.mjs');
    out.vscode = await perfInVsCode();
  }

  report(out);
}

/** Targets, the JSON on stdout, the table on stderr and, with --write-doc, docs/performance.md. */
function report(out) {
  const sizes = Object.keys(out.stages).map((k) => /^tokens(\d+)$/.exec(k)?.[1]).filter(Boolean).map(Number).sort((a, b) => a - b);
  const v = out.vscode ?? {};
  out.ratios.liveEditToOverlayMs = v.liveEditToOverlayMs?.median ?? null;
  const target = (name, value, limit, cmp = '<=') => {
    out.targets[name] = { value, limit, holds: value === null || value === undefined ? null : cmp === '<=' ? value <= limit : value >= limit };
  };
  target('analysisOverRaw512', out.ratios.analysisOverRaw512, 1.3);
  target('torchOverEngine512', out.ratios.torchOverEngine512, 2, '>=');
  target('analysisOverLogitsOnly512', out.ratios.analysisOverLogitsOnly512, 1.3);
  target('ablationOverAnalysis512', out.ratios.ablationOverAnalysis512, 0.6);
  target('hfGpt2SmallAnalysisOverTorch512', out.ratios.hfGpt2SmallAnalysisOverTorch512, 0.7);
  target('hfGpt2SmallAnalysisOverForward512', out.ratios.hfGpt2SmallAnalysisOverForward512, 1.5);
  target('keptTensorMiB2048', out.memory.keptTensorBytes2048 / MiB, 64);
  target('eventLoopDelayMs', Math.max(...sizes.map((n) => out.stages[`tokens${n}`].eventLoopDelayDuringAnalysisMs)), 20);
  target('editToOverlayBeyondDebounceMs', v.editToOverlayBeyondDebounceMs?.median, 100);
  target('liveEditToOverlayMs', out.ratios.liveEditToOverlayMs, 100);
  target('panelFirstPaint2048Ms', v.panelFirstPaint2048Ms?.median, 150);
  target('heatmapRedrawFullContextMs', v.heatmapRedrawFullContextMs?.median, 30);
  target('activationMs', v.activationMs, 30);

  console.log(JSON.stringify(out, null, 1));
  const rows = [['stage', ...sizes.map((n) => `${n} tok`)]];
  const row = (name, f) => rows.push([name, ...sizes.map((n) => f(out.stages[`tokens${n}`], n))]);
  const ms = (x) => (x ? `${x.median.toFixed(2)} ms` : '-');
  const ratio = (x) => (x === undefined || x === null ? '-' : x.toFixed(2));
  row('tokenize', (s) => ms(s.tokenizeMs));
  row('raw session.run (floor)', (s) => ms(s.rawSessionRunMs));
  row('forward, logits only (worker)', (s) => ms(s.rawLogitsOnlyMs));
  row('engine analysis', (s) => ms(s.analysisMs));
  row('  ratio to floor', (s) => ratio(s.analysisOverRaw));
  row('  ratio to logits only', (s) => ratio(s.analysisOverLogitsOnly));
  row('ablation re-run', (s) => ms(s.ablationMs));
  row('  ratio to analysis', (s) => ratio(s.ablationOverAnalysis));
  row('PyTorch eager analysis', (s, n) => ms(out.torchEager[n]?.analysisMs));
  row('  ratio to engine', (s) => ratio(s.torchOverEngine));
  row('PyTorch, earlier analysis', (s, n) => ms(out.torchEager[n]?.analysisOldMs));
  row('  ratio to engine', (s) => ratio(s.torchOverEngineOld));
  row('PyTorch eager forward', (s, n) => ms(out.torchEager[n]?.forwardMs));
  row('decoration planning', (s) => ms(s.decorationPlanMs));
  row('event-loop delay', (s) => `${s.eventLoopDelayDuringAnalysisMs.toFixed(1)} ms`);
  process.stderr.write(rows.map((r) => r.map((c, i) => (i ? c.padStart(14) : c.padEnd(30))).join('')).join('\n') + '\n');
  if (process.argv.includes('--write-doc')) writeDoc(out, rows);
  process.stderr.write(Object.entries(out.targets).map(([k, t]) => `${t.holds === null ? '  ?' : t.holds ? ' ok' : 'MISS'} ${k}: ${t.value === undefined || t.value === null ? 'not measured' : Number(t.value).toFixed(2)} (limit ${t.limit})`).join('\n') + '\n');
}

/**
 * GPT-2 small shaped folder (random fp16 weights, written to a temporary folder): the whole
 * analysis of 512 positions (analyze + ablate, through the worker) against one PyTorch eager
 * forward with attentions (training/hf_reference.py, the transformers maths) on the same weights,
 * and against the engine's own logits-only forward of the same graph; the tensors the whole
 * analysis of 1,024 tokens keeps.
 */
async function hfGpt2Small(out, big, pool, torch) {
  const dir = gpt2Small();
  const hf = (out.hfGpt2Small = { reps: HF_REPS });
  try {
    const model = E.openModel(dir);
    const t0 = performance.now();
    const backend = await pool.backend(dir);
    hf.loadMs = performance.now() - t0;
    const engine = new E.ModelSession(model, backend);
    const t1 = performance.now();
    await engine.probe();
    hf.probeMs = performance.now() - t1;
    const enc = model.tokenizer.encode(big.slice(0, 40 * 1024));
    const text512 = textOfPositions(model.tokenizer, model.dims, big, 512, enc);
    // Random weights have no induction heads: the real GPT-2 small's (Olsson et al.; TransformerLens's
    // induction scores) stand in, so the ablation masks what it masks on the real model.
    const real = new Set(['5.1', '5.5', '6.9', '7.2', '7.10']);
    const probe = await engine.probe();
    for (const h of probe.heads) h.induction = real.has(`${h.layer}.${h.head}`) ? 1 : 0;
    const a512 = await engine.analyze(text512, ANALYZE);
    const ids = windowIdsOf(a512);
    hf.positions = ids.length;
    hf.inductionHeads = a512.inductionHeads.map((h) => `${h.layer}.${h.head}`);
    const whole = wall(async () => {
      const a = await engine.analyze(text512, ANALYZE);
      await engine.ablate(a);
    });
    const idsI32 = Int32Array.from(ids);
    const logitsOnly = wall(() => backend.forward({ ids: Int32Array.from(idsI32), batch: 1, seq: idsI32.length, wantAttentions: false }));
    const fwd = await interleaved(whole, logitsOnly, HF_REPS, 1);
    hf.analysisWithAblationMs = fwd.a;
    hf.logitsOnlyForwardMs = fwd.b;
    out.ratios.hfGpt2SmallAnalysisOverForward512 = fwd.ratio;
    hf.analysisOverForwardSpread = fwd.ratioSpread;
    if (torch) {
      await torch.call({ op: 'hf', dir });
      await torch.call({ op: 'ids', key: 'hf512', ids });
      const vs = await interleaved(whole, torch.ms({ op: 'hfForward', key: 'hf512' }), HF_REPS, 1);
      hf.torchForwardWithAttentionsMs = vs.b;
      out.ratios.hfGpt2SmallAnalysisOverTorch512 = vs.ratio;
      hf.analysisOverTorchSpread = vs.ratioSpread;
    } else out.ratios.hfGpt2SmallAnalysisOverTorch512 = null;
    const text1024 = textOfPositions(model.tokenizer, model.dims, big, 1024, enc);
    const a = await engine.analyze(text1024, ANALYZE);
    await engine.ablate(a);
    out.memory.hfGpt2SmallKeptTensorBytes1024 = keptTensorBytes(a);
    hf.tokens1024 = a.tokens.ids.length;
    await engine.dispose();
  } catch (e) {
    hf.error = e.message.split('\n')[0];
    out.ratios.hfGpt2SmallAnalysisOverForward512 ??= null;
    out.ratios.hfGpt2SmallAnalysisOverTorch512 ??= null;
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** Everything in docs/performance.md from this line on is written by hand and kept by --write-doc. */
const KEPT = '<!-- Written by hand below this line: kept by bench.mjs --write-doc. -->';

/** docs/performance.md from this run: the table, the ratios, the VS Code timings, the targets. */
function writeDoc(out, rows) {
  const file = path.join(ROOT, 'docs', 'performance.md');
  const old = fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : '';
  const md = [];
  md.push('# Performance', '', `Measured by \`node scripts/bench/bench.mjs --vscode --write-doc\` on ${out.machine.cpus} cores (${out.machine.cpu}), ${out.machine.memGiB} GiB, Node ${out.machine.node}, onnxruntime-node ${out.machine.onnxruntimeNode}, model ${out.model}. Medians of ${out.reps} runs after warm-up runs; sizes are model positions including BOS (512 = the full context of the bundled model). Times that make a ratio were taken interleaved with the other side of the ratio (A B A B …).`, '');
  md.push(`| ${rows[0].join(' | ')} |`, `|${rows[0].map(() => '---').join('|')}|`);
  for (const r of rows.slice(1)) md.push(`| ${r.join(' | ')} |`);
  md.push('', `Tokenizer throughput on ${out.stages.tokenizeLargeFile.chars.toLocaleString('en')} characters of Python source: ${Math.round(out.stages.tokenizeLargeFile.tokensPerSecond).toLocaleString('en')} tokens/s. Whole analysis of 2,048 tokens (overlapping windows of 511 tokens): ${out.stages.analysis2048tokensMs.median.toFixed(1)} ms. Probe (8 x 101 tokens): engine ${out.stages.probeMs.median.toFixed(1)} ms${out.torchEager.probeMs ? `, PyTorch ${out.torchEager.probeMs.median.toFixed(1)} ms` : ''}.`);
  const r = out.ratios;
  const f2 = (x) => (x === null || x === undefined ? 'not measured' : x.toFixed(2));
  const h = out.hfGpt2Small ?? {};
  md.push('', '## Ratios', '', `Each ratio is the median of per-pair ratios a_i / b_i, the two sides run alternately (a, b, a, b …, ${GAP_MS} ms idle before each call) after warm-up runs of both, so that the machine's noise hits both sides alike.`, '',
    `- \`torchOverEngine512\` ${f2(r.torchOverEngine512)}: PyTorch eager (2 threads) running the whole analysis of 512 positions (forward with attentions, loss, top-5, induction events through the engine's induction heads, vectorized) ÷ the engine's whole analysis of the same text.`,
    `- \`torchOverEngine512Old\` ${f2(r.torchOverEngine512Old)}: the same with the earlier PyTorch side (all layer-1 heads searched, one Python loop iteration and one \`.item()\` per event and head).`,
    `- \`analysisOverRaw512\` ${f2(r.analysisOverRaw512)}: the engine's whole analysis ÷ the raw \`session.run\` fetching logits and attentions, in this process.`,
    `- \`analysisOverLogitsOnly512\` ${f2(r.analysisOverLogitsOnly512)}: the engine's whole analysis ÷ the same graph's forward pass of the same ids fetching logits only (the forward pass with nothing extra), both through the inference worker.`,
    `- \`ablationOverAnalysis512\` ${f2(r.ablationOverAnalysis512)}: the ablation pass (\`ModelSession.ablate\`, induction heads masked) ÷ the whole analysis of the same text.`,
    `- \`hfGpt2SmallAnalysisOverTorch512\` ${f2(r.hfGpt2SmallAnalysisOverTorch512)}: GPT-2 small shaped folder (random fp16 weights), the whole analysis of ${h.positions ?? 512} positions, ablation included (${h.analysisWithAblationMs ? `${h.analysisWithAblationMs.median.toFixed(0)} ms` : '-'}) ÷ one PyTorch eager forward with attentions (\`output_attentions\`, training/hf_reference.py, the \`transformers\` maths) on the same weights (${h.torchForwardWithAttentionsMs ? `${h.torchForwardWithAttentionsMs.median.toFixed(0)} ms` : '-'}); ${h.reps ?? '-'} pairs.`,
    `- \`hfGpt2SmallAnalysisOverForward512\` ${f2(r.hfGpt2SmallAnalysisOverForward512)}: the same whole analysis ÷ one logits-only forward of the same graph (the engine's backend \`forward\` with \`wantAttentions: false\`, through the worker: ${h.logitsOnlyForwardMs ? `${h.logitsOnlyForwardMs.median.toFixed(0)} ms` : '-'}).`,
    `- \`torchProbeOverEngine\` ${f2(r.torchProbeOverEngine)}: the probe in PyTorch ÷ the engine's probe.`,
    `- \`liveEditToOverlayMs\` ${out.vscode ? f2(r.liveEditToOverlayMs) : 'not measured'}: not a ratio; code-server, edits typed at the start, middle and end of a ~1,000-token visible text in live mode, edit to overlay, debounce excluded (median over all places).`);
  md.push('', '## Memory', '',
    `- typed arrays kept by the whole analysis of 2,048 tokens on the bundled model (ablation included; buffers counted once): ${(out.memory.keptTensorBytes2048 / MiB).toFixed(1)} MB (2^20 bytes).`,
    `- the same for GPT-2 small (shaped folder) at 1,024 tokens: ${out.memory.hfGpt2SmallKeptTensorBytes1024 === undefined ? 'not measured' : `${(out.memory.hfGpt2SmallKeptTensorBytes1024 / MiB).toFixed(1)} MB`}.`);
  if (out.vscode) {
    const v = out.vscode;
    const f = (x) => (x && x.median !== undefined ? `${x.median.toFixed(1)} ms (min ${x.min.toFixed(1)}, max ${x.max.toFixed(1)}, n ${x.n})` : 'not measured');
    const places = v.liveEditToOverlayByPlaceMs ?? {};
    md.push('', '## Inside VS Code (code-server 4.100.3, headless Chromium)', '',
      `- command to overlay, ${v.tokensCommand} tokens: ${f(v.commandToOverlayMs)}`,
      `- edit to overlay in live mode, ${v.liveVisibleTokens}-token visible range, debounce excluded, one character inserted at the document start: ${f(v.editToOverlayBeyondDebounceMs)}`,
      `- edit to overlay in live mode, typing at the start, middle and end: ${f(v.liveEditToOverlayMs)}; start ${f(places.start)}, middle ${f(places.middle)}, end ${f(places.end)}`,
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
  const at = old.indexOf(KEPT);
  md.push('', at >= 0 ? old.slice(at).trimEnd() : KEPT);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, md.join('\n') + '\n');
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
