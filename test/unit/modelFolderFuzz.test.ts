// Seeded fuzzing of model folders: thousands of mutations of the fixture folders (safetensors
// header bytes, lengths, offsets, dtypes, shapes and names; config numbers and types; tokenizer
// entries). Every case must end in a clean EngineError or in a model that loads and computes the
// same logits as the unmutated one — never another exception, never a hang, never different
// numbers without an error. Mutations of config values that legitimately change the model
// (epsilon, rotary base, activation, BOS) may load and compute other numbers; they must still
// never crash. Tensor data bytes are not mutated: safetensors has no checksum, so corrupt values
// cannot be told from real ones.
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { EngineError } from '../../src/engine/errors';
import { openModel } from '../../src/engine/model';
import { mulberry32 } from '../../src/engine/probe';
import { OrtModel } from '../../src/worker/ortModel';
import { ROOT } from '../support/fixtures';

const SEED = Number(process.env.IL_FUZZ_SEED ?? 20261126);
const CASES = Number(process.env.IL_FUZZ_CASES ?? 2400);
/** A case that takes longer than this counts as a hang. */
const CASE_LIMIT_MS = 10000;
const FOLDERS = ['tiny-gpt2', 'tiny-pythia', 'tiny-llama', 'tiny-qwen2', 'tiny-mistral', 'tiny-qwen3', 'tiny-gemma', 'tiny-gemma2', 'tiny-gemma3', 'tiny-phi3', 'tiny-olmo2'];
/** Config keys whose other valid values give another model, not a broken one. */
const SEMANTIC_KEYS = new Set(['layer_norm_epsilon', 'layer_norm_eps', 'rms_norm_eps', 'rope_theta', 'rotary_emb_base', 'activation_function',
  'hidden_act', 'bos_token_id', 'scale_attn_by_inverse_layer_idx', 'use_parallel_residual', 'rotary_pct', 'partial_rotary_factor', 'rope_parameters',
  // Rotary scaling, attention span and Gemma's scalars: other valid values are other models.
  'rope_scaling', 'rope_local_base_freq', 'original_max_position_embeddings', 'max_position_embeddings', 'sliding_window', 'use_sliding_window',
  'max_window_layers', 'sliding_window_pattern', 'layer_types', 'query_pre_attn_scalar', 'attn_logit_softcapping', 'final_logit_softcapping',
  'hidden_activation', 'tie_word_embeddings', 'pad_token_id', 'eos_token_id', 'attention_bias',
  // The weights' shapes do not fix the number of heads when head_dim is derived (hidden / heads).
  'n_head', 'num_attention_heads']);
const IDS = Int32Array.from([0, 17, 42, 17, 42, 99, 17]);

type Rng = () => number;
const pick = <T>(rng: Rng, xs: readonly T[]): T => xs[Math.floor(rng() * xs.length)];
const WEIRD: unknown[] = [0, -1, 1, 2, 3, 2.5, -0.5, 1e9, 1e300, -1e9, 2 ** 53, 'x', '12', '', null, true, false, [], {}, [1, 2], { a: 1 }];

interface Outcome { kind: 'error' | 'same' | 'different'; semantic: boolean; what: string; message?: string }

async function loadAndRun(dir: string): Promise<Float32Array> {
  const model = openModel(dir);
  const backend = await OrtModel.load(model.folder);
  try {
    const out = await backend.forward({ ids: IDS.map((x) => x % model.dims.tokenVocab), batch: 1, seq: IDS.length, wantAttentions: true });
    return out.logits;
  } finally {
    await backend.dispose();
  }
}

/** A safetensors file's parts: header JSON text and the rest. */
function splitSafetensors(buf: Buffer): { header: Record<string, unknown>; data: Buffer } {
  const n = Number(buf.readBigUInt64LE(0));
  return { header: JSON.parse(buf.subarray(8, 8 + n).toString('utf8')), data: buf.subarray(8 + n) };
}

function joinSafetensors(headerText: string, data: Buffer, lengthField?: bigint): Buffer {
  const h = Buffer.from(headerText, 'utf8');
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(lengthField ?? BigInt(h.length));
  return Buffer.concat([len, h, data]);
}

/** One mutation: which file gets which new bytes, and what it was. */
function mutate(rng: Rng, files: Record<string, Buffer>): { file: string; bytes: Buffer; what: string; semantic: boolean } {
  const st = files['model.safetensors'];
  const kind = pick(rng, ['headerByte', 'headerLength', 'truncate', 'entry', 'entry', 'entry', 'config', 'config', 'config', 'tokenizer', 'tokenizer'] as const);
  if (kind === 'headerByte') {
    const n = Number(st.readBigUInt64LE(0));
    const b = Buffer.from(st);
    const count = 1 + Math.floor(rng() * 3);
    for (let i = 0; i < count; i++) b[8 + Math.floor(rng() * n)] = Math.floor(rng() * 256);
    return { file: 'model.safetensors', bytes: b, what: `${count} header byte(s)`, semantic: false };
  }
  if (kind === 'headerLength') {
    const n = BigInt(st.readBigUInt64LE(0));
    const v = pick(rng, [0n, 1n, n - 1n, n + 1n, n + 8n, BigInt(st.length), 2n ** 40n, 2n ** 63n, 100_000_001n]);
    const b = Buffer.from(st);
    b.writeBigUInt64LE(v, 0);
    return { file: 'model.safetensors', bytes: b, what: `header length ${v}`, semantic: false };
  }
  if (kind === 'truncate') {
    const at = Math.floor(rng() * st.length);
    return { file: 'model.safetensors', bytes: rng() < 0.5 ? st.subarray(0, at) : Buffer.concat([st, Buffer.alloc(1 + Math.floor(rng() * 64))]), what: 'length of the file', semantic: false };
  }
  if (kind === 'entry') {
    const { header, data } = splitSafetensors(st);
    const names = Object.keys(header).filter((k) => k !== '__metadata__');
    const name = pick(rng, names);
    const e = { ...(header[name] as Record<string, unknown>) };
    const field = pick(rng, ['data_offsets', 'data_offsets', 'shape', 'shape', 'dtype', 'name', 'whole'] as const);
    const offsets = e.data_offsets as number[];
    let semanticDtype = false;
    if (field === 'data_offsets') {
      const i = Math.floor(rng() * 2);
      const o = [...offsets];
      o[i] = pick(rng, [o[i] + 1, o[i] - 1, o[i] + 2, -o[i] - 1, o[i] + 0.5, o[1 - i], o[i] * 2, 2 ** 60]);
      e.data_offsets = rng() < 0.1 ? pick(rng, WEIRD) : o;
    } else if (field === 'shape') {
      const s = [...(e.shape as number[])];
      if (s.length && rng() < 0.7) s[Math.floor(rng() * s.length)] = pick(rng, [0, 1, -1, 2.5, s[0] + 1, s[0] * 2, 2 ** 40]);
      else if (rng() < 0.5) s.push(1);
      else s.pop();
      e.shape = rng() < 0.1 ? pick(rng, WEIRD) : s;
    } else if (field === 'dtype') {
      e.dtype = pick(rng, ['F64', 'I8', 'U8', 'BOOL', 'F16', 'BF16', 'F32', 'I32', 'Q4', '', 3, null]);
      // F16 <-> BF16 keeps every size and offset: a valid file with other values, which no reader
      // can tell from the real one (as with changed data bytes).
      if (['F16', 'BF16'].includes(String(e.dtype)) && ['F16', 'BF16'].includes(String((header[name] as { dtype: string }).dtype))) {
        semanticDtype = e.dtype !== (header[name] as { dtype: string }).dtype;
      }
    }
    const out: Record<string, unknown> = {};
    let detail = '';
    for (const [k, v] of Object.entries(header)) {
      if (k !== name) out[k] = v;
      else if (field === 'name') {
        const renamed = `${k}${pick(rng, ['.x', '_'])}`;
        out[renamed] = e;
        detail = ` -> ${renamed}`;
      } else out[k] = field === 'whole' ? pick(rng, WEIRD) : e;
    }
    if (field !== 'name') detail = ` = ${JSON.stringify(out[name])}`;
    return { file: 'model.safetensors', bytes: joinSafetensors(JSON.stringify(out), data), what: `tensor ${name} ${field}${detail}`, semantic: semanticDtype };
  }
  if (kind === 'config') {
    const c = JSON.parse(files['config.json'].toString('utf8')) as Record<string, unknown>;
    const key = pick(rng, Object.keys(c));
    const v = c[key];
    c[key] = typeof v === 'number' && rng() < 0.5 ? pick(rng, [v + 1, v - 1, v * 2, v / 2, -v, 0]) : pick(rng, WEIRD);
    if (rng() < 0.05) delete c[key];
    return { file: 'config.json', bytes: Buffer.from(JSON.stringify(c)), what: `config ${key}=${JSON.stringify(c[key])}`, semantic: SEMANTIC_KEYS.has(key) };
  }
  const t = JSON.parse(files['tokenizer.json'].toString('utf8')) as { model: { vocab: Record<string, unknown>; merges?: unknown; type?: unknown }; added_tokens?: { id: unknown }[] };
  const sub = pick(rng, ['vocab', 'vocab', 'added', 'merges', 'type'] as const);
  if (sub === 'vocab') {
    const k = pick(rng, Object.keys(t.model.vocab));
    t.model.vocab[k] = pick(rng, [1e12, -1, 2.5, 2 ** 31, 2 ** 20, 'x', null, 0]);
  } else if (sub === 'added' && t.added_tokens?.length) {
    t.added_tokens[0].id = pick(rng, [1e12, -1, 2.5, 'x', null]);
  } else if (sub === 'merges') {
    t.model.merges = pick(rng, WEIRD);
  } else t.model.type = pick(rng, ['WordPiece', 'Unigram', null, 3]);
  return { file: 'tokenizer.json', bytes: Buffer.from(JSON.stringify(t)), what: `tokenizer ${sub}`, semantic: false };
}

test(`model folder fuzzing: ${CASES} seeded mutations (seed ${SEED}) end in a clean error or the same numbers`, { timeout: 900000 }, async () => {
  const next = mulberry32(SEED);
  const rng: Rng = () => next() / 2 ** 32; // mulberry32 gives uint32s
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'il-fuzz-'));
  const baselines = new Map<string, Float32Array>();
  const originals = new Map<string, Record<string, Buffer>>();
  for (const name of FOLDERS) {
    const dir = path.join(work, name);
    fs.cpSync(path.join(ROOT, 'test', 'fixtures', 'hf-models', name), dir, { recursive: true });
    originals.set(name, Object.fromEntries(['config.json', 'model.safetensors', 'tokenizer.json'].map((f) => [f, fs.readFileSync(path.join(dir, f))])));
    baselines.set(name, await loadAndRun(dir));
  }
  const counts = { error: 0, same: 0, different: 0, semanticDifferent: 0 };
  const problems: string[] = [];
  const t0 = Date.now();
  let slowest = 0;
  try {
    for (let i = 0; i < CASES; i++) {
      const name = FOLDERS[i % FOLDERS.length];
      const dir = path.join(work, name);
      const files = originals.get(name)!;
      const m = mutate(rng, files);
      fs.writeFileSync(path.join(dir, m.file), m.bytes);
      const c0 = Date.now();
      let outcome: Outcome;
      try {
        const logits = await loadAndRun(dir);
        const base = baselines.get(name)!;
        const same = logits.length === base.length && logits.every((v, j) => v === base[j]);
        outcome = { kind: same ? 'same' : 'different', semantic: m.semantic, what: m.what };
      } catch (e) {
        if (!(e instanceof EngineError)) problems.push(`case ${i} (${name}, ${m.what}): ${(e as Error).name}: ${(e as Error).message}`);
        outcome = { kind: 'error', semantic: m.semantic, what: m.what, message: (e as Error).message };
        if (process.env.IL_FUZZ_VERBOSE) console.log(`case ${i} (${name}, ${m.what}): ${(e as Error).message.slice(0, 200)}`);
      }
      const ms = Date.now() - c0;
      slowest = Math.max(slowest, ms);
      if (ms > CASE_LIMIT_MS) problems.push(`case ${i} (${name}, ${m.what}) took ${ms} ms`);
      if (outcome.kind === 'different') {
        if (outcome.semantic) counts.semanticDifferent++;
        else problems.push(`case ${i} (${name}, ${m.what}): loaded and computed different numbers without an error`);
      } else counts[outcome.kind]++;
      if (outcome.message && /[\u0000-\u001f\u007f-\u009f]/.test(outcome.message)) problems.push(`case ${i}: control character in the message`);
      fs.writeFileSync(path.join(dir, m.file), files[m.file]);
    }
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
  const seconds = (Date.now() - t0) / 1000;
  console.log(`# fuzz: ${CASES} cases in ${seconds.toFixed(1)} s (slowest ${slowest} ms): ${counts.error} clean errors, ${counts.same} loaded with the same logits, ${counts.semanticDifferent} loaded another valid model (semantic config values)`);
  assert.deepEqual(problems.slice(0, 20), []);
  assert.ok(counts.error > CASES / 4 && counts.same > 0, `the mutations reach both outcomes: ${JSON.stringify(counts)}`);
});

test('F16 and BF16 data that starts at an odd byte is read exactly (found by the fuzzer: a copy once read the file from its start)', async () => {
  for (const name of ['tiny-pythia', 'tiny-qwen2']) {
    const work = fs.mkdtempSync(path.join(os.tmpdir(), 'il-odd-'));
    try {
      const src = path.join(ROOT, 'test', 'fixtures', 'hf-models', name);
      fs.cpSync(src, work, { recursive: true });
      const buf = fs.readFileSync(path.join(src, 'model.safetensors'));
      const { header, data } = splitSafetensors(buf);
      let text = JSON.stringify(header);
      if ((8 + Buffer.byteLength(text)) % 2 === 0) text += ' '; // an odd data start
      fs.writeFileSync(path.join(work, 'model.safetensors'), joinSafetensors(text, data));
      assert.deepEqual(Array.from(await loadAndRun(work)), Array.from(await loadAndRun(src)), name);
    } finally {
      fs.rmSync(work, { recursive: true, force: true });
    }
  }
});
