// A model past 2 GB of float32 weights (the protobuf limit the graph once had), made at test time
// by training/make_big_model.py (random Llama-style, 555.8 M parameters, BF16 on disk), loads in
// process and matches the PyTorch reference forward of training/hf_reference.py on 64 tokens.
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { readModelFolder } from '../../src/engine/manifest';
import { OrtModel } from '../../src/worker/ortModel';
import { maxAbsDiff, ROOT } from '../support/fixtures';

const PYTHON = '/usr/bin/python3';
const SETUP = 'scripts/setup.sh (run by npm test) installs Debian\'s python3-torch and python3-numpy';

interface BigReference {
  ids: number[];
  logitsShape: number[];
  parameterCount: number;
  logitsStd: number;
  times: Record<string, number>;
  peakMemoryMB: number;
}

const seconds = (t0: number) => (performance.now() - t0) / 1000;

/** Runs training/make_big_model.py into `dir`; fails with what is missing when Python or torch is. */
function makeBigModel(dir: string): BigReference {
  if (!fs.existsSync(PYTHON)) assert.fail(`${PYTHON} is missing: ${SETUP}`);
  const r = spawnSync(PYTHON, [path.join('training', 'make_big_model.py'), dir], { cwd: ROOT, encoding: 'utf8', timeout: 100_000 });
  if (r.error) assert.fail(`${PYTHON} training/make_big_model.py: ${r.error.message}`);
  const missing = /No module named '([^']+)'/.exec(r.stderr);
  if (missing) assert.fail(`${PYTHON} has no module "${missing[1]}": ${SETUP}`);
  if (r.status !== 0) assert.fail(`training/make_big_model.py exited with ${r.status ?? r.signal}:\n${r.stderr}`);
  return JSON.parse(fs.readFileSync(path.join(dir, 'reference.json'), 'utf8')) as BigReference;
}

test('a model past 2 GB of float32 weights loads and matches PyTorch on 64 tokens (1e-3)', { timeout: 150_000 }, async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'il-big-'));
  try {
    let t0 = performance.now();
    const ref = makeBigModel(dir);
    const made = seconds(t0);

    const folder = readModelFolder(dir);
    const params = folder.hf!.weights.parameterCount;
    assert.equal(params, ref.parameterCount);
    assert.ok(params * 4 > 2 ** 31, `${params} parameters are ${params * 4} bytes as float32, not past 2 GB`);
    const [, T, V] = ref.logitsShape;
    assert.deepEqual([T, V], [64, folder.manifest.architecture.d_vocab]);

    t0 = performance.now();
    const m = await OrtModel.load(folder);
    const loaded = seconds(t0);
    try {
      t0 = performance.now();
      const out = await m.forward({ ids: Int32Array.from(ref.ids), batch: 1, seq: T, wantAttentions: false });
      const forward = seconds(t0);
      const b = fs.readFileSync(path.join(dir, 'reference.f32'));
      const want = new Float32Array(b.buffer, b.byteOffset, b.byteLength / 4);
      const diff = maxAbsDiff(out.logits, want);
      console.log(`# big model: ${(params / 1e6).toFixed(1)} M parameters, ${(params * 4 / 1e9).toFixed(2)} GB as float32; `
        + `made in ${made.toFixed(1)} s (Python: ${JSON.stringify(ref.times)}, peak ${ref.peakMemoryMB} MB), `
        + `loaded in ${loaded.toFixed(1)} s, forward of ${T} tokens ${forward.toFixed(2)} s, `
        + `node peak ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MB; max |logits diff| ${diff.toExponential(2)} (logits std ${ref.logitsStd.toFixed(2)})`);
      assert.ok(ref.logitsStd > 0.1, 'the reference logits are spread enough for a 1e-3 comparison to mean something');
      assert.ok(diff <= 1e-3, `logits differ by ${diff}`);
    } finally {
      await m.dispose();
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
