// The VSIXs `npm run package -- --target all` writes (scripts/build/package.mjs), opened one by one:
// each holds its platform's onnxruntime binding and the libraries that binding loads (read from
// the binaries in the VSIX), once each, and nothing of other platforms, no tests, fixtures,
// training code, type declarations or source maps; the bundled model's weights once
// (no model.onnx); under 20 MB (2^20 bytes, as vsce counts) outside Windows' DirectML files.
// The five VSIXs are built once (about 20 s).
import { after, before, test } from 'node:test';
import * as assert from 'node:assert/strict';
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import AdmZip from 'adm-zip';
import { ROOT } from '../support/fixtures';
import { nativeImports } from '../support/nativeImports';

const NAPI = 'extension/node_modules/onnxruntime-node/bin/napi-v6';
const BINDING = 'onnxruntime_binding.node';
/** Each platform's folder in onnxruntime-node 1.30 and the library its binding loads from it. */
const TARGETS: Record<string, { dir: string; libraries: string[] }> = {
  'linux-x64': { dir: 'linux/x64', libraries: ['libonnxruntime.so.1'] },
  'linux-arm64': { dir: 'linux/arm64', libraries: ['libonnxruntime.so.1'] },
  'darwin-arm64': { dir: 'darwin/arm64', libraries: ['libonnxruntime.1.dylib'] },
  'win32-x64': { dir: 'win32/x64', libraries: ['onnxruntime.dll'] },
  'win32-arm64': { dir: 'win32/arm64', libraries: ['onnxruntime.dll'] },
};
const DIRECTML = /\/(DirectML|dxcompiler|dxil)\.dll$/i;
const MB = 2 ** 20;
const BUDGET = 20 * MB;
const MODEL = 'extension/media/models/attn-only-2l';

const vsce = path.join(ROOT, 'node_modules', '@vscode', 'vsce', 'vsce');
const skip = fs.existsSync(vsce) ? false : `vsce is missing (${vsce}): run npm ci to package and check the VSIXs`;
let outDir = '';

before(() => {
  if (skip) return;
  outDir = fs.mkdtempSync(path.join(os.tmpdir(), 'il-vsix-'));
  // package.mjs builds its own minified bundles in a staging folder: the dist/ the unit tests
  // beside this one run is left alone.
  try {
    execFileSync(process.execPath, ['scripts/build/package.mjs', '--target', 'all', '--out-dir', outDir], { cwd: ROOT, stdio: 'pipe', maxBuffer: 64 * MB });
  } catch (e) {
    const err = e as { stdout?: Buffer; stderr?: Buffer };
    throw new Error(`package.mjs --target all failed:\n${String(err.stdout ?? '')}\n${String(err.stderr ?? '')}`);
  }
});

after(() => {
  if (outDir) fs.rmSync(outDir, { recursive: true, force: true });
});

function open(target: string) {
  const file = path.join(outDir, `induction-lens-${target}.vsix`);
  const entries = new AdmZip(file).getEntries().filter((e) => !e.isDirectory);
  return { file, entries, names: entries.map((e) => e.entryName) };
}

for (const [target, { dir, libraries }] of Object.entries(TARGETS)) {
  test(`${target}: the binding and the libraries it loads once each, no other platform's files, the model's weights once, under 20 MB`, { skip }, () => {
    const { file, entries, names } = open(target);
    assert.equal(new Set(names).size, names.length, 'no file twice');
    const data = (name: string) => entries.find((e) => e.entryName === name)!.getData();

    // Native files: the binding, then every library it (and they) load that onnxruntime-node
    // ships for this platform; exactly those, all in the platform's folder.
    const bin = names.filter((n) => n.includes('/onnxruntime-node/bin/'));
    for (const n of bin) assert.ok(n.startsWith(`${NAPI}/${dir}/`), `${n}: another platform's file`);
    const shipped = new Set(fs.readdirSync(path.join(ROOT, 'node_modules/onnxruntime-node/bin/napi-v6', dir)).map((f) => f.toLowerCase()));
    const loads = new Set<string>();
    const visit = (name: string) => {
      assert.ok(names.includes(`${NAPI}/${dir}/${name}`), `${name} is missing`);
      const imports = nativeImports(data(`${NAPI}/${dir}/${name}`));
      if (name === BINDING && imports.format !== 'pe') assert.ok(imports.searchPaths.some((p) => /^(\$ORIGIN|@loader_path)\/?$/.test(p)), `the binding finds its libraries beside it (${imports.searchPaths.join(', ')})`);
      for (const lib of imports.needed.filter((l) => shipped.has(l.toLowerCase()) && !loads.has(l))) {
        loads.add(lib);
        visit(lib);
      }
    };
    visit(BINDING);
    assert.deepEqual([...loads].sort(), libraries, 'the libraries the binding loads');
    assert.deepEqual(bin.map((n) => path.posix.basename(n)).sort(), [BINDING, ...libraries].sort(), 'only the binding and what it loads');
    if (target.startsWith('darwin')) {
      // libonnxruntime.1.dylib may be a symlink in the npm package: the VSIX holds the real bytes.
      const real = fs.statSync(path.join(ROOT, 'node_modules/onnxruntime-node/bin/napi-v6', dir, 'libonnxruntime.1.dylib')).size;
      assert.ok(real > 10 * MB && data(`${NAPI}/${dir}/libonnxruntime.1.dylib`).length === real, 'the library itself, not a link');
    }
    if (target.startsWith('win32')) {
      // Why the DirectML files are not shipped: onnxruntime.dll loads DirectML.dll only on the
      // first call into it (the DirectML provider), and dxcompiler.dll/dxil.dll not at all.
      const ort = nativeImports(data(`${NAPI}/${dir}/onnxruntime.dll`));
      assert.ok(ort.delayed.includes('DirectML.dll'), `DirectML.dll delay-loaded (${ort.delayed.join(', ')})`);
      assert.ok(!ort.needed.some((n) => /^(directml|dxcompiler|dxil)\.dll$/i.test(n)), `loaded with onnxruntime.dll: ${ort.needed.join(', ')}`);
    }

    // Nothing that is not run.
    for (const n of names) {
      assert.doesNotMatch(n, /\.map$|\.d\.ts$|\.ts$/, `${n}: source map, type declaration or source`);
      assert.doesNotMatch(n, /^extension\/(test|training|src|webview|scripts|docs|dist-test)\//, `${n}: not part of the extension at run time`);
      assert.doesNotMatch(n, /(^|\/)fixtures\//, `${n}: a test fixture`);
      assert.doesNotMatch(n, /\.onnx$/, `${n}: the bundled model runs the graph built from its weights`);
    }
    for (const f of ['model.json', 'tokenizer.json', 'weights.safetensors']) assert.ok(names.includes(`${MODEL}/${f}`), `${f} is missing`);
    // The samples and walkthrough pages the walkthrough opens, and the changelog, ship.
    for (const f of fs.readdirSync(path.join(ROOT, 'samples'))) assert.ok(names.includes(`extension/samples/${f}`), `samples/${f} is missing`);
    for (const f of fs.readdirSync(path.join(ROOT, 'media/walkthrough'))) assert.ok(names.includes(`extension/media/walkthrough/${f}`), `media/walkthrough/${f} is missing`);
    assert.ok(names.some((n) => /^extension\/changelog\.md$/i.test(n)), 'CHANGELOG.md is missing');
    // Localizable strings ship, and vsce filled the manifest's name in from package.nls.json.
    for (const f of ['extension/package.nls.json', 'extension/l10n/bundle.l10n.json']) assert.ok(names.includes(f), `${f} is missing`);
    assert.match(data('extension.vsixmanifest').toString(), /<DisplayName>Induction Lens<\/DisplayName>/);
    assert.equal(data(`${MODEL}/weights.safetensors`).length, fs.statSync(path.join(ROOT, 'media/models/attn-only-2l/weights.safetensors')).size);
    for (const f of ['extension/package.json', 'extension/dist/extension.js', 'extension/dist/worker.js', 'extension/dist/webview/main.js']) assert.ok(names.includes(f), `${f} is missing`);
    assert.match(data('extension.vsixmanifest').toString(), new RegExp(`TargetPlatform="${target}"`));

    const size = fs.statSync(file).size;
    const directMl = entries.filter((e) => DIRECTML.test(e.entryName)).reduce((s, e) => s + e.header.compressedSize, 0);
    console.log(`# ${target}: ${(size / MB).toFixed(2)} MB (${size} bytes; DirectML files ${(directMl / MB).toFixed(2)} MB), ${names.length} files; ${[BINDING, ...libraries].join(' + ')}`);
    assert.ok(size - directMl < BUDGET, `${(size / MB).toFixed(2)} MB outside DirectML files: over the 20 MB budget`);
  });
}

test('the linux-x64 VSIX, unpacked, runs its bundled model with its own onnxruntime (the CLI it ships: same head scores as the repository\'s)', { skip: skip || (process.platform !== 'linux' || process.arch !== 'x64' ? 'needs a linux-x64 machine' : false) }, () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'il-vsix-x-'));
  try {
    new AdmZip(open('linux-x64').file).extractAllTo(dir);
    const heads = (cli: string) => JSON.parse(execFileSync(process.execPath, [cli, 'heads', '--json'], { encoding: 'utf8' })).heads;
    const packaged = heads(path.join(dir, 'extension/dist/cli.js'));
    assert.equal(packaged.length, 16);
    assert.deepEqual(packaged, heads(path.join(ROOT, 'dist/cli.js')));
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
