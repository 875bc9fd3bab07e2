// The layering rules (docs/architecture.md): only src/extension imports vscode; the engine, CLI, worker
// and protocol import neither vscode nor DOM code; the webview never imports vscode or the engine.
import * as fs from 'fs';
import * as path from 'path';

const rules = [
  { dir: 'src/engine', forbid: [/^vscode$/, /^onnxruntime-node$/, /\/extension\//, /\/webview\//] },
  { dir: 'src/cli', forbid: [/^vscode$/, /\/extension\//, /\/webview\//] },
  { dir: 'src/worker', forbid: [/^vscode$/, /\/extension\//, /\/webview\//] },
  // The extension host never reads model files: the worker does, and sends what it read.
  { dir: 'src/extension', forbid: [/engine\/(manifest|model|jsonFile|safeFile|safetensors)$/, /engine\/hf\//] },
  { dir: 'src/protocol', forbid: [/^vscode$/, /^\.\.\/engine/, /^[^.]/] },
  { dir: 'webview', forbid: [/^vscode$/, /src\/engine/, /src\/extension/] },
];
const problems = [];
const walk = (d) => fs.readdirSync(d, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? walk(path.join(d, e.name)) : [path.join(d, e.name)]));
for (const { dir, forbid } of rules) {
  for (const f of walk(dir).filter((x) => x.endsWith('.ts'))) {
    const src = fs.readFileSync(f, 'utf8');
    for (const m of src.matchAll(/^\s*(?:import|export)[^'"]*from\s+['"]([^'"]+)['"]/gm)) {
      if (forbid.some((re) => re.test(m[1]))) problems.push(`${f}: imports ${m[1]}`);
    }
  }
}
if (problems.length) {
  console.error(problems.join('\n'));
  process.exit(1);
}
console.log('layers: ok');
