// Path ablation built into the graphs against a PyTorch reference written from the definition
// (training/path_reference.py): the bundled attention-only model (Shortformer), tiny-pythia
// (LayerNorm, parallel residual) and tiny-qwen3 (RMSNorm, per-head q/k norms, grouped-query
// attention: the receiver's own keys and values), for q, k and v, zero and mean, recompute and
// frozen norms; and the CLI's path-ablation document.
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { readModelFolder } from '../../src/engine/manifest';
import { OrtModel } from '../../src/worker/ortModel';
import type { PathSpec } from '../../src/protocol/pathSpec';
import { MODEL_DIR, ROOT } from '../support/fixtures';

interface Case { path: PathSpec['path']; mode: PathSpec['mode']; norm: PathSpec['norm']; logits64: number[]; receiverAttention: number[]; changed: number }
interface Ref { ids: number[]; sender: PathSpec['sender']; receiver: PathSpec['receiver']; cases: Case[] }

const DIRS: Record<string, string> = {
  'attn-only-2l': MODEL_DIR,
  'tiny-pythia': path.join(ROOT, 'test', 'fixtures', 'hf-models', 'tiny-pythia'),
  'tiny-qwen3': path.join(ROOT, 'test', 'fixtures', 'hf-models', 'tiny-qwen3'),
};

for (const [name, dir] of Object.entries(DIRS)) {
  test(`${name}: path-ablated logits and the receiver's pattern equal the PyTorch reference (1e-4)`, async () => {
    const ref = JSON.parse(fs.readFileSync(path.join(ROOT, 'test', 'fixtures', 'path', `${name}.json`), 'utf8')) as Ref;
    const folder = readModelFolder(dir);
    const { n_heads: H, d_vocab: V } = folder.manifest.architecture;
    const m = await OrtModel.load(folder);
    try {
      const ids = Int32Array.from(ref.ids);
      const T = ids.length;
      const plain = await m.forward({ ids, batch: 1, seq: T, wantAttentions: false });
      for (const c of ref.cases) {
        const spec: PathSpec = { sender: ref.sender, receiver: ref.receiver, path: c.path, mode: c.mode, norm: c.norm };
        const out = await m.forward({ ids, batch: 1, seq: T, wantAttentions: true, path: spec });
        let dl = 0, da = 0, changed = 0;
        for (let t = 0; t < T; t++) {
          for (let v = 0; v < 64; v++) dl = Math.max(dl, Math.abs(out.logits[t * V + v] - c.logits64[t * 64 + v]));
          for (let v = 0; v < V; v++) changed = Math.max(changed, Math.abs(out.logits[t * V + v] - plain.logits[t * V + v]));
        }
        const base = (ref.receiver.layer * H + ref.receiver.head) * T * T;
        c.receiverAttention.forEach((x, i) => (da = Math.max(da, Math.abs(out.attentions![base + i] - x))));
        console.log(`# ${name} ${c.path} ${c.mode} ${c.norm}: max |logits diff| ${dl.toExponential(2)}, |receiver pattern diff| ${da.toExponential(2)} (the ablation moves logits by up to ${changed.toFixed(2)})`);
        assert.ok(dl < 1e-4 && da < 1e-4, `${c.path} ${c.mode} ${c.norm}: ${dl} ${da}`);
        assert.ok(Math.abs(changed - c.changed) < 1e-3 && changed > 0.1, 'the ablation changes the logits as much as in PyTorch');
      }
    } finally {
      await m.dispose();
    }
  });
}

const cli = (args: string[]) => spawnSync(process.execPath, [path.join(ROOT, 'dist', 'cli.js'), ...args], { encoding: 'utf8' });

test('path-ablation --json prints the documented document; the K-composition path of the bundled model carries its induction', () => {
  execFileSync(process.execPath, [path.join(ROOT, 'scripts', 'build', 'build.mjs')], { cwd: ROOT });
  const file = path.join(ROOT, 'samples', 'identifiers.py');
  const r = cli(['path-ablation', file, '--sender', 'L0H2', '--receiver', 'L1H5', '--path', 'k', '--json']);
  assert.equal(r.status, 0, r.stderr);
  const j = JSON.parse(r.stdout);
  assert.deepEqual(Object.keys(j), ['model', 'sender', 'receiver', 'path', 'mode', 'tokens', 'loss', 'meanLoss', 'receiverInductionScore']);
  assert.deepEqual([j.sender, j.receiver, j.path, j.mode], [{ layer: 0, head: 2 }, { layer: 1, head: 5 }, 'k', 'zero']);
  assert.deepEqual(Object.keys(j.tokens[0]), ['id', 'text', 'start', 'end']);
  assert.equal(j.loss.before.length, j.tokens.length);
  assert.equal(j.loss.after.length, j.tokens.length);
  assert.equal(j.loss.before.at(-1), null);
  const mean = (xs: (number | null)[]) => xs.filter((x): x is number => x !== null).reduce((s, x, _, a) => s + x / a.length, 0);
  assert.ok(Math.abs(mean(j.loss.before) - j.meanLoss.before) < 1e-9 && Math.abs(mean(j.loss.after) - j.meanLoss.after) < 1e-9);
  // The article's claim: the induction head finds its source through the keys (K-composition).
  assert.ok(j.receiverInductionScore.before > 0.8 && j.receiverInductionScore.after < 0.05, JSON.stringify(j.receiverInductionScore));
  assert.ok(j.meanLoss.after > j.meanLoss.before + 0.2);
  const v = JSON.parse(cli(['path-ablation', file, '--sender', 'L0H2', '--receiver', 'L1H5', '--path', 'v', '--json']).stdout);
  assert.ok(Math.abs(v.receiverInductionScore.after - v.receiverInductionScore.before) < 1e-6, 'values do not move the pattern');
  for (const [args, message] of [
    [['--sender', 'L1H2', '--receiver', 'L1H5', '--path', 'k'], /the receiver L1H5 must be in a later layer than the sender L1H2/],
    [['--sender', 'L0H9', '--receiver', 'L1H5', '--path', 'q'], /sender L0H9 is not a head of this model \(2 layers × 8 heads\)/],
    [['--sender', 'L0H2', '--receiver', 'L7H0', '--path', 'q'], /receiver L7H0 is not a head of this model/],
    [['--sender', 'zero', '--receiver', 'L1H5', '--path', 'q'], /--sender must name a head as L<layer>H<head>/],
    [['--sender', 'L0H2', '--receiver', 'L1H5', '--path', 'x'], /--path must be one of q, k, v/],
  ] as [string[], RegExp][]) {
    const bad = cli(['path-ablation', file, ...args, '--json']);
    assert.equal(bad.status, 2);
    assert.match(bad.stderr, message);
    assert.equal(bad.stderr.trim().split('\n').length, 1, 'one line');
  }
});
