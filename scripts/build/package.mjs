// Builds a platform-specific VSIX: `node scripts/build/package.mjs [--target linux-x64|linux-arm64|darwin-arm64|win32-x64]`.
// onnxruntime-node ships one native binary per platform; each VSIX keeps only its own.
import { execFileSync } from 'child_process';
import * as fs from 'fs';

const i = process.argv.indexOf('--target');
const target = i > 0 ? process.argv[i + 1] : 'linux-x64';
const dirs = { 'linux-x64': 'linux/x64', 'linux-arm64': 'linux/arm64', 'darwin-arm64': 'darwin/arm64', 'win32-x64': 'win32/x64' };
if (!dirs[target]) {
  console.error(`package: unknown target ${target}; one of ${Object.keys(dirs).join(', ')}`);
  process.exit(2);
}
execFileSync(process.execPath, ['scripts/build/build.mjs', '--minify'], { stdio: 'inherit' });
const ignore = fs.readFileSync('.vscodeignore', 'utf8').replace('napi-v6/linux/x64/**', `napi-v6/${dirs[target]}/**`);
const ignoreFile = `.vscodeignore.${target}`;
fs.writeFileSync(ignoreFile, ignore);
const out = `induction-lens-${target}.vsix`;
try {
  execFileSync(process.execPath, ['node_modules/@vscode/vsce/vsce', 'package', '--target', target, '--ignoreFile', ignoreFile, '--out', out, '--allow-missing-repository', '--skip-license', '--no-rewrite-relative-links'], { stdio: 'inherit' });
} finally {
  fs.rmSync(ignoreFile, { force: true });
}
console.log(`package: ${out} (${(fs.statSync(out).size / 1e6).toFixed(1)} MB)`);
