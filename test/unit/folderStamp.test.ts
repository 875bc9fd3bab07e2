import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { folderStamp } from '../../src/extension/folderStamp';

test('a folder stamp changes when a file is rewritten, grows or appears, and not otherwise', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'il-stamp-'));
  try {
    fs.writeFileSync(path.join(dir, 'model.safetensors'), 'abcd');
    fs.writeFileSync(path.join(dir, 'config.json'), '{}');
    const s0 = folderStamp(dir);
    assert.equal(folderStamp(dir), s0, 'stable');
    const t = new Date(Date.now() + 5000);
    fs.utimesSync(path.join(dir, 'model.safetensors'), t, t);
    const s1 = folderStamp(dir);
    assert.notEqual(s1, s0, 'same size, new modification time');
    fs.appendFileSync(path.join(dir, 'config.json'), ' ');
    const s2 = folderStamp(dir);
    assert.notEqual(s2, s1, 'new size');
    fs.writeFileSync(path.join(dir, 'tokenizer.json'), '{}');
    assert.notEqual(folderStamp(dir), s2, 'a new file');
    // A FIFO in the folder is only stat'ed, never opened: the stamp returns at once.
    execFileSync('mkfifo', [path.join(dir, 'pipe')]);
    const t0 = Date.now();
    folderStamp(dir);
    assert.ok(Date.now() - t0 < 1000);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
