// Collects the extension's runtime strings into l10n/bundle.l10n.json, the file translators copy
// to bundle.l10n.<lang>.json (VS Code loads it through package.json's "l10n" field):
//   - host: every vscode.l10n.t('…') in src/extension,
//   - panel: every t('…') of webview/l10n.ts in webview/,
//   - engine: every t('…') in src/engine, where functions whose text the extension shows take a
//     Translate (src/protocol/l10n.ts) that the host passes vscode.l10n.t.
// Messages must be literals (a computed message cannot be translated), and the calls that put
// text on screen (notifications, status, hovers, quick picks, panel elements) must pass t(…),
// not a literal: both are errors, with file:line.
//   node scripts/build/l10n.mjs           writes the bundle
//   node scripts/build/l10n.mjs --check   fails when the bundle is not current (npm test)
import * as fs from 'fs';
import * as path from 'path';
import { fileURLToPath } from 'url';
import ts from 'typescript';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const BUNDLE = path.join(ROOT, 'l10n', 'bundle.l10n.json');

/** Calls whose first argument is text on screen. */
const SCREEN_CALLS = new Set(['showErrorMessage', 'showWarningMessage', 'showInformationMessage', 'setStatusBarMessage', 'appendMarkdown', 'appendText', 'showStatus', 'createWebviewPanel']);
/** Properties (assigned, or in option objects) that hold text on screen. */
const SCREEN_PROPS = new Set(['name', 'hoverMessage', 'title', 'placeHolder', 'openLabel', 'saveLabel', 'prompt', 'tooltip', 'text', 'textContent', 'label', 'description', 'detail', 'message']);

function files(dir) {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    return e.isDirectory() ? files(p) : /\.ts$/.test(e.name) && !/\.d\.ts$/.test(e.name) ? [p] : [];
  });
}

/** Words a user reads: a literal with a run of three letters outside `${…}` holes. */
function isProse(node) {
  let text;
  if (ts.isStringLiteral(node) || ts.isNoSubstitutionTemplateLiteral(node)) text = node.text;
  else if (ts.isTemplateExpression(node)) text = [node.head.text, ...node.templateSpans.map((s) => s.literal.text)].join(' ');
  else return false;
  // Codicons ($(check)) and command links ](command:id) are not words a user reads.
  return /[A-Za-z]{3,}/.test(text.replace(/\$\([a-z-~]+\)/g, '').replace(/\]\(command:[^)]*\)/g, ']'));
}

function isTranslateCall(node, webview) {
  if (!ts.isCallExpression(node)) return false;
  const callee = node.expression.getText();
  // In the host, `t` is a Translate parameter (src/protocol/l10n.ts) that callers pass vscode.l10n.t.
  return callee === 't' || (!webview && callee === 'vscode.l10n.t');
}

export function collect() {
  const messages = new Set();
  const errors = [];
  const sources = [
    ...files(path.join(ROOT, 'src', 'extension')).map((f) => [f, 'host']),
    ...files(path.join(ROOT, 'webview')).map((f) => [f, 'webview']),
    // Only the engine's t('…') messages: its other literals (errors, CLI text) are not screen calls.
    ...files(path.join(ROOT, 'src', 'engine')).map((f) => [f, 'engine']),
  ];
  for (const [file, kind] of sources) {
    const webview = kind === 'webview';
    if (webview && path.basename(file) === 'l10n.ts') continue;
    const src = ts.createSourceFile(file, fs.readFileSync(file, 'utf8'), ts.ScriptTarget.Latest, true);
    const where = (n) => `${path.relative(ROOT, file)}:${src.getLineAndCharacterOfPosition(n.getStart()).line + 1}`;
    const visit = (node) => {
      if (isTranslateCall(node, webview)) {
        const m = node.arguments[0];
        if (m && (ts.isStringLiteral(m) || ts.isNoSubstitutionTemplateLiteral(m))) messages.add(m.text);
        else errors.push(`${where(node)}: the message of ${node.expression.getText()}(…) must be a string literal`);
      } else if (kind === 'engine') {
        // Messages only (above).
      } else if (ts.isCallExpression(node)) {
        const name = ts.isPropertyAccessExpression(node.expression) ? node.expression.name.text : node.expression.getText();
        const args = name === 'createWebviewPanel' ? node.arguments.slice(1, 2) : name === 'el' ? node.arguments.slice(2, 3) : SCREEN_CALLS.has(name) ? node.arguments.slice(0, 1) : [];
        if (name === 'setAttribute' && ['aria-label', 'title'].includes(node.arguments[0]?.text)) args.push(node.arguments[1]);
        for (const a of args) if (a && isProse(a)) errors.push(`${where(a)}: text on screen must go through ${webview ? 't' : 'vscode.l10n.t'}(…)`);
      } else if (ts.isBinaryExpression(node) && node.operatorToken.kind === ts.SyntaxKind.EqualsToken && ts.isPropertyAccessExpression(node.left) && SCREEN_PROPS.has(node.left.name.text) && isProse(node.right)) {
        errors.push(`${where(node.right)}: text on screen must go through ${webview ? 't' : 'vscode.l10n.t'}(…)`);
      } else if (ts.isPropertyAssignment(node) && SCREEN_PROPS.has(node.name.getText()) && isProse(node.initializer)) {
        errors.push(`${where(node.initializer)}: text on screen must go through ${webview ? 't' : 'vscode.l10n.t'}(…)`);
      }
      ts.forEachChild(node, visit);
    };
    visit(src);
  }
  const bundle = Object.fromEntries([...messages].sort().map((m) => [m, m]));
  return { bundle, errors };
}

function main() {
  const { bundle, errors } = collect();
  for (const e of errors) console.error(`l10n: ${e}`);
  if (errors.length) process.exit(1);
  const text = `${JSON.stringify(bundle, null, 2)}\n`;
  if (process.argv.includes('--check')) {
    const now = fs.existsSync(BUNDLE) ? fs.readFileSync(BUNDLE, 'utf8') : '';
    if (now !== text) {
      console.error('l10n: l10n/bundle.l10n.json is not current; run node scripts/build/l10n.mjs');
      process.exit(1);
    }
    console.log(`l10n: ${Object.keys(bundle).length} runtime strings, bundle current`);
    return;
  }
  fs.mkdirSync(path.dirname(BUNDLE), { recursive: true });
  fs.writeFileSync(BUNDLE, text);
  console.log(`l10n: wrote ${Object.keys(bundle).length} runtime strings to ${path.relative(ROOT, BUNDLE)}`);
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) main();
