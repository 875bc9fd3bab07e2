// Model folders come from anywhere: every file, name and number in them is checked at the
// boundary, and a broken one is refused with an EngineError naming the file and the field.
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { EngineError } from '../../src/engine/errors';
import { TensorReader } from '../../src/engine/hf/weights';
import { readModelFolder } from '../../src/engine/manifest';
import { openModel } from '../../src/engine/model';
import { readSafetensors } from '../../src/engine/safetensors';
import { TextTokenizer } from '../../src/engine/tokenizer';
import { MODEL_DIR, ROOT } from '../support/fixtures';

// Child mode of the FIFO test: should a read block on the FIFO, it blocks this child, which the
// test kills, and not the test runner.
if (process.env.IL_SAFETY_READ) {
  const messages = (JSON.parse(process.env.IL_SAFETY_READ) as string[]).map((dir) => {
    try {
      readModelFolder(dir);
      return 'loaded';
    } catch (e) {
      return (e as Error).message;
    }
  });
  process.stdout.write(JSON.stringify(messages));
  process.exit(0);
}

const HF = ['tiny-gpt2', 'tiny-pythia', 'tiny-llama', 'tiny-qwen2'];
const hfDir = (name: string) => path.join(ROOT, 'test', 'fixtures', 'hf-models', name);
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'il-safety-'));
process.on('exit', () => fs.rmSync(tmp, { recursive: true, force: true }));

/** A copy of a fixture folder (an HF name, or 'lens' for the bundled attn-only-2l), then `edit`. */
function copy(name: string, edit: (dir: string) => void = () => undefined): string {
  const src = name === 'lens' ? MODEL_DIR : hfDir(name);
  const dir = fs.mkdtempSync(path.join(tmp, `${name}-`));
  for (const f of fs.readdirSync(src)) fs.copyFileSync(path.join(src, f), path.join(dir, f));
  edit(dir);
  return dir;
}

function editJson(file: string, f: (j: any) => void): void {
  const j = JSON.parse(fs.readFileSync(file, 'utf8'));
  f(j);
  fs.writeFileSync(file, JSON.stringify(j));
}

const esc = (s: string) => s.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
const q = (name: string) => esc(JSON.stringify(name));

/** Asserts `f` throws an EngineError whose message matches `pattern`. */
function refuses(f: () => unknown, pattern: RegExp, what = pattern.source): void {
  assert.throws(f, (e: unknown) => {
    assert.ok(e instanceof EngineError, `${what}: not an EngineError: ${String(e)}`);
    assert.match(e.message, pattern, what);
    return true;
  });
}

// ---- safetensors files, taken apart and put back together ----

type Header = Record<string, any>;

function readSt(file: string): { header: Header; data: Buffer } {
  const b = fs.readFileSync(file);
  const n = Number(b.readBigUInt64LE(0));
  return { header: JSON.parse(b.subarray(8, 8 + n).toString('utf8')), data: b.subarray(8 + n) };
}

function writeSt(file: string, header: Header, data: Buffer): void {
  const h = Buffer.from(JSON.stringify(header));
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(BigInt(h.length));
  fs.writeFileSync(file, Buffer.concat([len, h, data]));
}

/** Changes the header only; the data stays where it is. */
function editHeader(file: string, f: (h: Header) => void): void {
  const { header, data } = readSt(file);
  f(header);
  writeSt(file, header, data);
}

/** Drops tensors and lays out the rest again, as a writer would. */
function dropTensors(file: string, names: string[]): void {
  const { header, data } = readSt(file);
  const out: Header = {};
  const parts: Buffer[] = [];
  let offset = 0;
  for (const [name, e] of Object.entries(header)) {
    if (name === '__metadata__' || names.includes(name)) continue;
    const bytes = data.subarray(e.data_offsets[0], e.data_offsets[1]);
    out[name] = { ...e, data_offsets: [offset, offset + bytes.length] };
    parts.push(bytes);
    offset += bytes.length;
  }
  writeSt(file, out, Buffer.concat(parts));
}

/** Tensor names by where their data begins. */
const byOffset = (h: Header) => Object.keys(h).filter((k) => k !== '__metadata__').sort((a, b) => h[a].data_offsets[0] - h[b].data_offsets[0]);

const HEADER_CASES: { what: string; edit: (h: Header) => string; expect: (name: string) => RegExp }[] = [
  {
    what: 'negative data_offsets',
    edit: (h) => { const n = byOffset(h)[1]; h[n].data_offsets[0] = -4; return n; },
    expect: (n) => new RegExp(`tensor ${q(n)}: "data_offsets" must be \\[begin, end\\], non-negative integers`),
  },
  {
    what: 'non-integer data_offsets',
    edit: (h) => { const n = byOffset(h)[1]; h[n].data_offsets[1] += 0.5; return n; },
    expect: (n) => new RegExp(`tensor ${q(n)}: "data_offsets" must be \\[begin, end\\], non-negative integers`),
  },
  {
    what: 'overlapping data_offsets',
    edit: (h) => { const n = byOffset(h)[1]; h[n].data_offsets = h[n].data_offsets.map((o: number) => o - 4); return n; },
    expect: (n) => new RegExp(`tensor ${q(n)} \\(data bytes \\d+ to \\d+\\) overlaps tensor ".+", which ends at \\d+`),
  },
  {
    what: 'a hole between tensors',
    edit: (h) => { const n = byOffset(h).at(-1)!; h[n].data_offsets = h[n].data_offsets.map((o: number) => o + 4); return n; },
    expect: (n) => new RegExp(`data bytes \\d+ to \\d+ belong to no tensor \\(a hole before tensor ${q(n)}\\)`),
  },
  {
    what: 'an unknown dtype',
    edit: (h) => { const n = byOffset(h)[0]; h[n].dtype = 'F4'; return n; },
    expect: (n) => new RegExp(`tensor ${q(n)}: unknown dtype "F4"`),
  },
  {
    what: 'a byte length that does not fit the shape',
    edit: (h) => { const n = byOffset(h)[0]; h[n].shape = [1]; return n; },
    expect: (n) => new RegExp(`tensor ${q(n)}: \\d+ bytes for 1 [A-Z0-9]+ values \\([248] bytes\\)`),
  },
  {
    what: 'an entry that is a string',
    edit: (h) => { const n = byOffset(h)[0]; h[n] = 'F32'; return n; },
    expect: (n) => new RegExp(`tensor ${q(n)}: its entry is not an object`),
  },
  {
    what: 'an entry without a shape',
    edit: (h) => { const n = byOffset(h)[0]; delete h[n].shape; return n; },
    expect: (n) => new RegExp(`tensor ${q(n)}: "shape" must be an array of non-negative integers`),
  },
  {
    what: 'a negative dimension',
    edit: (h) => { const n = byOffset(h)[0]; h[n].shape = [-1, -2]; return n; },
    expect: (n) => new RegExp(`tensor ${q(n)}: "shape" must be an array of non-negative integers`),
  },
  {
    what: 'metadata that is not strings',
    edit: (h) => { h.__metadata__ = { format: 1 }; return ''; },
    expect: () => /"__metadata__" must be an object of strings/,
  },
];

/** Whole-file breakage: header length, truncation, trailing bytes. */
const FILE_CASES: { what: string; edit: (b: Buffer) => Buffer; expect: RegExp }[] = [
  { what: 'header length 0', edit: (b) => { b.writeBigUInt64LE(0n); return b; }, expect: /not a safetensors file \(header length 0, which must be between 2 and 100,000,000\)/ },
  { what: 'header length past the file', edit: (b) => { b.writeBigUInt64LE(BigInt(b.length)); return b; }, expect: /header length \d+ exceeds the file \(\d+ bytes\)/ },
  { what: 'header length 2^64 - 1', edit: (b) => { b.writeBigUInt64LE(2n ** 64n - 1n); return b; }, expect: /not a safetensors file \(header length 18446744073709551615, which must be between 2/ },
  { what: 'a header that is not JSON', edit: (b) => { b[8] = 0x78; return b; }, expect: /safetensors header is not valid JSON/ },
  { what: 'tensors past the end (a truncated file)', edit: (b) => b.subarray(0, b.length - 4), expect: /the tensors end at data byte \d+, past the end of the file \(its data holds \d+ bytes\)/ },
  { what: 'bytes after the last tensor', edit: (b) => Buffer.concat([b, Buffer.alloc(4)]), expect: /4 bytes after the last tensor belong to no tensor/ },
  { what: 'fewer than 8 bytes', edit: (b) => b.subarray(0, 5), expect: /too short to be a safetensors file \(5 bytes\)/ },
];

/** Both readers of safetensors: the HF folder reader (headers alone) and readSafetensors (the
 *  bundled model's weights, whole file). */
const READERS: { what: string; fixture: string; file: string; read: (dir: string) => unknown }[] = [
  { what: 'HF folder', fixture: 'tiny-llama', file: 'model.safetensors', read: (d) => readModelFolder(d) },
  { what: 'readSafetensors', fixture: 'lens', file: 'weights.safetensors', read: (d) => readSafetensors(path.join(d, 'weights.safetensors')) },
];

for (const r of READERS) {
  test(`safetensors (${r.what}): malformed header entries and offsets are refused naming the file and tensor`, () => {
    for (const c of HEADER_CASES) {
      let name = '';
      const dir = copy(r.fixture, (d) => editHeader(path.join(d, r.file), (h) => (name = c.edit(h))));
      refuses(() => r.read(dir), new RegExp(`${esc(r.file)}: ${c.expect(name).source}`), c.what);
    }
  });

  test(`safetensors (${r.what}): bad header lengths, truncated files and trailing bytes are refused`, () => {
    for (const c of FILE_CASES) {
      const dir = copy(r.fixture, (d) => {
        const f = path.join(d, r.file);
        fs.writeFileSync(f, c.edit(fs.readFileSync(f)));
      });
      refuses(() => r.read(dir), new RegExp(`${esc(r.file)}: ${c.expect.source}`), c.what);
    }
  });
}

test('safetensors: a tensor in a dtype the lens cannot convert is refused when it is read', () => {
  const dir = copy('lens', (d) => editHeader(path.join(d, 'weights.safetensors'), (h) => {
    const n = byOffset(h)[0];
    h[n].dtype = 'I32';
  }));
  refuses(() => readSafetensors(path.join(dir, 'weights.safetensors')), /weights\.safetensors: tensor "blocks\.0\.attn\.W_K" has dtype "I32"; only F32, F16 and BF16 are supported/);
});

// ---- files that are not regular files ----

test('a FIFO as config.json, model.safetensors or model.onnx is refused promptly, never opened', { skip: process.platform === 'win32' }, () => {
  const fifo = (name: string) => (d: string) => {
    fs.rmSync(path.join(d, name));
    execFileSync('mkfifo', [path.join(d, name)]);
  };
  const dirs = [copy('tiny-gpt2', fifo('config.json')), copy('tiny-gpt2', fifo('model.safetensors')), copy('lens', fifo('model.onnx'))];
  const started = Date.now();
  const child = spawnSync(process.execPath, [__filename], { env: { ...process.env, IL_SAFETY_READ: JSON.stringify(dirs) }, timeout: 20_000, encoding: 'utf8' });
  assert.equal(child.signal, null, `the reader blocked on a FIFO (${Date.now() - started} ms)`);
  const [config, weights, onnx] = JSON.parse(child.stdout) as string[];
  assert.match(config, /config\.json: is not a regular file \(it is a FIFO\)/);
  assert.match(weights, /model\.safetensors: is not a regular file \(it is a FIFO\)/);
  assert.match(onnx, /model\.onnx: is not a regular file \(it is a FIFO\)/);
});

test('device files and directories in place of model files are refused', { skip: process.platform === 'win32' }, () => {
  const link = (name: string, target: string) => (d: string) => {
    fs.rmSync(path.join(d, name));
    fs.symlinkSync(target, path.join(d, name));
  };
  refuses(() => readModelFolder(copy('tiny-llama', link('tokenizer.json', '/dev/zero'))), /tokenizer\.json: is not a regular file \(it is a device\)/);
  refuses(() => openModel(copy('lens', link('tokenizer.json', '/dev/zero'))), /tokenizer\.json: is not a regular file \(it is a device\)/);
  refuses(() => readModelFolder(copy('tiny-llama', link('model.safetensors', '/dev/urandom'))), /model\.safetensors: is not a regular file \(it is a device\)/);
  const dirConfig = copy('tiny-llama', (d) => {
    fs.rmSync(path.join(d, 'config.json'));
    fs.mkdirSync(path.join(d, 'config.json'));
  });
  refuses(() => readModelFolder(dirConfig), /config\.json: is not a regular file \(it is a directory\)/);
});

test('files symlinked into another folder (the Hugging Face cache layout) are read', { skip: process.platform === 'win32' }, () => {
  // <cache>/snapshots/<rev>/<file> -> ../../blobs/<hash>, as huggingface_hub lays it out.
  const cache = fs.mkdtempSync(path.join(tmp, 'hub-'));
  const snapshot = path.join(cache, 'snapshots', 'abc123');
  fs.mkdirSync(path.join(cache, 'blobs'));
  fs.mkdirSync(snapshot, { recursive: true });
  fs.readdirSync(hfDir('tiny-llama')).forEach((f, i) => {
    fs.copyFileSync(path.join(hfDir('tiny-llama'), f), path.join(cache, 'blobs', `blob${i}`));
    fs.symlinkSync(path.join('..', '..', 'blobs', `blob${i}`), path.join(snapshot, f));
  });
  const m = openModel(snapshot);
  assert.equal(m.folder.manifest.architecture.d_vocab, 2048);
  assert.deepEqual(new TensorReader(m.folder.hf!.weights).get('model.norm.weight').shape, [64]);
});

test('an oversize config.json or model.json is refused before it is read', () => {
  const big = (file: string) => (d: string) => editJson(path.join(d, file), (j) => (j.padding = 'x'.repeat(1_100_000)));
  refuses(() => readModelFolder(copy('tiny-gpt2', big('config.json'))), /config\.json: is 1,100,\d{3} bytes, more than the 1,000,000 this kind of file may have/);
  refuses(() => readModelFolder(copy('lens', big('model.json'))), /model\.json: is 1,100,\d{3} bytes, more than the 1,000,000/);
});

// ---- names inside files ----

test('the shard index may name only files in the folder', () => {
  const index = (weightMap: unknown) => copy('tiny-llama', (d) => {
    fs.rmSync(path.join(d, 'model.safetensors'));
    fs.writeFileSync(path.join(d, 'model.safetensors.index.json'), JSON.stringify({ metadata: {}, weight_map: weightMap }));
  });
  for (const bad of ['../x.safetensors', '/etc/passwd', 'sub/x.safetensors', 'sub\\x.safetensors', '..', '', 'C:x.safetensors', 'a\u0007b', 3]) {
    refuses(() => readModelFolder(index({ 'model.embed_tokens.weight': bad })),
      new RegExp(`model\\.safetensors\\.index\\.json: weight_map\\["model\\.embed_tokens\\.weight"\\] must be the name of a file in the model folder, not a path \\(got ${esc(JSON.stringify(bad))}\\)`), String(bad));
  }
  refuses(() => readModelFolder(index(['model.safetensors'])), /model\.safetensors\.index\.json: has no "weight_map" object/);
  refuses(() => readModelFolder(index({ a: 'model-00001-of-00002.safetensors' })), /model\.safetensors\.index\.json: lists "model-00001-of-00002\.safetensors", which is missing/);
  const twice = copy('tiny-llama', (d) => {
    fs.renameSync(path.join(d, 'model.safetensors'), path.join(d, 'a.safetensors'));
    fs.copyFileSync(path.join(d, 'a.safetensors'), path.join(d, 'b.safetensors'));
    fs.writeFileSync(path.join(d, 'model.safetensors.index.json'), JSON.stringify({ weight_map: { x: 'a.safetensors', y: 'b.safetensors' } }));
  });
  refuses(() => readModelFolder(twice), /tensor "lm_head\.weight" is in both a\.safetensors and b\.safetensors/);
});

test('model.json may name only files in the folder', () => {
  const cases: [string, unknown][] = [['onnx', '../model.onnx'], ['onnx', '/etc/passwd'], ['tokenizer', 'sub/tokenizer.json'], ['weights', '.'], ['tokenizer', '']];
  for (const [field, name] of cases) {
    const dir = copy('lens', (d) => editJson(path.join(d, 'model.json'), (m) => (m[field] = name)));
    refuses(() => readModelFolder(dir), new RegExp(`model\\.json: "${field}" must be the name of a file in the model folder, not a path \\(got ${esc(JSON.stringify(name))}\\)`));
  }
});

// ---- config.json ----

test('config.json values are checked for type and range before anything is built from them', () => {
  const cases: [string, Record<string, unknown>, RegExp][] = [
    ['tiny-pythia', { rotary_pct: 0 }, /"rotary_pct" must be a number in \(0, 1\] \(got 0\)/],
    ['tiny-pythia', { rotary_pct: 1.5 }, /"rotary_pct" must be a number in \(0, 1\] \(got 1\.5\)/],
    ['tiny-pythia', { rotary_pct: 0.1 }, /"rotary_pct" 0\.1 gives 1 rotary dimensions per head \(of 16\); they must be a positive even number/],
    ['tiny-pythia', { rotary_emb_base: 'big' }, /"rotary_emb_base" must be a positive number \(got "big"\)/],
    ['tiny-llama', { rope_theta: -1 }, /"rope_theta" must be a positive number \(got -1\)/],
    ['tiny-llama', { partial_rotary_factor: 0 }, /"partial_rotary_factor" must be a number in \(0, 1\] \(got 0\)/],
    ['tiny-gpt2', { layer_norm_epsilon: 0 }, /"layer_norm_epsilon" must be a number between 0 and 1 \(got 0\)/],
    ['tiny-llama', { rms_norm_eps: 1 }, /"rms_norm_eps" must be a number between 0 and 1 \(got 1\)/],
    ['tiny-qwen2', { sliding_window: -4 }, /"sliding_window" must be a positive integer when present \(got -4\)/],
    ['tiny-qwen2', { sliding_window: 2.5 }, /"sliding_window" must be a positive integer when present \(got 2\.5\)/],
    ['tiny-qwen2', { sliding_window: 0 }, /"sliding_window" must be a positive integer when present \(got 0\)/],
    ['tiny-gpt2', { n_layer: 1e9 }, /"n_layer" must be a positive integer up to 512 \(got 1000000000\)/],
    ['tiny-llama', { vocab_size: 2 ** 21 }, /"vocab_size" must be a positive integer up to 1,048,576 \(got 2097152\)/],
    ['tiny-llama', { hidden_size: 64.5 }, /"hidden_size" must be a positive integer up to 65,536 \(got 64\.5\)/],
    ['tiny-llama', { max_position_embeddings: 2 ** 25 }, /"max_position_embeddings" must be a positive integer up to 16,777,216/],
    ['tiny-llama', { intermediate_size: '176' }, /"intermediate_size" must be a positive integer up to 1,048,576 \(got "176"\)/],
    ['tiny-gpt2', { n_head: 3 }, /hidden size 64 is not divisible by the 3 heads/],
    ['tiny-llama', { num_key_value_heads: 3 }, /num_attention_heads \(4\) is not a multiple of num_key_value_heads \(3\)/],
    ['tiny-llama', { head_dim: 8192 }, /"head_dim" must be a positive integer up to 4,096/],
    ['tiny-llama', { bos_token_id: 2048 }, /bos_token_id 2048 is outside the vocabulary \(2048\)/],
    ['tiny-llama', { bos_token_id: 1.5 }, /bos_token_id 1\.5 is outside the vocabulary/],
    ['tiny-llama', { hidden_act: 'constructor' }, /hidden_act "constructor" is not supported/],
    ['tiny-llama', { model_type: 'toString' }, /model_type "toString" is not supported/],
    ['tiny-llama', { tie_word_embeddings: 'yes' }, /"tie_word_embeddings" must be true or false \(got "yes"\)/],
    ['tiny-llama', { rope_scaling: 'linear' }, /"rope_scaling" must be an object when present/],
  ];
  for (const [fixture, change, pattern] of cases) {
    const dir = copy(fixture, (d) => editJson(path.join(d, 'config.json'), (c) => Object.assign(c, change)));
    refuses(() => readModelFolder(dir), new RegExp(`config\\.json: ${pattern.source}`), JSON.stringify(change));
  }
});

test('control characters from a file are escaped in the message', () => {
  const dir = copy('tiny-gpt2', (d) => editJson(path.join(d, 'config.json'), (c) => (c.model_type = 'gpt2\u001b[2J\u009b31m\u2028x')));
  refuses(() => readModelFolder(dir), /model_type "gpt2\\u001b\[2J\\u009b31m\\u2028x" is not supported/);
  assert.throws(() => readModelFolder(dir), (e: Error) => !/[\u0000-\u001f\u007f-\u009f\u2028\u2029]/.test(e.message));
  assert.equal(new EngineError('a\u0007b\r\nc\u0085\u2029').message, 'a\\u0007b\\u000d\\u000ac\\u0085\\u2029');
});

// ---- tensors against the config ----

test('every tensor the builder reads must be present with the shape config.json implies', () => {
  const reshape = (fixture: string, name: string, shape: number[]) =>
    copy(fixture, (d) => editHeader(path.join(d, 'model.safetensors'), (h) => (h[name].shape = shape)));
  // Same bytes, other shapes: only the config comparison can catch them.
  refuses(() => readModelFolder(reshape('tiny-llama', 'lm_head.weight', [1024, 128])),
    /tensor "lm_head\.weight" has shape \[1024,128\], config\.json says \[2048, 64\]/);
  refuses(() => readModelFolder(reshape('tiny-qwen2', 'model.layers.1.mlp.down_proj.weight', [176, 64])),
    /tensor "model\.layers\.1\.mlp\.down_proj\.weight" has shape \[176,64\], config\.json says \[64, 176\]/);
  refuses(() => readModelFolder(reshape('tiny-gpt2', 'wpe.weight', [128, 128])), /tensor "wpe\.weight" has shape \[128,128\], config\.json says \[256, 64\]/);
  refuses(() => readModelFolder(reshape('tiny-pythia', 'gpt_neox.layers.0.attention.query_key_value.weight', [64, 192])),
    /tensor "gpt_neox\.layers\.0\.attention\.query_key_value\.weight" has shape \[64,192\], config\.json says \[192, 64\]/);
  refuses(() => readModelFolder(reshape('tiny-llama', 'model.embed_tokens.weight', [1024, 128])),
    /the token embedding has shape \[1024,128\], config\.json says \[2048, 64\] \(tensor "model\.embed_tokens\.weight"\)/);
  const missing = copy('tiny-llama', (d) => dropTensors(path.join(d, 'model.safetensors'), ['model.layers.1.post_attention_layernorm.weight']));
  refuses(() => readModelFolder(missing), /the weights have no tensor "model\.layers\.1\.post_attention_layernorm\.weight", which a "llama" model needs/);
  const untied = copy('tiny-pythia', (d) => dropTensors(path.join(d, 'model.safetensors'), ['embed_out.weight']));
  refuses(() => readModelFolder(untied), /the weights have no tensor "embed_out\.weight"/);
});

// ---- tokenizer.json ----

test('tokenizer ids are checked before anything is sized by them, and fast', () => {
  const withId = (id: number) => copy('tiny-llama', (d) => editJson(path.join(d, 'tokenizer.json'), (t) => (t.model.vocab['Ġzzzz'] = id)));
  const huge = withId(1e12);
  let started = Date.now();
  refuses(() => openModel(huge), /tokenizer\.json: has 1000000000001 tokens but the model's vocabulary \(d_vocab\) is 2048: the tokenizer belongs to another model \(token "Ġzzzz" has id 1000000000000\)/);
  assert.ok(Date.now() - started < 1000, `took ${Date.now() - started} ms`);
  const json = JSON.parse(fs.readFileSync(path.join(huge, 'tokenizer.json'), 'utf8'));
  started = Date.now();
  refuses(() => new TextTokenizer(json, 'tok.json'), /tok\.json: token "Ġzzzz" has id 1000000000000; the lens reads vocabularies of up to 1,048,576 ids/);
  assert.ok(Date.now() - started < 1000, `took ${Date.now() - started} ms`);
  refuses(() => openModel(withId(-1)), /model\.vocab token "Ġzzzz" has id -1, not a non-negative integer/);
  refuses(() => openModel(withId(2.5)), /model\.vocab token "Ġzzzz" has id 2\.5, not a non-negative integer/);
  const edit = (f: (t: any) => void) => copy('tiny-gpt2', (d) => editJson(path.join(d, 'tokenizer.json'), f));
  refuses(() => openModel(edit((t) => (t.added_tokens = [{ id: 1e12, content: '<x>' }]))), /has 1000000000001 tokens but the model's vocabulary \(d_vocab\) is 2048/);
  refuses(() => openModel(edit((t) => (t.added_tokens = [{ id: '0', content: '<x>' }]))), /added token "<x>" has id "0", not a non-negative integer/);
  refuses(() => openModel(edit((t) => (t.added_tokens = { id: 0 }))), /tokenizer\.json: added_tokens must be a list/);
  refuses(() => openModel(edit((t) => (t.model.merges = 'a b'))), /tokenizer\.json: model\.merges must be a list/);
  refuses(() => openModel(edit((t) => (t.model.vocab = [1, 2]))), /tokenizer\.json: not a Hugging Face tokenizer\.json/);
});

// ---- every fixture still loads ----

for (const name of [...HF, 'lens']) {
  test(`${name === 'lens' ? 'attn-only-2l' : name}: the fixture folder still loads`, () => {
    const m = openModel(name === 'lens' ? MODEL_DIR : hfDir(name));
    assert.ok(m.tokenizer.vocabSize <= m.folder.manifest.architecture.d_vocab);
    assert.equal(m.hash.length, 64);
    if (m.folder.hf) {
      const reader = new TensorReader(m.folder.hf.weights);
      for (const t of m.folder.hf.weights.tensors.keys()) reader.get(t);
    } else {
      assert.equal(readSafetensors(m.folder.weightsPath!).size, 11);
    }
  });
}
