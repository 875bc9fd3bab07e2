// The project's structure rules (docs/architecture.md), run by `npm test`:
// - layers: only src/extension imports vscode; the engine, CLI, worker and protocol import neither
//   vscode nor DOM code; the extension never imports the CLI nor the engine's model-file readers
//   (the worker reads model folders); the webview imports only the protocol and its own modules;
// - size: no source file in src/ or webview/ over 300 lines.
import * as fs from 'fs';
import * as path from 'path';

process.chdir(path.resolve(path.dirname(new URL(import.meta.url).pathname), '..', '..'));
const MAX_LINES = 300;
const rules = [
  { dir: 'src/engine', forbid: [/^vscode$/, /^onnxruntime-node$/, /\/extension\//, /\/webview\//, /\/cli\//] },
  { dir: 'src/cli', forbid: [/^vscode$/, /\/extension\//, /\/webview\//] },
  { dir: 'src/worker', forbid: [/^vscode$/, /\/extension\//, /\/webview\//, /\/cli\//] },
  { dir: 'src/extension', forbid: [/\/cli\//, /engine\/(manifest|model|jsonFile|safeFile|safetensors)$/, /engine\/hf\//, /\/webview\//] },
  { dir: 'src/protocol', forbid: [/^vscode$/, /^\.\.\/engine/, /^[^.]/] },
  // Relative imports inside webview/, or the protocol; no packages, no other part of src/.
  { dir: 'webview', forbid: [/^[^.]/, /src\/(?!protocol\/)/] },
];
const problems = [];
const walk = (d) => fs.readdirSync(d, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? walk(path.join(d, e.name)) : [path.join(d, e.name)]));
for (const { dir, forbid } of rules) {
  for (const f of walk(dir).filter((x) => x.endsWith('.ts'))) {
    const src = fs.readFileSync(f, 'utf8');
    for (const m of src.matchAll(/^\s*(?:import|export)[^'"]*from\s+['"]([^'"]+)['"]/gm)) {
      if (forbid.some((re) => re.test(m[1]))) problems.push(`${f}: imports ${m[1]}`);
    }
    const lines = src.split('\n').length - (src.endsWith('\n') ? 1 : 0);
    if (lines > MAX_LINES) problems.push(`${f}: ${lines} lines (at most ${MAX_LINES}: split it by what it holds)`);
  }
}
if (problems.length) {
  console.error(problems.join('\n'));
  process.exit(1);
}
console.log(`structure: ok (layers; every file in src/ and webview/ at most ${MAX_LINES} lines)`);
