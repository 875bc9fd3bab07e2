// `npm start`: code-server with the packaged extension installed on a fresh profile and the
// samples open. Uses the same launcher as the real-VS-Code tests, nothing of the test harness.
import * as fs from 'fs';
import * as path from 'path';
import { installVsix, makeProfile, ROOT, startCodeServer } from './codeServer.mjs';

const runDir = path.join(ROOT, '.e2e', `start-${Date.now()}`);
const d = makeProfile(runDir, 'start', { 'inductionLens.openPanel': true });
for (const f of fs.readdirSync(path.join(ROOT, 'samples'))) fs.copyFileSync(path.join(ROOT, 'samples', f), path.join(d.workspace, f));
installVsix(d);
const server = await startCodeServer(d);
const url = `${server.url}/?folder=${encodeURIComponent(d.workspace)}`;
console.log(`\nInduction Lens is running in VS Code (code-server) at:\n\n  ${url}\n`);
console.log('Open a sample (random-words.txt, identifiers.py), select text and press Ctrl+Alt+I');
console.log('(or F1 → "Induction Lens: Show Induction Attention"). Ctrl+C stops the server.\n');
const stop = () => {
  server.stop();
  fs.rmSync(runDir, { recursive: true, force: true });
  process.exit(0);
};
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
setInterval(() => undefined, 1 << 30);
