import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { reference, ROOT } from '../support/fixtures';

const CLI = path.join(ROOT, 'dist', 'cli.js');
const ref = reference();
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'il-cli-'));

function cli(...args: string[]) {
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8' });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

function file(name: string, content: string | Buffer) {
  const p = path.join(tmp, name);
  fs.writeFileSync(p, content);
  return p;
}

test('analyze --json prints exactly the documented document', () => {
  const f = file('sample.txt', ref.text);
  const r = cli('analyze', f, '--json', '--induction-threshold', String(ref.inductionThreshold));
  assert.equal(r.code, 0, r.err);
  const j = JSON.parse(r.out);
  assert.deepEqual(Object.keys(j), ['model', 'tokens', 'heads', 'inductionHeads', 'events', 'loss', 'ablationGain']);
  assert.deepEqual(Object.keys(j.model), ['id', 'nLayers', 'nHeads', 'nCtx']);
  assert.equal(j.model.id, 'attn-only-2l');
  assert.deepEqual(j.tokens.map((t: { id: number }) => t.id), ref.analysis.ids, 'tokens exclude BOS');
  for (const t of j.tokens) assert.deepEqual(Object.keys(t), ['id', 'text', 'start', 'end']);
  assert.equal(j.tokens.map((t: { start: number; end: number }) => ref.text.slice(t.start, t.end)).join(''), ref.text);
  assert.deepEqual(Object.keys(j.heads[0]), ['layer', 'head', 'induction', 'previousToken', 'duplicateToken']);
  assert.equal(j.events.length, ref.analysis.events.length);
  for (const [i, e] of j.events.entries()) {
    assert.deepEqual(Object.keys(e), ['query', 'source', 'successorId', 'attention', 'head', 'prob', 'rank', 'hit', 'dla']);
    assert.equal(e.dla.length, j.model.nLayers * j.model.nHeads, 'dla: one number per head (layer * n_heads + head)');
    assert.equal(e.source, ref.analysis.events[i].source);
  }
  assert.equal(j.loss.length, j.tokens.length);
  assert.equal(j.loss[j.loss.length - 1], null);
  assert.equal(j.ablationGain.length, j.tokens.length);
});

test('analyze --top-k adds predictions; the table form prints the events', () => {
  const f = file('sample2.txt', ref.text);
  const j = JSON.parse(cli('analyze', f, '--json', '--top-k', '3').out);
  assert.equal(j.predictions.length, j.tokens.length);
  assert.deepEqual(Object.keys(j.predictions[0][0]), ['id', 'text', 'prob']);
  assert.equal(j.predictions[0].length, 3);
  assert.deepEqual(j.predictions[5].map((p: { id: number }) => p.id), ref.analysis.top5[5].slice(0, 3).map((p) => p.id));
  const t = cli('analyze', f);
  assert.equal(t.code, 0);
  assert.match(t.out, /model attn-only-2l: 2 layers x 8 heads, context 512/);
});

test('heads --json reports the probe', () => {
  const r = cli('heads', '--json');
  assert.equal(r.code, 0, r.err);
  const j = JSON.parse(r.out);
  assert.equal(j.heads.length, 16);
  assert.ok(Math.abs(j.lossSecondCopy - ref.probe.lossSecondCopy) < 1e-3);
});

test('bad input: one line on stderr, exit code 2, nothing on stdout', () => {
  const broken = fs.mkdtempSync(path.join(tmp, 'broken-'));
  fs.writeFileSync(path.join(broken, 'model.json'), '{');
  const cases: [string[], RegExp][] = [
    [[], /usage/],
    [['frobnicate'], /unknown command "frobnicate"/],
    [['analyze'], /analyze needs a FILE/],
    [['analyze', path.join(tmp, 'missing.txt')], /cannot be read \(ENOENT\)/],
    [['analyze', file('empty.txt', '  \n\t')], /is empty/],
    [['analyze', file('bin.dat', Buffer.from([0x50, 0x4b, 0x03, 0x04, 0x00, 0x00, 0xff]))], /looks binary/],
    [['analyze', file('latin1.txt', Buffer.from([0x63, 0x61, 0x66, 0xe9, 0x0a]))], /not valid UTF-8/],
    [['analyze', file('ok.txt', 'hello'), '--model', broken], /model\.json: not valid JSON/],
    [['analyze', file('ok2.txt', 'hello'), '--top-k', 'x'], /--top-k must be an integer/],
    [['circuits'], /add --json/],
  ];
  for (const [args, pattern] of cases) {
    const r = cli(...args);
    assert.equal(r.code, 2, `${args.join(' ')}: exit ${r.code}`);
    assert.equal(r.out, '', `${args.join(' ')}: stdout must stay empty`);
    assert.match(r.err, pattern);
    if (args.length) assert.equal(r.err.trim().split('\n').length, 1, `${args.join(' ')}: one line`);
  }
});

test('circuits --json has the documented fields', () => {
  const r = cli('circuits', '--json');
  assert.equal(r.code, 0, r.err);
  const j = JSON.parse(r.out);
  assert.deepEqual(Object.keys(j), ['copying', 'kComposition', 'previousTokenQK']);
  assert.deepEqual(Object.keys(j.copying[0]), ['layer', 'head', 'eigenCopyingScore', 'top1Accuracy']);
  assert.equal(j.kComposition.scores.length, 8);
  assert.equal(j.kComposition.scores[0].length, 8);
  assert.ok(Math.abs(j.kComposition.scores[2][3] - ref.circuits.kComposition[2][3]) < 1e-5);
  assert.deepEqual(Object.keys(j.previousTokenQK), ['head', 'subDiagonalMass']);
});

test('analyze --model on a Hugging Face folder: events, losses and ablation gains equal the PyTorch reference', () => {
  const dir = path.join(ROOT, 'test', 'fixtures', 'hf-models', 'tiny-pythia');
  const hfRef = JSON.parse(fs.readFileSync(path.join(ROOT, 'test', 'fixtures', 'tiny-pythia', 'reference.json'), 'utf8')) as typeof ref;
  const f = file('hf-sample.txt', hfRef.text);
  const r = cli('analyze', f, '--model', dir, '--json', '--induction-threshold', String(hfRef.inductionThreshold));
  assert.equal(r.code, 0, r.err);
  const j = JSON.parse(r.out);
  assert.equal(j.model.id, 'tiny-pythia');
  assert.deepEqual(j.tokens.map((t: { id: number }) => t.id), hfRef.analysis.ids);
  assert.deepEqual(j.inductionHeads, hfRef.analysis.inductionHeads);
  assert.equal(j.events.length, hfRef.analysis.events.length);
  for (const [i, e] of j.events.entries()) {
    const want = hfRef.analysis.events[i];
    assert.deepEqual([e.query, e.source, e.successorId, e.head], [want.query, want.source, want.successorId, want.head]);
    assert.ok(Math.abs(e.attention - want.attention) < 1e-4 && Math.abs(e.prob - want.prob) < 1e-4);
  }
  for (const [i, l] of j.loss.entries()) if (l !== null) assert.ok(Math.abs(l - hfRef.analysis.loss[i]!) < 1e-3, `loss ${i}`);
  for (const [i, g] of j.ablationGain.entries()) if (g !== null) assert.ok(Math.abs(g - hfRef.analysis.ablationGain[i]!) < 1e-3, `gain ${i}`);
  const c = cli('circuits', '--model', dir, '--json');
  assert.equal(c.code, 2);
  assert.match(c.err, /LayerNorm and MLPs, so the weight-based circuits would only be approximations/);
});
