// Bundles every entry point with esbuild.
// `node scripts/build/build.mjs [--tests] [--watch] [--minify] [--outdir DIR]` (the extension's
// bundles in DIR instead of dist/: the packaging script builds into its staging folder).
import * as esbuild from 'esbuild';
import * as fs from 'fs';
import * as path from 'path';

const args = new Set(process.argv.slice(2));
const outIndex = process.argv.indexOf('--outdir');
const dist = outIndex > 0 ? process.argv[outIndex + 1] : 'dist';
const minify = args.has('--minify');
const common = { bundle: true, sourcemap: !minify, minify, logLevel: 'warning', target: 'es2022' };
const node = { ...common, platform: 'node', format: 'cjs', external: ['vscode', 'onnxruntime-node'] };

const builds = [
  { ...node, entryPoints: { extension: 'src/extension/extension.ts', worker: 'src/worker/inferenceWorker.ts' }, outdir: dist },
  { ...node, entryPoints: { cli: 'src/cli/bin.ts' }, outdir: dist, banner: { js: '#!/usr/bin/env node' } },
  { ...common, platform: 'browser', format: 'iife', entryPoints: { main: 'webview/main.ts' }, outdir: path.join(dist, 'webview') },
];

if (args.has('--tests')) {
  const list = (dir) => (fs.existsSync(dir) ? fs.readdirSync(dir).filter((f) => f.endsWith('.ts')).map((f) => path.join(dir, f)) : []);
  builds.push({ ...node, sourcemap: true, minify: false, entryPoints: list('test/unit'), outdir: 'dist-test/unit' });
  builds.push({ ...node, sourcemap: true, minify: false, entryPoints: list('test/e2e/suite'), outdir: 'dist-test/e2e/suite' });
  builds.push({ ...node, sourcemap: true, minify: false, entryPoints: list('test/e2e/perf'), outdir: 'dist-test/e2e/perf' });
  builds.push({ ...node, sourcemap: true, minify: false, entryPoints: list('test/e2e/untrusted'), outdir: 'dist-test/e2e/untrusted' });
  builds.push({ ...node, sourcemap: false, minify: false, entryPoints: ['test/support/workerPool.ts', 'test/support/engineApi.ts'].filter((p) => fs.existsSync(p)), outdir: 'dist-test/support' });
}

const present = builds.filter((b) => Object.values(b.entryPoints).length && Object.values(b.entryPoints).every((p) => fs.existsSync(p)));
if (args.has('--watch')) {
  for (const b of present) (await esbuild.context(b)).watch();
} else {
  await Promise.all(present.map((b) => esbuild.build(b)));
  fs.mkdirSync(path.join(dist, 'webview'), { recursive: true });
  for (const f of ['style.css', 'index.html']) fs.copyFileSync(path.join('webview', f), path.join(dist, 'webview', f));
  const el = 'node_modules/@vscode-elements/elements/dist/bundled.js';
  if (fs.existsSync(el)) fs.copyFileSync(el, path.join(dist, 'webview', 'elements.js'));
}
