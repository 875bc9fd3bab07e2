// Work is bounded by what is analyzed, not by the size of the text: the text is cut by characters
// before it is tokenized, and the CLI reads no more of a file than it can use.
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { execFileSync, spawnSync } from 'child_process';
import { textBudget, tokensWithinAttentionBudget } from '../../src/engine/analysis';
import { TextTokenizer } from '../../src/engine/tokenizer';
import { main } from '../../src/cli/main';
import { MODEL_DIR } from '../support/fixtures';

const tok = new TextTokenizer(JSON.parse(fs.readFileSync(path.join(MODEL_DIR, 'tokenizer.json'), 'utf8')));

/** Real text: Python's standard library on this machine, else this project's sources. */
function realText(chars: number): string {
  const dirs = ['/usr/lib/python3.11', path.join(__dirname, '..', '..', 'src', 'engine')];
  let text = '';
  for (const dir of dirs.filter((d) => fs.existsSync(d))) {
    for (const f of fs.readdirSync(dir).filter((x) => /\.(py|ts)$/.test(x)).sort()) {
      text += fs.readFileSync(path.join(dir, f), 'utf8');
      if (text.length >= chars) return text.slice(0, chars);
    }
  }
  return text;
}

test('cutting the text before tokenizing keeps exactly the first maxTokens tokens of the whole text', () => {
  const text = realText(2_000_000) + ' naïve 本当 👨‍👩‍👧 ' .repeat(500);
  const whole = tok.encode(text).ids;
  for (const n of [16, 100, 512, 2048, 8192]) {
    const cut = text.slice(0, Math.min(text.length, textBudget(tok, n)));
    assert.ok(cut.length < text.length, `the budget for ${n} tokens cuts the text`);
    assert.deepEqual(Array.from(tok.encode(cut).ids.subarray(0, n)), Array.from(whole.subarray(0, n)), `first ${n} tokens`);
  }
});

test('the attention patterns kept stay within the budget', () => {
  const gpt2Small = { nLayers: 12, nHeads: 12, nCtx: 1024 };
  const perWindow = 12 * 12 * 1024 * 1024 * 4;
  assert.equal(tokensWithinAttentionBudget(8192, gpt2Small, 2 * 2 ** 30), 1023 + 2 * 511, 'three windows of GPT-2 small fit in 2 GiB');
  assert.equal(tokensWithinAttentionBudget(8192, gpt2Small, perWindow - 1), 1023, 'one window at least');
  assert.equal(tokensWithinAttentionBudget(500, gpt2Small, 1), 500, 'one window always fits');
  const bundled = { nLayers: 2, nHeads: 8, nCtx: 512 };
  assert.equal(tokensWithinAttentionBudget(8192, bundled, 2 * 2 ** 30), 8192);
});

test('the CLI on a 20 MB file: seconds, bounded memory, and it says where it cut', { timeout: 60000 }, async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'il-big-'));
  const file = path.join(dir, 'big.py');
  const chunk = realText(1_000_000);
  const fd = fs.openSync(file, 'w');
  for (let written = 0; written < 20e6; written += chunk.length) fs.writeSync(fd, chunk);
  fs.closeSync(fd);
  // The real CLI bundle in its own process, which reports its peak memory when it ends.
  const cli = path.join(__dirname, '..', '..', 'dist', 'cli.js');
  const script = `require(${JSON.stringify(cli)}).main(process.argv.slice(1)).then((c) => { process.stderr.write('MAXRSS ' + process.resourceUsage().maxRSS + '\\n'); process.exitCode = c; })`;
  const t0 = Date.now();
  const r = spawnSync(process.execPath, ['-e', script, 'analyze', file, '--json', '--max-tokens', '2048', '--model', MODEL_DIR], { encoding: 'utf8', maxBuffer: 1 << 28 });
  const ms = Date.now() - t0;
  fs.rmSync(dir, { recursive: true, force: true });
  const maxRssMb = Number(/MAXRSS (\d+)/.exec(r.stderr)?.[1]) / 1024;
  assert.equal(r.status, 0, r.stderr);
  const out = [r.stdout];
  const err = [r.stderr];
  const j = JSON.parse(out.join(''));
  assert.equal(j.tokens.length, 2048);
  assert.match(err.join(''), /analyzed the first 2048 tokens .* the rest was cut \(--max-tokens 2048\)/);
  console.log(`# CLI on a 20 MB file: ${ms} ms, peak memory ${maxRssMb.toFixed(0)} MB`);
  assert.ok(ms < 20000, `took ${ms} ms`);
  assert.ok(maxRssMb < 600, `peak memory ${maxRssMb.toFixed(0)} MB`);
});

test('the CLI refuses a FIFO and --max-tokens outside its range', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'il-fifo-'));
  const fifo = path.join(dir, 'pipe.txt');
  execFileSync('mkfifo', [fifo]);
  const err: string[] = [];
  const write = process.stderr.write.bind(process.stderr);
  process.stderr.write = ((s: string) => err.push(String(s)) > 0);
  try {
    assert.equal(await main(['analyze', fifo, '--model', MODEL_DIR]), 2);
    assert.equal(await main(['analyze', fifo, '--max-tokens', '100000']), 2);
  } finally {
    process.stderr.write = write;
    fs.rmSync(dir, { recursive: true, force: true });
  }
  assert.match(err[0], /is not a regular file/);
  assert.match(err[1], /--max-tokens must be an integer from 16 to 8192/);
});
