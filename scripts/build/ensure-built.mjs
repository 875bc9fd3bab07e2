// Scripts that load the bundles (bench, bench-hf, measure-blocking) build them first, so they work
// straight after `npm start` (which builds only the extension, not the test support bundles).
import { execFileSync } from 'child_process';
import * as path from 'path';

const ROOT = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..', '..');

export function ensureBuilt() {
  for (const args of [[], ['--tests']]) execFileSync(process.execPath, ['scripts/build/build.mjs', ...args], { cwd: ROOT, stdio: 'inherit' });
}
