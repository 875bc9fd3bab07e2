// Builds platform-specific VSIXs:
//   node scripts/build/package.mjs [--target <platform>|all] [--out-dir <dir>]
// With no --target: linux-x64, `induction-lens-linux-x64.vsix` in the repository root (the
// end-to-end tests install it). `--target all` writes one VSIX per platform onnxruntime-node 1.30
// ships a binding for. vsce runs in a staging folder holding a fresh minified build, the files
// the allow-list names and a link to node_modules: the repository's dist/ (a development build
// with source maps, which the unit tests may be running) is neither read nor rewritten.
//
// onnxruntime-node ships every platform's binaries; each VSIX keeps its own binding and the
// libraries that binding loads, once each, under the names it loads them by, and nothing else:
// no source maps, type declarations, tests, fixtures or training code (see .vscodeignore).
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

process.chdir(path.resolve(path.dirname(new URL(import.meta.url).pathname), '..', '..'));
const NAPI = 'node_modules/onnxruntime-node/bin/napi-v6';
const BINDING = 'onnxruntime_binding.node';

/** Per platform: its folder under NAPI and the files shipped from it (the libraries come from the
 *  binding's own load commands: ELF DT_NEEDED, Mach-O LC_LOAD_DYLIB, the PE import table; the
 *  packaging test reads them again from each VSIX). */
const TARGETS = {
  // The binding needs libonnxruntime.so.1 (RUNPATH $ORIGIN/).
  'linux-x64': { dir: 'linux/x64', files: [BINDING, 'libonnxruntime.so.1'] },
  'linux-arm64': { dir: 'linux/arm64', files: [BINDING, 'libonnxruntime.so.1'] },
  // The binding loads @rpath/libonnxruntime.1.dylib (LC_RPATH @loader_path), the library's own
  // install name. In the npm package libonnxruntime.1.dylib may be a symlink to
  // libonnxruntime.1.30.0.dylib, which vsce stored as a second full 44 MB copy: only the name the
  // binding loads is shipped, holding the real file's bytes (vsce reads through the symlink).
  'darwin-arm64': { dir: 'darwin/arm64', files: [BINDING, 'libonnxruntime.1.dylib'] },
  // The binding imports onnxruntime.dll (and system DLLs). DirectML.dll, dxcompiler.dll and
  // dxil.dll are left out (36 MB on disk and 17 MB in the VSIX for x64; 41 and 18 MB for arm64):
  // onnxruntime.dll names DirectML.dll only in its delay-load import table (with d3d12.dll and
  // dxgi.dll), so Windows loads it on the first call into it, which only the DirectML execution
  // provider makes; nothing imports dxcompiler.dll or dxil.dll: the WebGPU execution provider
  // loads them with LoadLibrary. The extension's sessions use the default, CPU, provider only.
  'win32-x64': { dir: 'win32/x64', files: [BINDING, 'onnxruntime.dll'] },
  'win32-arm64': { dir: 'win32/arm64', files: [BINDING, 'onnxruntime.dll'] },
};

function packageTarget(target, stage, outDir, tmp) {
  const { dir, files } = TARGETS[target];
  for (const f of files) {
    // Through symlinks: the file vsce will store must be a regular file.
    if (!fs.statSync(path.join(NAPI, dir, f), { throwIfNoEntry: false })?.isFile()) {
      throw new Error(`package: ${NAPI}/${dir}/${f} is missing (reinstall onnxruntime-node 1.30)`);
    }
  }
  // .vscodeignore lists the linux-x64 binaries (so a bare `vsce package` gives that VSIX); every
  // line naming a binary is replaced by this platform's files.
  const lines = fs.readFileSync('.vscodeignore', 'utf8').split('\n').filter((l) => !l.includes(NAPI));
  const ignoreFile = path.join(tmp, `vscodeignore.${target}`);
  fs.writeFileSync(ignoreFile, [...lines, ...files.map((f) => `!${NAPI}/${dir}/${f}`), ''].join('\n'));
  const out = path.join(outDir, `induction-lens-${target}.vsix`);
  execFileSync(process.execPath, [path.resolve('node_modules/@vscode/vsce/vsce'), 'package', '--target', target, '--ignoreFile', ignoreFile, '--out', out, '--allow-missing-repository', '--skip-license', '--no-rewrite-relative-links'], { cwd: stage, stdio: 'inherit' });
  console.log(`package: ${out} (${(fs.statSync(out).size / 2 ** 20).toFixed(2)} MB)`);
}

/** The folder vsce packages: the minified bundles, the files outside dist/ the allow-list names
 *  (copied: vsce does not descend into linked folders) and node_modules (linked: vsce reads the
 *  production dependencies through it, as it does in the repository). */
function stageFolder(tmp) {
  const stage = path.join(tmp, 'stage');
  fs.mkdirSync(stage);
  execFileSync(process.execPath, ['scripts/build/build.mjs', '--minify', '--outdir', path.join(stage, 'dist')], { stdio: 'inherit' });
  for (const f of ['package.json', 'package.nls.json', 'l10n', 'README.md', 'CHANGELOG.md', 'LICENSE', 'media', 'samples']) fs.cpSync(f, path.join(stage, f), { recursive: true });
  fs.symlinkSync(path.resolve('node_modules'), path.join(stage, 'node_modules'), 'junction');
  return stage;
}

const arg = (name) => {
  const i = process.argv.indexOf(name);
  return i > 0 ? process.argv[i + 1] : undefined;
};
const target = arg('--target') ?? 'linux-x64';
if (target !== 'all' && !TARGETS[target]) {
  console.error(`package: unknown target ${target}; one of ${Object.keys(TARGETS).join(', ')}, or all`);
  process.exit(2);
}
const outDir = path.resolve(arg('--out-dir') ?? '.');
fs.mkdirSync(outDir, { recursive: true });
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'il-package-'));
try {
  const stage = stageFolder(tmp);
  for (const t of target === 'all' ? Object.keys(TARGETS) : [target]) packageTarget(t, stage, outDir, tmp);
} finally {
  // The link first, on its own: nothing may walk into the repository's node_modules.
  fs.rmSync(path.join(tmp, 'stage', 'node_modules'), { force: true });
  fs.rmSync(tmp, { recursive: true, force: true });
}
