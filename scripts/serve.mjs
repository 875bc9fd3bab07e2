// Starts code-server with the packaged extension installed on a fresh profile and the samples.
import * as fs from 'fs';
import * as path from 'path';
import { installVsix, makeWorkspace, startCodeServer, RUN_DIR } from '../test/e2e/harness.mjs';

const d = makeWorkspace('start', { 'inductionLens.openPanel': true });
installVsix(d);
const server = await startCodeServer(d);
const url = `${server.url}/?folder=${encodeURIComponent(d.workspace)}`;
console.log(`\nInduction Lens is running in VS Code (code-server) at:\n\n  ${url}\n`);
console.log(`Open a sample (random-words.txt, identifiers.py), select text and press Ctrl+Alt+I`);
console.log(`(or F1 → "Induction Lens: Show Induction Attention"). Ctrl+C stops the server.\n`);
const stop = () => {
  server.stop();
  fs.rmSync(RUN_DIR, { recursive: true, force: true });
  process.exit(0);
};
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
setInterval(() => undefined, 1 << 30);
void path;
