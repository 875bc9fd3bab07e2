// Starts VS Code (code-server 4.100.3 = VS Code 1.100.3) on a free loopback port with a fresh
// profile: the one launcher used by `npm start` (scripts/dev/serve.mjs) and by the real-VS-Code
// tests (test/e2e/harness.mjs). Offline: no gallery, no telemetry, private XDG folders.
import { spawn, execFileSync } from 'child_process';
import * as fs from 'fs';
import * as net from 'net';
import * as path from 'path';
import { fileURLToPath } from 'url';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const TOOLS = path.join(ROOT, '.e2e', 'tools', 'node_modules');
const CODE_SERVER = path.join(TOOLS, 'code-server', 'out', 'node', 'entry.js');

function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.listen(0, '127.0.0.1', () => {
      const p = s.address().port;
      s.close(() => resolve(p));
    });
    s.on('error', reject);
  });
}

/**
 * Fresh folders under `runDir/name` (profile, extensions, XDG, workspace) and the profile's
 * settings: quiet defaults plus `settings`. Returns the folder paths.
 */
export function makeProfile(runDir, name, settings) {
  const dir = path.join(runDir, name);
  const d = { root: dir, userData: path.join(dir, 'user-data'), extensions: path.join(dir, 'extensions'), xdg: path.join(dir, 'xdg'), workspace: path.join(dir, 'workspace') };
  for (const p of Object.values(d)) fs.mkdirSync(p, { recursive: true });
  fs.mkdirSync(path.join(d.userData, 'User'), { recursive: true });
  fs.writeFileSync(path.join(d.userData, 'User', 'settings.json'), JSON.stringify({
    'workbench.startupEditor': 'none',
    'security.workspace.trust.enabled': false,
    'telemetry.telemetryLevel': 'off',
    'workbench.tips.enabled': false,
    'extensions.autoCheckUpdates': false,
    'extensions.autoUpdate': false,
    'update.mode': 'none',
    'editor.hover.delay': 150,
    'editor.minimap.enabled': false,
    'workbench.colorTheme': 'Default Dark Modern',
    'chat.disableAIFeatures': true,
    ...settings,
  }, null, 1));
  return d;
}

/** `trust: true` starts code-server with workspace trust on (the default of real VS Code). */
export async function startCodeServer(d, { trust = false, testHooks = false } = {}) {
  const port = await freePort();
  const env = { ...process.env, ...(testHooks ? { IL_E2E_TEST_HOOKS: '1' } : {}), EXTENSIONS_GALLERY: '{}', XDG_CONFIG_HOME: path.join(d.xdg, 'config'), XDG_DATA_HOME: path.join(d.xdg, 'data'), XDG_CACHE_HOME: path.join(d.xdg, 'cache') };
  const log = fs.openSync(path.join(d.root, 'code-server.log'), 'a');
  const proc = spawn(process.execPath, [CODE_SERVER, '--bind-addr', `127.0.0.1:${port}`, '--auth', 'none', '--disable-telemetry', '--disable-update-check',
    ...(trust ? [] : ['--disable-workspace-trust']), '--user-data-dir', d.userData, '--extensions-dir', d.extensions, d.workspace], { env, detached: true, stdio: ['ignore', log, log] });
  const url = `http://127.0.0.1:${port}`;
  const t0 = Date.now();
  for (;;) {
    try {
      const r = await fetch(`${url}/healthz`);
      if (r.ok) break;
    } catch { /* not yet */ }
    if (proc.exitCode !== null) throw new Error(`code-server exited (${proc.exitCode}); see ${d.root}/code-server.log`);
    if (Date.now() - t0 > 30000) throw new Error('code-server did not answer /healthz in 30 s');
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    port, url, proc,
    stop() {
      try { process.kill(-proc.pid, 'SIGTERM'); } catch { /* gone */ }
    },
  };
}

export function installVsix(d) {
  const vsix = path.join(ROOT, 'induction-lens-linux-x64.vsix');
  if (!fs.existsSync(vsix)) execFileSync(process.execPath, ['scripts/build/package.mjs'], { cwd: ROOT, stdio: 'inherit' });
  execFileSync(process.execPath, [CODE_SERVER, '--extensions-dir', d.extensions, '--user-data-dir', d.userData, '--install-extension', vsix], {
    env: { ...process.env, EXTENSIONS_GALLERY: '{}', XDG_CONFIG_HOME: path.join(d.xdg, 'config'), XDG_DATA_HOME: path.join(d.xdg, 'data') }, stdio: 'pipe',
  });
}
