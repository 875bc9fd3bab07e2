// Runs the perf suite (test/e2e/perf) inside code-server and returns its JSON.
import * as fs from 'fs';
import * as path from 'path';
import { fileURLToPath } from 'url';
import { launchBrowser, makeWorkspace, startCodeServer } from './harness.mjs';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

export async function perfInVsCode() {
  const browser = await launchBrowser();
  const d = makeWorkspace('perf', {});
  const server = await startCodeServer(d);
  try {
    const remote = (p) => `vscode-remote://127.0.0.1:${server.port}${p}`;
    const payload = [['extensionDevelopmentPath', remote(ROOT)], ['extensionTestsPath', remote(path.join(ROOT, 'dist-test', 'e2e', 'perf', 'index'))]];
    const page = await browser.newPage({ viewport: { width: 1600, height: 1000 } });
    let done;
    const exited = new Promise((r) => (done = r));
    await page.exposeFunction('codeAutomationExit', (code) => done(code));
    await page.goto(`${server.url}/?folder=${encodeURIComponent(d.workspace)}&payload=${encodeURIComponent(JSON.stringify(payload))}`);
    const code = await Promise.race([exited, new Promise((r) => setTimeout(() => r('timeout'), 300000))]);
    const f = path.join(d.workspace, '.il-perf.json');
    if (!fs.existsSync(f)) throw new Error(`perf suite produced no results (exit ${code})`);
    return JSON.parse(fs.readFileSync(f, 'utf8'));
  } finally {
    server.stop();
    await browser.close();
  }
}
