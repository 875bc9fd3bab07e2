// Extension-host tests: run inside code-server's real extension host (VS Code 1.100.3) through
// the standard run() entry. Results go to a JSON file the harness reads.
import * as assert from 'node:assert/strict';
import * as fs from 'fs';
import * as path from 'path';
import * as vscode from 'vscode';
import type { ExtensionApi } from '../../../src/extension/extension';

type Test = { name: string; fn: () => Promise<void> };
const tests: Test[] = [];
const test = (name: string, fn: () => Promise<void>) => tests.push({ name, fn });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const EXT_ID = 'induction-lens.induction-lens';
const ws = () => vscode.workspace.workspaceFolders![0].uri.fsPath;
const ref = () => JSON.parse(fs.readFileSync(path.join(ws(), 'fixtures', 'reference.json'), 'utf8'));

async function api(): Promise<ExtensionApi['_test']> {
  const ext = vscode.extensions.getExtension<ExtensionApi>(EXT_ID);
  assert.ok(ext, `extension ${EXT_ID} is installed`);
  return (await ext!.activate())._test;
}

async function setting(key: string, value: unknown) {
  await vscode.workspace.getConfiguration('inductionLens').update(key, value, vscode.ConfigurationTarget.Global);
}

async function openFixture(name: string, content?: string): Promise<vscode.TextEditor> {
  const p = path.join(ws(), name);
  if (content !== undefined) fs.writeFileSync(p, content);
  const doc = await vscode.workspace.openTextDocument(p);
  return vscode.window.showTextDocument(doc, { viewColumn: vscode.ViewColumn.One, preview: false });
}

async function waitFor<T>(what: string, f: () => T | undefined | null | false, ms = 20000): Promise<T> {
  const t0 = Date.now();
  for (;;) {
    const v = f();
    if (v) return v;
    if (Date.now() - t0 > ms) throw new Error(`timed out waiting for ${what}`);
    await sleep(25);
  }
}

function hoverText(hovers: vscode.Hover[]): string {
  return hovers.flatMap((h) => h.contents.map((c) => (typeof c === 'string' ? c : (c as vscode.MarkdownString).value))).join('\n');
}

const selectedModel = () => {
  const f = path.join(ws(), 'fixtures', 'selected-model.txt');
  return fs.existsSync(f) ? fs.readFileSync(f, 'utf8').trim() : null;
};

test('Select Model refuses a broken folder with a clear message and keeps the current model', async () => {
  const t = await api();
  const before = vscode.workspace.getConfiguration('inductionLens').get<string>('modelPath');
  const broken = path.join(ws(), 'broken-model');
  fs.mkdirSync(broken, { recursive: true });
  fs.writeFileSync(path.join(broken, 'config.json'), JSON.stringify({ model_type: 'bert', bos_token_id: 0 }));
  await vscode.commands.executeCommand('inductionLens.selectModel', broken);
  assert.match(t.lastError() ?? '', /model_type "bert" is not supported/);
  assert.equal(vscode.workspace.getConfiguration('inductionLens').get<string>('modelPath'), before);
});

test('Select Model switches the extension to the chosen model and scores its heads (when the run selects one)', async () => {
  const dir = selectedModel();
  if (!dir) return; // the run with the bundled model
  const t = await api();
  const r = ref();
  const loaded = await vscode.commands.executeCommand<string | undefined>('inductionLens.selectModel', dir);
  assert.equal(loaded, dir);
  assert.equal(vscode.workspace.getConfiguration('inductionLens').get<string>('modelPath'), dir);
  assert.ok((vscode.workspace.getConfiguration('inductionLens').get<string[]>('modelFolders') ?? []).includes(dir));
  const editor = await openFixture('probe-check.txt', r.text);
  editor.selection = new vscode.Selection(editor.document.positionAt(0), editor.document.positionAt(r.text.length));
  await vscode.commands.executeCommand('inductionLens.showInductionAttention');
  const a = t.analysis(editor.document.uri.toString());
  assert.ok(a, 'analysed with the selected model');
  assert.equal(a!.session.id, path.basename(dir));
  // Head scores from the built ONNX graph equal the PyTorch reference's.
  for (const h of r.probe.heads) {
    const got = a!.analysis.heads.find((x: { layer: number; head: number }) => x.layer === h.layer && x.head === h.head)!;
    assert.ok(Math.abs(got.induction - h.induction) < 1e-3, `L${h.layer}H${h.head} induction ${got.induction} vs ${h.induction}`);
    assert.ok(Math.abs(got.previousToken - h.previousToken) < 1e-3);
  }
});

test('Show Induction Attention on a selection paints the events the model finds (independent PyTorch fixture)', async () => {
  const t = await api();
  const r = ref();
  await setting('inductionThreshold', r.inductionThreshold);
  await setting('attentionThreshold', 0.3);
  await setting('openPanel', false);
  const prefix = '# unrelated first line\n';
  const editor = await openFixture('repeated.txt', prefix + r.text + '\n# trailing line\n');
  const doc = editor.document;
  const start = doc.positionAt(prefix.length);
  editor.selection = new vscode.Selection(start, doc.positionAt(prefix.length + r.text.length));
  await vscode.commands.executeCommand('inductionLens.showInductionAttention');
  const painted = await waitFor('overlay', () => t.painted(doc.uri.toString()));
  // Expected: the fixture's events (PyTorch forward + Python BPE) above the attention threshold,
  // mapped to document offsets with spans computed here from the fixture's token texts.
  const d = t.analysis(doc.uri.toString())!;
  assert.deepEqual(Array.from(d.analysis.tokens.ids), r.analysis.ids);
  const expectQueries = r.analysis.events.filter((e: { attention: number }) => e.attention >= 0.3)
    .map((e: { query: number }) => [prefix.length + d.analysis.tokens.starts[e.query], prefix.length + d.analysis.tokens.ends[e.query]]);
  const paintedQueries = painted.queries.flat().map(([s, e]) => [d.baseOffset + s, d.baseOffset + e]).sort((a, b) => a[0] - b[0]);
  assert.ok(expectQueries.length > 5, 'the fixture text has visible induction events');
  assert.deepEqual(paintedQueries, expectQueries);
  // The painted text is exactly the repeated words: check a few through the document itself.
  for (const [s, e] of paintedQueries.slice(0, 5)) {
    const word = doc.getText(new vscode.Range(doc.positionAt(s), doc.positionAt(e)));
    assert.ok(r.text.indexOf(word) < r.text.lastIndexOf(word), `"${word}" occurs earlier too`);
  }
  const expectSources = [...new Set<number>(r.analysis.events.filter((e: { attention: number }) => e.attention >= 0.3).map((e: { source: number }) => e.source))].sort((a, b) => a - b);
  assert.deepEqual(painted.sources.map(([s]) => s), expectSources.map((i) => d.analysis.tokens.starts[i]));
  assert.ok(painted.hits.length > 0 && painted.hints.length > 0, 'hits and hints are painted');
});

test('hover on a repeated token shows token, predictions, the induction source, loss and ablation gain', async () => {
  const t = await api();
  const r = ref();
  const editor = vscode.window.activeTextEditor!;
  const doc = editor.document;
  const d = t.analysis(doc.uri.toString())!;
  await waitFor('ablation gain', () => d.analysis.ablationGain);
  const e = [...d.analysis.events].sort((x, y) => y.attention - x.attention)[0];
  const pos = doc.positionAt(d.baseOffset + d.analysis.tokens.starts[e.query] + 1);
  const hovers = await vscode.commands.executeCommand<vscode.Hover[]>('vscode.executeHoverProvider', doc.uri, pos);
  const text = hoverText(hovers);
  const tok = r.analysis.ids[e.query];
  assert.match(text, new RegExp(`id ${tok} `));
  assert.match(text, /Next token: /);
  const src = doc.positionAt(d.baseOffset + d.analysis.tokens.starts[e.source]);
  assert.ok(text.includes(`L${e.head.layer}H${e.head.head} → `), text);
  assert.ok(text.includes(`at ${src.line + 1}:${src.character + 1}, ${e.attention.toFixed(2)}`), text);
  assert.match(text, /Loss \d+\.\d\d nats/);
  assert.match(text, /ablation gain [+-]\d+\.\d\d/);
  assert.ok(!/command:(?!inductionLens\.)/.test(text), 'only the extension\'s own commands appear');
});

test('hover escapes document text: markdown and HTML in tokens stay literal', async () => {
  const t = await api();
  const editor = await openFixture('markup.md', '<img src=x onerror=alert(1)> **bold** [link](command:workbench.action.quit) <img src=x onerror=alert(1)> **bold**');
  const doc = editor.document;
  editor.selection = new vscode.Selection(doc.positionAt(0), doc.positionAt(doc.getText().length));
  await vscode.commands.executeCommand('inductionLens.showInductionAttention');
  const d = await waitFor('analysis', () => t.analysis(doc.uri.toString()));
  for (let i = 0; i < d.analysis.tokens.ids.length; i++) {
    const hovers = await vscode.commands.executeCommand<vscode.Hover[]>('vscode.executeHoverProvider', doc.uri, doc.positionAt(d.analysis.tokens.starts[i]));
    const text = hoverText(hovers);
    assert.ok(!text.includes('command:workbench'), 'no foreign command link');
    const tokenLine = text.split('\n')[0];
    // The token itself sits inside a code span.
    assert.match(tokenLine, /token (`+)[^`]*\1/);
  }
});

test('edits before the analysed text move the overlay; edits inside clear it', async () => {
  const t = await api();
  const editor = await openFixture('repeated.txt');
  const doc = editor.document;
  const uri = doc.uri.toString();
  const before = t.analysis(uri)!;
  assert.ok(before, 'analysis from the first test is still there');
  const base = before.baseOffset;
  const firstQuery = before.analysis.events.find((e) => e.attention >= 0.3)!;
  const word = doc.getText(new vscode.Range(doc.positionAt(base + before.analysis.tokens.starts[firstQuery.query]), doc.positionAt(base + before.analysis.tokens.ends[firstQuery.query])));
  await editor.edit((b) => b.insert(new vscode.Position(0, 0), 'INSERTED '));
  const moved = t.analysis(uri)!;
  assert.equal(moved.baseOffset, base + 'INSERTED '.length);
  const p = t.painted(uri)!;
  const [s, e] = p.queries.flat().find(([qs]) => qs === before.analysis.tokens.starts[firstQuery.query])!;
  assert.equal(doc.getText(new vscode.Range(doc.positionAt(moved.baseOffset + s), doc.positionAt(moved.baseOffset + e))), word);
  const hovers = await vscode.commands.executeCommand<vscode.Hover[]>('vscode.executeHoverProvider', doc.uri, doc.positionAt(moved.baseOffset + s + 1));
  assert.ok(hoverText(hovers).includes(`id ${before.analysis.tokens.ids[firstQuery.query]} `), 'hover follows the moved text');
  const mid = doc.positionAt(moved.baseOffset + 5);
  await editor.edit((b) => b.insert(mid, 'x'));
  assert.equal(t.analysis(uri), undefined, 'an edit inside the analysed text clears the analysis');
  assert.equal(t.painted(uri), undefined, 'and the overlay');
  await vscode.commands.executeCommand('workbench.action.files.revert');
});

test('empty or whitespace-only selection gives a clear message', async () => {
  const t = await api();
  const editor = await openFixture('blank.txt', 'words here\n   \n\t\nmore words\n');
  const doc = editor.document;
  editor.selection = new vscode.Selection(new vscode.Position(1, 0), new vscode.Position(3, 0));
  await vscode.commands.executeCommand('inductionLens.showInductionAttention');
  assert.match(t.lastError() ?? '', /empty or only whitespace/);
  assert.equal(t.painted(doc.uri.toString()), undefined);
});

test('a model folder that does not exist gives a clear error, and the configured model works again after', async () => {
  const t = await api();
  const editor = await openFixture('repeated.txt');
  const doc = editor.document;
  editor.selection = new vscode.Selection(doc.positionAt(0), doc.positionAt(200));
  const before = vscode.workspace.getConfiguration('inductionLens').get<string>('modelPath') ?? '';
  await setting('modelPath', '/nonexistent/induction-model');
  try {
    await vscode.commands.executeCommand('inductionLens.showInductionAttention');
    assert.match(t.lastError() ?? '', /model folder \/nonexistent\/induction-model does not exist/);
  } finally {
    await setting('modelPath', before);
  }
  await vscode.commands.executeCommand('inductionLens.showInductionAttention');
  assert.equal(t.lastError(), null);
});

test('live mode: typing re-analyses once after the debounce, with the new text', async () => {
  const t = await api();
  await setting('debounceMs', 250);
  await setting('maxWaitMs', 5000);
  await setting('liveMode', 'onType');
  try {
    const editor = await openFixture('live.txt', 'alpha beta gamma delta\n');
    const doc = editor.document;
    const uri = doc.uri.toString();
    const seqBefore = t.analysis(uri)?.seq ?? 0;
    const paintsBefore = t.paintCount();
    for (const w of [' alpha', ' beta', ' gamma']) {
      await editor.edit((b) => b.insert(doc.lineAt(0).range.end, w));
      await sleep(40);
    }
    const typedAt = Date.now();
    const d = await waitFor('live analysis', () => {
      const x = t.analysis(uri);
      return x && x.seq > seqBefore ? x : undefined;
    });
    assert.ok(Date.now() - typedAt >= 200, 'waited for the debounce');
    assert.ok(d.text.includes('delta alpha beta gamma'), 'analysed the typed text');
    await sleep(600);
    assert.equal(t.analysis(uri)!.seq, d.seq, 'exactly one analysis for the burst of typing');
    const p = t.painted(uri)!;
    assert.equal(p.seq, d.seq);
    assert.ok(t.paintCount() - paintsBefore <= 2, 'painted once (plus the ablation repaint)');
    // The typed words repeat the first line: the highlighted repeated tokens lie in the typed part.
    const typedFrom = d.text.indexOf('delta') + 'delta'.length;
    const q = p.queries.flat();
    const typed = q.filter(([s]) => s >= typedFrom);
    assert.ok(typed.length >= 2, `the repeated words are highlighted: ${q.map(([s, e]) => d.text.slice(s, e))}`);
  } finally {
    await setting('liveMode', 'off');
  }
});

test('a slow stale run never paints: the latest request wins', async () => {
  const t = await api();
  const editor = await openFixture('repeated.txt');
  const doc = editor.document;
  const uri = doc.uri.toString();
  const slowRange = new vscode.Selection(doc.positionAt(0), doc.positionAt(120));
  const fastRange = new vscode.Selection(doc.positionAt(0), doc.positionAt(doc.getText().length));
  t.setForwardDelay(1500);
  editor.selection = slowRange;
  const slow = vscode.commands.executeCommand('inductionLens.showInductionAttention');
  await sleep(200);
  t.setForwardDelay(0);
  editor.selection = fastRange;
  const paintsBefore = t.paintCount();
  await vscode.commands.executeCommand('inductionLens.showInductionAttention');
  const fastSeq = t.analysis(uri)!.seq;
  const fastLen = t.analysis(uri)!.text.length;
  await slow;
  await sleep(2000);
  assert.equal(t.analysis(uri)!.seq, fastSeq, 'the stale result was dropped');
  assert.equal(t.analysis(uri)!.text.length, fastLen);
  assert.equal(t.painted(uri)!.seq, fastSeq, 'the overlay shows the latest request');
  assert.ok(t.paintCount() - paintsBefore <= 2, 'the stale run painted nothing');
});

test('Clear removes the overlay', async () => {
  const t = await api();
  const editor = await openFixture('repeated.txt');
  await vscode.commands.executeCommand('inductionLens.clear');
  assert.equal(t.painted(editor.document.uri.toString()), undefined);
  assert.equal(t.analysis(editor.document.uri.toString()), undefined);
});

export async function run(): Promise<void> {
  const results: { name: string; ok: boolean; error?: string; ms: number }[] = [];
  for (const { name, fn } of tests) {
    const t0 = Date.now();
    try {
      await fn();
      results.push({ name, ok: true, ms: Date.now() - t0 });
    } catch (e) {
      results.push({ name, ok: false, error: (e as Error).stack ?? String(e), ms: Date.now() - t0 });
    }
  }
  fs.writeFileSync(path.join(ws(), '.il-e2e-results.json'), JSON.stringify(results, null, 1));
  const failed = results.filter((r) => !r.ok).length;
  if (failed) throw new Error(`${failed} extension-host test(s) failed`);
}
