// The config zoo: every real Hugging Face config.json in test/fixtures/configs (SOURCES.md) parsed
// by parseHfConfig against a spec written out by hand from the file's values and the
// transformers semantics (families.md, rope.md): defaults, head_dim, sliding layers, Gemma's
// scales and soft-capping, tied embeddings, rotary parameters. A config added to the folder
// without expectations here fails the coverage test.
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'fs';
import * as path from 'path';
import { parseHfConfig, type HfSpec } from '../../src/engine/hf/config';
import type { RopeParams } from '../../src/engine/hf/ropeScaling';
import type { LayerType } from '../../src/engine/hf/spec';
import { ROOT } from '../support/fixtures';

const CONFIG_DIR = path.join(ROOT, 'test', 'fixtures', 'configs');
const readConfig = (file: string): Record<string, any> => JSON.parse(fs.readFileSync(path.join(CONFIG_DIR, file), 'utf8'));

/** The rotary parameters that matter for each type (the others are placeholders). */
type RopeView =
  | { type: 'default' | 'dynamic'; theta: number }
  | { type: 'linear'; theta: number; factor: number }
  | { type: 'llama3'; theta: number; factor: number; originalMax: number; lowFreqFactor: number; highFreqFactor: number }
  | { type: 'longrope'; theta: number; factor: number; originalMax: number; attentionFactor: number | null; shortFactor: number[]; longFactor: number[] };

function view(p: RopeParams | null): RopeView | null {
  if (p === null) return null;
  switch (p.type) {
    case 'default':
    case 'dynamic':
      return { type: p.type, theta: p.theta };
    case 'linear':
      return { type: p.type, theta: p.theta, factor: p.factor };
    case 'llama3':
      return { type: p.type, theta: p.theta, factor: p.factor, originalMax: p.originalMax, lowFreqFactor: p.lowFreqFactor, highFreqFactor: p.highFreqFactor };
    case 'longrope':
      return { type: p.type, theta: p.theta, factor: p.factor, originalMax: p.originalMax, attentionFactor: p.attentionFactor, shortFactor: p.shortFactor!, longFactor: p.longFactor! };
    default:
      return { ...p } as unknown as RopeView;
  }
}

type Expected = Omit<HfSpec, 'rope'> & { rope: { dims: number; global: RopeView; local: RopeView | null } | null };

const layers = (n: number, type: (l: number) => LayerType): LayerType[] => Array.from({ length: n }, (_, l) => type(l));
const full = (n: number) => layers(n, () => 'full');
const sliding = (n: number) => layers(n, () => 'sliding');
const plainRope = (theta: number): RopeView => ({ type: 'default', theta });

/** What every non-Gemma, non-GPT-2 config leaves at the plain defaults. */
const PLAIN = {
  parallelResidual: false, scaleByInverseLayer: false, attnSoftcap: null, finalSoftcap: null, embedScale: null, normPlusOne: false,
} as const;

// Llama 3.2: rope_scaling {"rope_type": "llama3", factor 32, low 1, high 4, original 8192}, theta 5e5.
const LLAMA32_ROPE: RopeView = { type: 'llama3', theta: 500000, factor: 32, originalMax: 8192, lowFreqFactor: 1, highFreqFactor: 4 };

const phi35 = readConfig('phi-3.5-mini-instruct.json');

const EXPECTED: Record<string, { checkpoint: string; spec: Expected }> = {
  'gpt2.json': {
    checkpoint: 'openai-community/gpt2',
    spec: {
      ...PLAIN, family: 'gpt2', modelType: 'gpt2', nLayers: 12, nHeads: 12, nKvHeads: 12, dModel: 768, dHead: 64, dMlp: 4 * 768,
      vocab: 50257, maxPositions: 1024, eps: 1e-5, activation: 'gelu_new', rope: null, tiedEmbeddings: true,
      attnScale: 64 ** -0.5, layerTypes: full(12), slidingWindow: null, bos: 50256,
    },
  },
  'llama-3.2-1b.json': {
    checkpoint: 'meta-llama/Llama-3.2-1B',
    spec: {
      ...PLAIN, family: 'llama', modelType: 'llama', nLayers: 16, nHeads: 32, nKvHeads: 8, dModel: 2048, dHead: 64, dMlp: 8192,
      vocab: 128256, maxPositions: 131072, eps: 1e-5, activation: 'silu', rope: { dims: 64, global: LLAMA32_ROPE, local: null },
      tiedEmbeddings: true, attnScale: 64 ** -0.5, layerTypes: full(16), slidingWindow: null, bos: 128000,
    },
  },
  'llama-3.2-3b.json': {
    checkpoint: 'meta-llama/Llama-3.2-3B',
    spec: {
      ...PLAIN, family: 'llama', modelType: 'llama', nLayers: 28, nHeads: 24, nKvHeads: 8, dModel: 3072, dHead: 128, dMlp: 8192,
      vocab: 128256, maxPositions: 131072, eps: 1e-5, activation: 'silu', rope: { dims: 128, global: LLAMA32_ROPE, local: null },
      tiedEmbeddings: true, attnScale: 128 ** -0.5, layerTypes: full(28), slidingWindow: null, bos: 128000,
    },
  },
  'tinyllama-1.1b.json': {
    checkpoint: 'TinyLlama/TinyLlama-1.1B-Chat-v1.0',
    spec: {
      ...PLAIN, family: 'llama', modelType: 'llama', nLayers: 22, nHeads: 32, nKvHeads: 4, dModel: 2048, dHead: 64, dMlp: 5632,
      vocab: 32000, maxPositions: 2048, eps: 1e-5, activation: 'silu', rope: { dims: 64, global: plainRope(10000), local: null },
      tiedEmbeddings: false, attnScale: 64 ** -0.5, layerTypes: full(22), slidingWindow: null, bos: 1,
    },
  },
  'smollm2-135m.json': {
    checkpoint: 'HuggingFaceTB/SmolLM2-135M',
    spec: {
      ...PLAIN, family: 'llama', modelType: 'llama', nLayers: 30, nHeads: 9, nKvHeads: 3, dModel: 576, dHead: 64, dMlp: 1536,
      vocab: 49152, maxPositions: 8192, eps: 1e-5, activation: 'silu', rope: { dims: 64, global: plainRope(100000), local: null },
      tiedEmbeddings: true, attnScale: 64 ** -0.5, layerTypes: full(30), slidingWindow: null, bos: 0,
    },
  },
  'mistral-7b-v0.1.json': {
    // Mistral: sliding_window 4096 on every layer (the model builds the sliding mask whenever it is set).
    checkpoint: 'mistralai/Mistral-7B-v0.1',
    spec: {
      ...PLAIN, family: 'llama', modelType: 'mistral', nLayers: 32, nHeads: 32, nKvHeads: 8, dModel: 4096, dHead: 128, dMlp: 14336,
      vocab: 32000, maxPositions: 32768, eps: 1e-5, activation: 'silu', rope: { dims: 128, global: plainRope(10000), local: null },
      tiedEmbeddings: false, attnScale: 128 ** -0.5, layerTypes: sliding(32), slidingWindow: 4096, bos: 1,
    },
  },
  'qwen2.5-0.5b.json': {
    // use_sliding_window false: sliding_window 32768 is ignored, every layer is full.
    checkpoint: 'Qwen/Qwen2.5-0.5B',
    spec: {
      ...PLAIN, family: 'llama', modelType: 'qwen2', nLayers: 24, nHeads: 14, nKvHeads: 2, dModel: 896, dHead: 64, dMlp: 4864,
      vocab: 151936, maxPositions: 32768, eps: 1e-6, activation: 'silu', rope: { dims: 64, global: plainRope(1000000), local: null },
      tiedEmbeddings: true, attnScale: 64 ** -0.5, layerTypes: full(24), slidingWindow: null, bos: 151643,
    },
  },
  'qwen3-0.6b.json': {
    // head_dim 128 explicit (16 heads * 128 = 2048 != hidden 1024); use_sliding_window false.
    checkpoint: 'Qwen/Qwen3-0.6B',
    spec: {
      ...PLAIN, family: 'qwen3', modelType: 'qwen3', nLayers: 28, nHeads: 16, nKvHeads: 8, dModel: 1024, dHead: 128, dMlp: 3072,
      vocab: 151936, maxPositions: 40960, eps: 1e-6, activation: 'silu', rope: { dims: 128, global: plainRope(1000000), local: null },
      tiedEmbeddings: true, attnScale: 128 ** -0.5, layerTypes: full(28), slidingWindow: null, bos: 151643,
    },
  },
  'qwen3-1.7b.json': {
    checkpoint: 'Qwen/Qwen3-1.7B',
    spec: {
      ...PLAIN, family: 'qwen3', modelType: 'qwen3', nLayers: 28, nHeads: 16, nKvHeads: 8, dModel: 2048, dHead: 128, dMlp: 6144,
      vocab: 151936, maxPositions: 40960, eps: 1e-6, activation: 'silu', rope: { dims: 128, global: plainRope(1000000), local: null },
      tiedEmbeddings: true, attnScale: 128 ** -0.5, layerTypes: full(28), slidingWindow: null, bos: 151643,
    },
  },
  'phi-3-mini-4k.json': {
    // d_head = 3072 / 32 = 96; sliding_window 2047 on every layer.
    checkpoint: 'microsoft/Phi-3-mini-4k-instruct',
    spec: {
      ...PLAIN, family: 'phi3', modelType: 'phi3', nLayers: 32, nHeads: 32, nKvHeads: 32, dModel: 3072, dHead: 96, dMlp: 8192,
      vocab: 32064, maxPositions: 4096, eps: 1e-5, activation: 'silu', rope: { dims: 96, global: plainRope(10000), local: null },
      tiedEmbeddings: false, attnScale: 96 ** -0.5, layerTypes: sliding(32), slidingWindow: 2047, bos: 1,
    },
  },
  'phi-3.5-mini-instruct.json': {
    // longrope ("type": "longrope"): factor = max_position_embeddings / original = 131072 / 4096 = 32,
    // 48 = 96 / 2 short and long factors; sliding_window 262144 on every layer.
    checkpoint: 'microsoft/Phi-3.5-mini-instruct',
    spec: {
      ...PLAIN, family: 'phi3', modelType: 'phi3', nLayers: 32, nHeads: 32, nKvHeads: 32, dModel: 3072, dHead: 96, dMlp: 8192,
      vocab: 32064, maxPositions: 131072, eps: 1e-5, activation: 'silu',
      rope: {
        dims: 96,
        global: {
          type: 'longrope', theta: 10000, factor: 32, originalMax: 4096, attentionFactor: null,
          shortFactor: phi35.rope_scaling.short_factor, longFactor: phi35.rope_scaling.long_factor,
        },
        local: null,
      },
      tiedEmbeddings: false, attnScale: 96 ** -0.5, layerTypes: sliding(32), slidingWindow: 262144, bos: 1,
    },
  },
  'gemma-2b.json': {
    // Gemma 1: hidden_act "gelu" runs as the tanh GELU; head_dim 256 (8 * 256 = 2048); scores * d_head^-0.5;
    // tied by default; no sliding window, no soft-capping.
    checkpoint: 'google/gemma-2b',
    spec: {
      family: 'gemma', modelType: 'gemma', nLayers: 18, nHeads: 8, nKvHeads: 1, dModel: 2048, dHead: 256, dMlp: 16384,
      vocab: 256000, maxPositions: 8192, eps: 1e-6, activation: 'gelu_new', rope: { dims: 256, global: plainRope(10000), local: null },
      parallelResidual: false, tiedEmbeddings: true, attnScale: 256 ** -0.5, scaleByInverseLayer: false,
      attnSoftcap: null, finalSoftcap: null, embedScale: Math.fround(Math.sqrt(2048)), normPlusOne: true,
      layerTypes: full(18), slidingWindow: null, bos: 2,
    },
  },
  'gemma-2-2b.json': {
    // Gemma 2: even layers slide (window 4096), odd layers are full; query_pre_attn_scalar 256;
    // soft-capping 50 (scores) and 30 (final logits).
    checkpoint: 'google/gemma-2-2b',
    spec: {
      family: 'gemma', modelType: 'gemma2', nLayers: 26, nHeads: 8, nKvHeads: 4, dModel: 2304, dHead: 256, dMlp: 9216,
      vocab: 256000, maxPositions: 8192, eps: 1e-6, activation: 'gelu_new', rope: { dims: 256, global: plainRope(10000), local: null },
      parallelResidual: false, tiedEmbeddings: true, attnScale: 256 ** -0.5, scaleByInverseLayer: false,
      attnSoftcap: 50, finalSoftcap: 30, embedScale: Math.fround(Math.sqrt(2304)), normPlusOne: true,
      layerTypes: layers(26, (l) => (l % 2 === 0 ? 'sliding' : 'full')), slidingWindow: 4096, bos: 2,
    },
  },
  'gemma-3-1b.json': {
    // Gemma 3 text: sliding_window_pattern 6 => layer l slides iff (l + 1) % 6 != 0 (full at 5, 11, 17, 23),
    // window 512; global rotary base rope_theta 1e6, local base rope_local_base_freq 1e4; no soft-capping.
    checkpoint: 'google/gemma-3-1b-it',
    spec: {
      family: 'gemma', modelType: 'gemma3_text', nLayers: 26, nHeads: 4, nKvHeads: 1, dModel: 1152, dHead: 256, dMlp: 6912,
      vocab: 262144, maxPositions: 32768, eps: 1e-6, activation: 'gelu_new',
      rope: { dims: 256, global: plainRope(1000000), local: plainRope(10000) },
      parallelResidual: false, tiedEmbeddings: true, attnScale: 256 ** -0.5, scaleByInverseLayer: false,
      attnSoftcap: null, finalSoftcap: null, embedScale: Math.fround(Math.sqrt(1152)), normPlusOne: true,
      layerTypes: layers(26, (l) => ((l + 1) % 6 !== 0 ? 'sliding' : 'full')), slidingWindow: 512, bos: 2,
    },
  },
};

function actual(spec: HfSpec): Expected {
  return { ...spec, rope: spec.rope && { dims: spec.rope.dims, global: view(spec.rope.global)!, local: view(spec.rope.local) } };
}

for (const [file, { checkpoint, spec }] of Object.entries(EXPECTED)) {
  test(`config zoo: ${checkpoint} (${file})`, () => {
    const got = actual(parseHfConfig(readConfig(file), file));
    // Field by field first, for a readable message; then the whole spec (no field left unchecked).
    for (const key of Object.keys(spec) as (keyof Expected)[]) {
      assert.deepStrictEqual(got[key], spec[key], `${checkpoint}: ${key}`);
    }
    assert.deepStrictEqual(got, spec);
  });
}

test('config zoo: every config in test/fixtures/configs has expectations, and every expectation a config', () => {
  const files = fs.readdirSync(CONFIG_DIR).filter((f) => !f.endsWith('.md')).sort();
  assert.deepStrictEqual(files, Object.keys(EXPECTED).sort());
});

test('config zoo: hand-written cross-checks of the less obvious values', () => {
  // Gemma 3 1B: full attention exactly at 5, 11, 17, 23.
  const g3 = EXPECTED['gemma-3-1b.json'].spec.layerTypes;
  assert.deepStrictEqual(g3.flatMap((t, l) => (t === 'full' ? [l] : [])), [5, 11, 17, 23]);
  // Gemma 2 2B: 13 sliding (0, 2, ..., 24) and 13 full layers.
  assert.equal(EXPECTED['gemma-2-2b.json'].spec.layerTypes.filter((t) => t === 'sliding').length, 13);
  assert.equal(EXPECTED['gemma-2-2b.json'].spec.embedScale, 48);
  assert.equal(EXPECTED['gemma-2-2b.json'].spec.attnScale, 1 / 16);
  // The longrope lists of the real Phi-3.5 config are 48 long.
  assert.equal(phi35.rope_scaling.short_factor.length, 48);
  assert.equal(phi35.rope_scaling.long_factor.length, 48);
});

test('Qwen: use_sliding_window true slides layers from max_window_layers on', () => {
  const raw = { ...readConfig('qwen3-0.6b.json'), use_sliding_window: true, sliding_window: 4096, max_window_layers: 20 };
  const spec = parseHfConfig(raw, 'config.json');
  assert.deepStrictEqual(spec.layerTypes, layers(28, (l) => (l >= 20 ? 'sliding' : 'full')));
  assert.equal(spec.slidingWindow, 4096);
});

// Qwen2Config / Qwen3Config default use_sliding_window to false and then drop sliding_window
// (configuration_qwen2.py, configuration_qwen3.py), unlike Mistral, which slides every layer.
test('Qwen config without use_sliding_window: every layer full (transformers defaults it to false)', () => {
  for (const file of ['qwen3-0.6b.json', 'qwen2.5-0.5b.json']) {
    const raw = readConfig(file);
    delete raw.use_sliding_window;
    raw.sliding_window = 4096;
    const spec = parseHfConfig(raw, file);
    assert.deepStrictEqual({ layerTypes: spec.layerTypes, slidingWindow: spec.slidingWindow }, { layerTypes: full(spec.nLayers), slidingWindow: null }, file);
  }
});
