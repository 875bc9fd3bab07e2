// Models whose tokenizer adds no BOS (GPT-2, Qwen per Hugging Face's tokenizers) are probed and
// analysed without one (dims.bos = null). With the bundled model, every number of the no-BOS path
// is checked against a computation of this file's own from the raw forward outputs of the same
// windows, and against PyTorch (reference_nobos.json, training/make_fixtures.py with bos None).
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { analyze, planWindows, tokensWithinAttentionBudget, type Analysis, type ModelDims } from '../../src/engine/analysis';
import { attentionAt, positionIn, tokensPerWindow, windowIds, windowSeq } from '../../src/engine/attentionIndex';
import type { InferenceBackend, ForwardRequest } from '../../src/engine/backend';
import { computeCircuits } from '../../src/engine/circuits';
import { panelCircuits } from '../../src/engine/circuitsView';
import { readModelFolder } from '../../src/engine/manifest';
import { openModel, type OpenedModel } from '../../src/engine/model';
import { headPattern } from '../../src/engine/panelViews';
import { PROBE_BATCH, PROBE_LEN, probeTokens, runProbe, type HeadScore, type ProbeResult } from '../../src/engine/probe';
import { ProbeCache, probeCacheKey } from '../../src/engine/probeCache';
import { readSafetensors } from '../../src/engine/safetensors';
import { ModelSession } from '../../src/engine/session';
import { OrtModel } from '../../src/worker/ortModel';
import { FIXTURE_DIR, MODEL_DIR, ROOT, reference, type Reference } from '../support/fixtures';

const ref = reference();
const refNoBos = JSON.parse(fs.readFileSync(path.join(FIXTURE_DIR, 'reference_nobos.json'), 'utf8')) as Pick<Reference, 'modelHash' | 'probe' | 'inductionThreshold' | 'text' | 'analysis'>;

const close = (a: number, b: number, tol: number, what: string) => assert.ok(Math.abs(a - b) <= tol, `${what}: ${a} vs ${b}`);

/** log Σ exp of row `row` of [rows, V] logits, in float64. */
function lse(logits: Float32Array, row: number, V: number): number {
  let m = -Infinity;
  for (let v = 0; v < V; v++) m = Math.max(m, logits[row * V + v]);
  let s = 0;
  for (let v = 0; v < V; v++) s += Math.exp(logits[row * V + v] - m);
  return m + Math.log(s);
}

test('window layout: with a BOS the window is [BOS, tokens] (token t at t − start + 1), without it the tokens alone (at t − start)', () => {
  const ids = Int32Array.from([11, 12, 13, 14, 15]);
  const w = { start: 1, end: 4 };
  assert.deepEqual(Array.from(windowIds({ bos: 7 }, ids, w)), [7, 12, 13, 14]);
  assert.deepEqual(Array.from(windowIds({ bos: 0 }, ids, w)), [0, 12, 13, 14]);
  assert.deepEqual(Array.from(windowIds({ bos: null }, ids, w)), [12, 13, 14]);
  assert.equal(windowSeq({ bos: 7 }, w), 4);
  assert.equal(windowSeq({ bos: null }, w), 3);
  assert.equal(positionIn({ bos: 7 }, w, 1), 1);
  assert.equal(positionIn({ bos: null }, w, 1), 0);
  assert.equal(positionIn({ bos: null }, w, 3), 2);
  assert.equal(tokensPerWindow({ bos: 0, nCtx: 512 }), 511);
  assert.equal(tokensPerWindow({ bos: null, nCtx: 512 }), 512);
  // Windows of n_ctx tokens without a BOS: n_ctx 4, 9 tokens, stride 2.
  assert.deepEqual(planWindows(9, 4, 0).map((x) => [x.start, x.end, x.ownStart, x.ownEnd]), [[0, 4, 0, 4], [2, 6, 4, 6], [4, 8, 6, 8], [6, 9, 8, 9]]);
  assert.deepEqual(planWindows(4, 4, 0), [{ start: 0, end: 4, ownStart: 0, ownEnd: 4 }]);
  const gpt2Small = { nLayers: 12, nHeads: 12, nCtx: 1024 };
  assert.equal(tokensWithinAttentionBudget(8192, { ...gpt2Small, bos: null }, 2 * 2 ** 30), 1024 + 2 * 512, 'three windows of 1024 tokens');
  assert.equal(tokensWithinAttentionBudget(8192, { ...gpt2Small, bos: 50256 }, 2 * 2 ** 30), 1023 + 2 * 511);
});

test('attentionAt without BOS: token t of window w is read at position t − start, every window', () => {
  // n_ctx 3 without BOS: windows [0,3) [1,4) [2,5) (stride 1); value = (window+1)·100 + qp·10 + kp.
  const N = 5;
  const dims: ModelDims = { nLayers: 1, nHeads: 1, nCtx: 3, dVocab: 10, tokenVocab: 10, bos: null };
  const windows = planWindows(N, 3, 0).map((w, wi) => {
    const S = w.end - w.start;
    return { ...w, attentions: Float32Array.from({ length: S * S }, (_, i) => (wi + 1) * 100 + Math.floor(i / S) * 10 + (i % S)) };
  });
  const a = { dims, windows } as unknown as Analysis;
  assert.equal(attentionAt(a, windows[0], 0, 0, 0, 0), 100);
  assert.equal(attentionAt(a, windows[0], 0, 0, 2, 1), 121);
  assert.equal(attentionAt(a, windows[1], 0, 0, 3, 1), 220);
  assert.equal(attentionAt(a, windows[2], 0, 0, 4, 3), 321);
  assert.throws(() => attentionAt(a, windows[1], 0, 0, 3, 0), RangeError);
});

test('probeTokens without BOS: rows R, R of 2L ids over the whole vocabulary, as training/probe.py draws them; with a BOS unchanged', () => {
  const V = 2048;
  const t = probeTokens(V, null);
  assert.equal(t.length, PROBE_BATCH * 2 * PROBE_LEN);
  assert.deepEqual(Array.from(t), refNoBos.probe.tokens.flat(), 'the Python pipeline draws the same tokens');
  for (let b = 0; b < PROBE_BATCH; b++) {
    const row = t.subarray(b * 2 * PROBE_LEN, (b + 1) * 2 * PROBE_LEN);
    assert.deepEqual(Array.from(row.subarray(PROBE_LEN)), Array.from(row.subarray(0, PROBE_LEN)), `row ${b}: the second copy repeats the first`);
    assert.ok(row.every((id) => id >= 0 && id < V));
  }
  // With a BOS the layout and draws are as before: BOS first, R over the other ids.
  const withBos = probeTokens(V, 7);
  const S = 1 + 2 * PROBE_LEN;
  assert.equal(withBos.length, PROBE_BATCH * S);
  assert.deepEqual(Array.from(probeTokens(V, 0)), ref.probe.tokens.flat());
  for (let b = 0; b < PROBE_BATCH; b++) {
    assert.equal(withBos[b * S], 7);
    assert.ok(!withBos.subarray(b * S + 1, (b + 1) * S).includes(7), `row ${b}: R never holds the BOS`);
  }
  // A tiny vocabulary without BOS draws every id, the one a BOS layout would have left out too.
  assert.ok(new Set(probeTokens(3, null, 50, 1)).size === 3);
});

test('probe without BOS: scores and losses equal this test\'s own computation from the raw forward pass, and PyTorch', async () => {
  const m = openModel(MODEL_DIR);
  const backend = await OrtModel.load(m.folder);
  try {
    const { nLayers: NL, nHeads: NH, dVocab: V } = m.dims;
    const L = PROBE_LEN, B = PROBE_BATCH, T = 2 * L;
    const tokens = probeTokens(V, null);
    const raw = await backend.forward({ ids: tokens, batch: B, seq: T, wantAttentions: true });
    const A = (b: number, l: number, h: number, q: number, k: number) => raw.attentions![((((b * NL + l) * NH + h) * T) + q) * T + k];
    const r = await runProbe(backend, NL, NH, V, null);
    assert.equal(r.heads.length, NL * NH);
    for (const s of r.heads) {
      // Second copy: the token R[i] sits at L + i; its first occurrence at i, the token after that at i + 1.
      let ind = 0, prev = 0, dup = 0;
      for (let b = 0; b < B; b++) {
        for (let i = 0; i < L; i++) {
          ind += A(b, s.layer, s.head, L + i, i + 1);
          prev += A(b, s.layer, s.head, L + i, L + i - 1);
          dup += A(b, s.layer, s.head, L + i, i);
        }
      }
      close(s.induction, ind / (B * L), 1e-6, `induction L${s.layer}H${s.head}`);
      close(s.previousToken, prev / (B * L), 1e-6, `previous-token L${s.layer}H${s.head}`);
      close(s.duplicateToken, dup / (B * L), 1e-6, `duplicate-token L${s.layer}H${s.head}`);
      const e = refNoBos.probe.heads.find((x) => x.layer === s.layer && x.head === s.head)!;
      close(s.induction, e.induction, 1e-5, `PyTorch induction L${s.layer}H${s.head}`);
      close(s.previousToken, e.previousToken, 1e-5, 'PyTorch previous-token');
      close(s.duplicateToken, e.duplicateToken, 1e-5, 'PyTorch duplicate-token');
    }
    // Losses inside each copy: the positions whose next token is in the same copy.
    const meanNll = (first: number, last: number) => {
      let s = 0, c = 0;
      for (let b = 0; b < B; b++) {
        for (let q = first; q <= last; q++) {
          s += lse(raw.logits, b * T + q, V) - raw.logits[(b * T + q) * V + tokens[b * T + q + 1]];
          c++;
        }
      }
      return s / c;
    };
    close(r.lossFirstCopy, meanNll(0, L - 2), 1e-4, 'loss in the first copy');
    close(r.lossSecondCopy, meanNll(L, 2 * L - 2), 1e-4, 'loss in the second copy');
    close(r.lossFirstCopy, refNoBos.probe.lossFirstCopy, 1e-3, 'PyTorch loss in the first copy');
    close(r.lossSecondCopy, refNoBos.probe.lossSecondCopy, 1e-3, 'PyTorch loss in the second copy');
  } finally {
    await backend.dispose();
  }
});

/** Checks an analysis window by window against this test's own forward pass of the window's ids
 *  ([bos, tokens] or the tokens alone, built here): loss, top-1, every kept attention value and
 *  each event's attention, probability and rank. */
async function checkAgainstRaw(a: Analysis, backend: InferenceBackend, bos: number | null) {
  const { nLayers: NL, nHeads: NH, dVocab: V } = a.dims;
  const ids = a.tokens.ids;
  const p = bos === null ? 0 : 1;
  for (const w of a.windows) {
    const input = Int32Array.from([...(bos === null ? [] : [bos]), ...ids.subarray(w.start, w.end)]);
    const S = input.length;
    assert.equal(S, w.end - w.start + p);
    const raw = await backend.forward({ ids: input, batch: 1, seq: S, wantAttentions: true });
    assert.equal(w.attentions!.length, NL * NH * S * S, 'the kept attentions are the window\'s forward pass');
    for (let q = w.ownStart; q < w.ownEnd; q++) {
      const row = q - w.start + p;
      if (q + 1 < ids.length) close(a.loss[q]!, lse(raw.logits, row, V) - raw.logits[row * V + ids[q + 1]], 1e-4, `loss at ${q}`);
      else assert.equal(a.loss[q], null);
      let arg = 0;
      for (let v = 1; v < V; v++) if (raw.logits[row * V + v] > raw.logits[row * V + arg]) arg = v;
      assert.equal(a.predictions[q][0].id, arg, `top-1 at ${q}`);
    }
    for (let l = 0; l < NL; l++) {
      for (let h = 0; h < NH; h++) {
        for (let q = w.start; q < w.end; q += 7) {
          for (let k = w.start; k <= q; k += 3) {
            close(attentionAt(a, w, l, h, q, k), raw.attentions![((l * NH + h) * S + q - w.start + p) * S + k - w.start + p], 1e-6, `A L${l}H${h} ${q}→${k}`);
          }
        }
      }
    }
    for (const e of a.events.filter((x) => w.ownStart <= x.query && x.query < w.ownEnd)) {
      const { layer: l, head: h } = e.head;
      const qp = e.query - w.start + p, kp = e.source - w.start + p;
      close(e.attention, raw.attentions![((l * NH + h) * S + qp) * S + kp], 1e-6, `event at ${e.query}`);
      assert.equal(ids[e.source - 1], ids[e.query], 'the source follows an earlier occurrence of the query token');
      assert.equal(e.successorId, ids[e.source]);
      close(e.prob, Math.exp(raw.logits[qp * V + e.successorId] - lse(raw.logits, qp, V)), 1e-4, `p(successor) at ${e.query}`);
      let above = 0;
      for (let v = 0; v < V; v++) if (raw.logits[qp * V + v] > raw.logits[qp * V + e.successorId]) above++;
      assert.equal(e.rank, above + 1);
      // The strongest induction head on the strongest candidate source.
      for (const c of a.inductionHeads) {
        for (let j = w.start; j + 1 < e.query; j++) {
          if (ids[j] !== ids[e.query]) continue;
          assert.ok(raw.attentions![((c.layer * NH + c.head) * S + qp) * S + j + 1 - w.start + p] <= e.attention, `no stronger source for the event at ${e.query}`);
        }
      }
    }
  }
}

async function probed(m: OpenedModel, backend: InferenceBackend, bos: number | null): Promise<HeadScore[]> {
  return (await runProbe(backend, m.dims.nLayers, m.dims.nHeads, m.dims.dVocab, bos, m.dims.tokenVocab)).heads;
}

test('analysis with the model\'s BOS and without one: each consistent with the raw forward pass of its own windows; no BOS equals PyTorch', async () => {
  const m = openModel(MODEL_DIR);
  const backend = await OrtModel.load(m.folder);
  try {
    const opts = { inductionThreshold: ref.inductionThreshold, topK: 5 };
    const withBos = await analyze(ref.text, m.tokenizer, backend, m.dims, await probed(m, backend, m.dims.bos), opts);
    assert.equal(m.dims.bos, 0);
    assert.equal(withBos.windows[0].attentions!.length, m.dims.nLayers * m.dims.nHeads * (withBos.tokens.ids.length + 1) ** 2);
    await checkAgainstRaw(withBos, backend, 0);

    const dims: ModelDims = { ...m.dims, bos: null };
    const a = await analyze(refNoBos.text, m.tokenizer, backend, dims, await probed(m, backend, null), opts);
    const N = a.tokens.ids.length;
    assert.deepEqual(a.windows.map((w) => [w.start, w.end]), [[0, N]]);
    assert.equal(a.windows[0].attentions!.length, m.dims.nLayers * m.dims.nHeads * N * N, 'no BOS position');
    await checkAgainstRaw(a, backend, null);
    assert.ok(a.events.length > 10, 'the text has induction events without BOS too');

    const r = refNoBos.analysis;
    assert.deepEqual(Array.from(a.tokens.ids), r.ids);
    assert.deepEqual(a.inductionHeads, r.inductionHeads);
    assert.equal(a.events.length, r.events.length);
    a.events.forEach((e, i) => {
      const x = r.events[i];
      assert.deepEqual([e.query, e.source, e.successorId, e.head, e.rank, e.hit], [x.query, x.source, x.successorId, x.head, x.rank, x.hit], `event ${i}`);
      close(e.attention, x.attention, 1e-4, `attention of event ${i}`);
      close(e.prob, x.prob, 1e-4, `prob of event ${i}`);
    });
    a.loss.forEach((l, q) => {
      const x = r.loss[q];
      if (x === null) assert.equal(l, null);
      else close(l!, x, 1e-3, `loss at ${q}`);
    });
    a.predictions.forEach((ps, q) => assert.deepEqual(ps.map((x) => x.id), r.top5[q].map((x) => x.id), `top-5 at ${q}`));
    const s = new ModelSession({ ...m, dims }, backend);
    const gain = await s.ablate(a);
    gain.forEach((g, q) => {
      const x = r.ablationGain[q];
      if (x === null) assert.equal(g, null);
      else close(g!, x, 1e-3, `ablation gain at ${q}`);
    });
    // The Pattern view drops no row or column: row q is the model's position q.
    const h = a.inductionHeads[0];
    const pat = headPattern(a, h);
    const raw = await backend.forward({ ids: Int32Array.from(a.tokens.ids), batch: 1, seq: N, wantAttentions: true });
    const off = (h.layer * m.dims.nHeads + h.head) * N * N;
    for (let q = 0; q < N; q++) for (let k = 0; k <= q; k++) close(pat.data[q * N + k], raw.attentions![off + q * N + k], 1e-6, `pattern ${q}→${k}`);
  } finally {
    await backend.dispose();
  }
});

test('a long text without BOS runs in windows of n_ctx tokens, each consistent with its own forward pass', async () => {
  const m = openModel(MODEL_DIR);
  const backend = await OrtModel.load(m.folder);
  try {
    const dims: ModelDims = { ...m.dims, bos: null };
    const heads = refNoBos.probe.heads;
    const a = await analyze((ref.text + '\n').repeat(5), m.tokenizer, backend, dims, heads, { inductionThreshold: ref.inductionThreshold });
    const N = a.tokens.ids.length;
    assert.ok(N > m.dims.nCtx);
    assert.deepEqual(a.windows.map((w) => [w.start, w.end]), planWindows(N, m.dims.nCtx, 0).map((w) => [w.start, w.end]));
    assert.equal(a.windows[0].end - a.windows[0].start, m.dims.nCtx, 'the whole context holds text');
    await checkAgainstRaw(a, backend, null);
  } finally {
    await backend.dispose();
  }
});

test('probe scores are cached per model and BOS: scores probed with a BOS are not reused without one', async () => {
  const hash = 'ab'.repeat(32);
  assert.notEqual(probeCacheKey(hash, 0), probeCacheKey(hash, null));
  assert.notEqual(probeCacheKey(hash, 0), probeCacheKey(hash, 1));
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'il-probe-cache-'));
  const withBos: ProbeResult = { heads: [{ layer: 0, head: 0, induction: 0.9, previousToken: 0, duplicateToken: 0 }], lossFirstCopy: 1, lossSecondCopy: 2 };
  new ProbeCache(dir).set(hash, 0, withBos);
  const cache = new ProbeCache(dir);
  assert.equal(cache.get(hash, null), undefined);
  assert.equal(cache.get(hash, 5), undefined);
  assert.deepEqual(cache.get(hash, 0), withBos);

  const m = openModel(MODEL_DIR);
  const real = await OrtModel.load(m.folder);
  const seqs: number[] = [];
  const counting: InferenceBackend = { forward: (r: ForwardRequest) => { seqs.push(r.seq); return real.forward(r); }, dispose: () => real.dispose() };
  const memory = new ProbeCache(null);
  await new ModelSession(m, counting, memory).probe();
  const noBos = await new ModelSession({ ...m, dims: { ...m.dims, bos: null } }, counting, memory).probe();
  assert.deepEqual(seqs, [1 + 2 * PROBE_LEN, 2 * PROBE_LEN], 'the probe without BOS ran, on rows without BOS');
  await new ModelSession({ ...m, dims: { ...m.dims, bos: null } }, counting, memory).probe();
  assert.equal(seqs.length, 2, 'and was cached under its own key');
  noBos.heads.forEach((x, i) => close(x.induction, refNoBos.probe.heads[i].induction, 1e-5, 'cached no-BOS scores'));
  await real.dispose();
  fs.rmSync(dir, { recursive: true, force: true });
});

test('circuits without BOS: the K-composition sequence is R, R and the OV sample its first copy; the panel is told', () => {
  const folder = readModelFolder(MODEL_DIR);
  const w = readSafetensors(folder.weightsPath!);
  const V = folder.manifest.architecture.d_vocab;
  const c = computeCircuits(w, folder.manifest, { bos: null, ovSample: 40 });
  const kc = c.kCompositionPattern;
  assert.equal(kc.seq, 2 * 50);
  assert.equal(kc.bos, null);
  assert.deepEqual(Array.from(kc.tokens), Array.from(probeTokens(V, null, 50, 1)));
  assert.equal(kc.scores.length, 100 * 100);
  assert.ok(Number.isFinite(kc.scores[0]) && Number.isNaN(kc.scores[1]), 'the first query sees only itself');
  assert.deepEqual(c.ovCircuit.tokenIds, Array.from(probeTokens(V, null, 40, 1).subarray(0, 40)));
  // One OV entry straight from the weights: W_E[i] W_V W_O W_U[:, j].
  const [D, E] = [folder.manifest.architecture.d_model, folder.manifest.architecture.d_head];
  const h = c.ovCircuit.head.head;
  const WE = w.get('embed.W_E')!.data, WV = w.get('blocks.1.attn.W_V')!.data, WO = w.get('blocks.1.attn.W_O')!.data, WU = w.get('unembed.W_U')!.data;
  const [i, j] = [c.ovCircuit.tokenIds[3], c.ovCircuit.tokenIds[5]];
  let want = 0;
  for (let e = 0; e < E; e++) {
    let ev = 0, ou = 0;
    for (let d = 0; d < D; d++) ev += WE[i * D + d] * WV[(h * D + d) * E + e];
    for (let d = 0; d < D; d++) ou += WO[(h * E + e) * D + d] * WU[d * V + j];
    want += ev * ou;
  }
  close(c.ovCircuit.matrix[3 * 40 + 5], want, 1e-3 * Math.max(1, Math.abs(want)), 'OV entry');
  assert.equal(panelCircuits(c, String).kCompositionPattern.bos, false);
  assert.equal(panelCircuits({ ...c, kCompositionPattern: { ...kc, bos: 0 } }, String).kCompositionPattern.bos, true);
});

test('the BOS of a model: model.json\'s bos_token_id for the bundled format, the tokenizer\'s own for Hugging Face folders', () => {
  const m = openModel(MODEL_DIR);
  assert.equal(m.dims.bos, m.folder.manifest.bos_token_id);
  for (const name of ['tiny-gpt2', 'tiny-pythia', 'tiny-llama', 'tiny-qwen2']) {
    const hf = openModel(path.join(ROOT, 'test', 'fixtures', 'hf-models', name));
    const adds = (hf.tokenizer as { addsBos?: number | null }).addsBos;
    assert.equal(hf.dims.bos, adds === undefined ? hf.folder.manifest.bos_token_id : adds, name);
  }
});
