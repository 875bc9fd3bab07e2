// Real-VS-Code test harness: starts code-server (VS Code 1.100.3) on a free loopback port with
// fresh folders, drives it with Debian's headless Chromium through playwright-core, runs
//   1. the extension-host tests (test/e2e/suite, standard run() entry) against the dev build,
//   2. the browser tests (test/e2e/ui.mjs) against the packaged VSIX,
// stops everything it started and prints one `N passed, N failed` line.
import * as fs from 'fs';
import * as path from 'path';
import { createRequire } from 'module';
import { fileURLToPath } from 'url';
import { installVsix, makeProfile, ROOT, startCodeServer, TOOLS } from '../../scripts/dev/codeServer.mjs';

export { installVsix, startCodeServer };
const require = createRequire(path.join(TOOLS, 'x.js'));
const { chromium } = require('playwright-core');
const only = process.argv.includes('--ui-only') ? 'ui' : process.argv.includes('--host-only') ? 'host' : process.argv.includes('--walkthrough-only') ? 'walkthrough' : 'all';

export const RUN_DIR = path.join(ROOT, '.e2e', `run-${Date.now()}`);
/** A Hugging Face test model to select for the whole run (IL_E2E_MODEL=tiny-pythia), or null. */
export const E2E_MODEL = process.env.IL_E2E_MODEL || null;
export const SHOTS = path.join(ROOT, 'test-results', 'screenshots', ...(E2E_MODEL ? [E2E_MODEL] : []));

/** A fresh profile and workspace; the workspace holds the fixture texts. */

/** The model folder the run selects (copied into the workspace), or null for the bundled model. */
export function e2eModelDir(d) {
  return E2E_MODEL ? path.join(d.workspace, 'models', E2E_MODEL) : null;
}

export function makeWorkspace(name, settings) {
  const d = makeProfile(RUN_DIR, name, settings);
  fs.mkdirSync(path.join(d.workspace, 'fixtures'), { recursive: true });
  fs.copyFileSync(path.join(ROOT, 'test', 'fixtures', E2E_MODEL ?? 'attn-only-2l', 'reference.json'), path.join(d.workspace, 'fixtures', 'reference.json'));
  if (E2E_MODEL) {
    fs.cpSync(path.join(ROOT, 'test', 'fixtures', 'hf-models', E2E_MODEL), e2eModelDir(d), { recursive: true });
    fs.writeFileSync(path.join(d.workspace, 'fixtures', 'selected-model.txt'), e2eModelDir(d));
  }
  // A small Hugging Face model for tests that change model files.
  fs.cpSync(path.join(ROOT, 'test', 'fixtures', 'hf-models', 'tiny-gpt2'), path.join(d.workspace, 'fixtures', 'tiny-gpt2'), { recursive: true });
  const ref = JSON.parse(fs.readFileSync(path.join(d.workspace, 'fixtures', 'reference.json'), 'utf8'));
  fs.writeFileSync(path.join(d.workspace, 'repeated.txt'), ref.text);
  for (const f of fs.readdirSync(path.join(ROOT, 'samples'))) fs.copyFileSync(path.join(ROOT, 'samples', f), path.join(d.workspace, f));
  return d;
}

export async function launchBrowser() {
  return chromium.launch({
    executablePath: '/usr/bin/chromium',
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--disable-dev-shm-usage'],
  });
}

/**
 * Runs an extension-test suite (a standard run() entry under dist-test/e2e/<suite>) inside
 * code-server's extension host against the dev build; returns the JSON file the suite wrote
 * into the workspace, or null, with the exit code.
 */
export async function runSuite(browser, suite, resultFile, timeoutMs, { trust = false, prepare = () => undefined } = {}) {
  const d = makeWorkspace(suite, trust ? { 'security.workspace.trust.enabled': true, 'security.workspace.trust.startupPrompt': 'never' } : {});
  prepare(d);
  const server = await startCodeServer(d, { trust, testHooks: true });
  try {
    const remote = (p) => `vscode-remote://127.0.0.1:${server.port}${p}`;
    const payload = [['extensionDevelopmentPath', remote(ROOT)], ['extensionTestsPath', remote(path.join(ROOT, 'dist-test', 'e2e', suite, 'index'))]];
    const page = await browser.newPage({ viewport: { width: 1600, height: 1000 } });
    let resolveExit;
    const exited = new Promise((r) => (resolveExit = r));
    await page.exposeFunction('codeAutomationExit', (code) => resolveExit(code));
    await page.goto(`${server.url}/?folder=${encodeURIComponent(d.workspace)}&payload=${encodeURIComponent(JSON.stringify(payload))}`);
    const code = await Promise.race([exited, new Promise((r) => setTimeout(() => r('timeout'), timeoutMs))]);
    await page.close();
    const file = path.join(d.workspace, resultFile);
    return { code, log: path.join(d.root, 'code-server.log'), result: fs.existsSync(file) ? JSON.parse(fs.readFileSync(file, 'utf8')) : null };
  } finally {
    server.stop();
  }
}

async function hostTests(browser) {
  const { code, log, result } = await runSuite(browser, 'suite', '.il-e2e-results.json', 240000);
  return result?.length ? result : [{ name: 'extension-host test run', ok: false, error: `no results (exit ${code}); ${progressOf(log)}see ${log}` }];
}

/** What a suite that ended early had done (its progress file, beside the results). */
function progressOf(log) {
  const file = path.join(path.dirname(log), 'workspace', '.il-e2e-progress.json');
  if (!fs.existsSync(file)) return 'no test finished; ';
  const done = JSON.parse(fs.readFileSync(file, 'utf8'));
  return `${done.length} tests finished, the last "${done.at(-1)?.name}"; `;
}

/**
 * The extension in an untrusted workspace (workspace trust on, the folder never trusted): the
 * workspace's own settings name a model folder inside it, which must not be used.
 */
async function untrustedTests(browser) {
  const prepare = (d) => {
    const evil = path.join(d.workspace, 'workspace-model');
    fs.cpSync(path.join(ROOT, 'test', 'fixtures', 'hf-models', 'tiny-gpt2'), evil, { recursive: true });
    fs.mkdirSync(path.join(d.workspace, '.vscode'), { recursive: true });
    fs.writeFileSync(path.join(d.workspace, '.vscode', 'settings.json'), JSON.stringify({
      'inductionLens.modelPath': 'workspace-model', 'inductionLens.modelFolders': [evil],
    }, null, 1));
  };
  const { code, log, result } = await runSuite(browser, 'untrusted', '.il-e2e-results.json', 120000, { trust: true, prepare });
  return result?.length ? result : [{ name: 'untrusted-workspace test run', ok: false, error: `no results (exit ${code}); see ${log}` }];
}

async function main() {
  fs.mkdirSync(RUN_DIR, { recursive: true });
  fs.mkdirSync(SHOTS, { recursive: true });
  const browser = await launchBrowser();
  const results = [];
  try {
    if (only === 'host' || only === 'all') {
      results.push(...(await hostTests(browser)).map((r) => ({ ...r, name: `host: ${r.name}` })));
      results.push(...(await untrustedTests(browser)).map((r) => ({ ...r, name: `untrusted workspace: ${r.name}` })));
    }
    if (only === 'ui' || only === 'all') {
      const { uiTests, realFileTests } = await import('./ui.mjs');
      results.push(...(await uiTests(browser)).map((r) => ({ ...r, name: `ui: ${r.name}` })));
      results.push(...(await realFileTests(browser)).map((r) => ({ ...r, name: `ui: ${r.name}` })));
    }
    if (only !== 'host') {
      const { walkthroughTests } = await import('./walkthrough.mjs');
      results.push(...(await walkthroughTests(browser)).map((r) => ({ ...r, name: `ui: ${r.name}` })));
    }
  } catch (e) {
    results.push({ name: 'harness', ok: false, error: e.stack ?? String(e) });
  } finally {
    await browser.close();
  }
  for (const r of results) {
    console.log(`${r.ok ? 'ok  ' : 'FAIL'} ${r.name}${r.ms !== undefined ? ` (${r.ms} ms)` : ''}`);
    if (!r.ok) console.log(`     ${String(r.error).split('\n').slice(0, 8).join('\n     ')}`);
  }
  const passed = results.filter((r) => r.ok).length;
  const failed = results.length - passed;
  console.log(`e2e${E2E_MODEL ? ` (${E2E_MODEL} selected)` : ''}: ${passed} passed, ${failed} failed`);
  // A failed run keeps its folders (profiles, code-server logs) for a look.
  if (!process.env.IL_KEEP_E2E && !failed) fs.rmSync(RUN_DIR, { recursive: true, force: true });
  process.exit(failed ? 1 : 0);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) main();
