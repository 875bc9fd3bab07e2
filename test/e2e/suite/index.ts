// Extension-host tests: run inside code-server's real extension host (VS Code 1.100.3) through
// the standard run() entry. Results go to a JSON file the harness reads.
import * as assert from 'node:assert/strict';
import * as fs from 'fs';
import * as path from 'path';
import * as vscode from 'vscode';
import type { ExtensionApi } from '../../../src/extension/extension';
import { suite } from '../support/hostTests';
import { markInvisible } from '../../../src/protocol/visibleText';

const { test, run } = suite();
export { run };
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const EXT_ID = 'induction-lens.induction-lens';
const ws = () => vscode.workspace.workspaceFolders![0].uri.fsPath;
const ref = () => JSON.parse(fs.readFileSync(path.join(ws(), 'fixtures', 'reference.json'), 'utf8'));

async function api(): Promise<ExtensionApi['_test']> {
  const ext = vscode.extensions.getExtension<ExtensionApi>(EXT_ID);
  assert.ok(ext, `extension ${EXT_ID} is installed`);
  return (await ext.activate())._test;
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

/** Opens a fixture, selects all of it, runs Show Induction Attention and waits for the result. */
async function analyzeAll(t: ExtensionApi['_test'], name: string, content?: string) {
  const editor = await openFixture(name, content);
  const doc = editor.document;
  editor.selection = new vscode.Selection(doc.positionAt(0), doc.positionAt(doc.getText().length));
  await vscode.commands.executeCommand('inductionLens.showInductionAttention');
  const d = await waitFor('analysis', () => t.analysis(doc.uri.toString()));
  return { editor, doc, d };
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
  assert.ok(a, 'analyzed with the selected model');
  assert.equal(a.session.id, path.basename(dir));
  // Head scores from the built ONNX graph equal the PyTorch reference's.
  for (const h of r.probe.heads) {
    const got = a.analysis.heads.find((x: { layer: number; head: number }) => x.layer === h.layer && x.head === h.head)!;
    assert.ok(Math.abs(got.induction - h.induction) < 1e-3, `L${h.layer}H${h.head} induction ${got.induction} vs ${h.induction}`);
    assert.ok(Math.abs(got.previousToken - h.previousToken) < 1e-3);
  }
});

test('Show Induction Attention paints the events that matter, and all events on request (independent PyTorch fixture)', async () => {
  const t = await api();
  const r = ref();
  await setting('inductionThreshold', r.inductionThreshold);
  await setting('attentionThreshold', 0.3);
  await setting('openPanel', false);
  assert.equal(t.eventFilter(), 'matter', 'events that matter is the default');
  const minGain = vscode.workspace.getConfiguration('inductionLens').get<number>('minAblationGain');
  assert.equal(minGain, 1);
  const prefix = '# unrelated first line\n';
  const editor = await openFixture('repeated.txt', prefix + r.text + '\n# trailing line\n');
  const doc = editor.document;
  const start = doc.positionAt(prefix.length);
  editor.selection = new vscode.Selection(start, doc.positionAt(prefix.length + r.text.length));
  await vscode.commands.executeCommand('inductionLens.showInductionAttention');
  const painted = await waitFor('overlay', () => t.painted(doc.uri.toString()));
  // Expected: the fixture's events (PyTorch forward + Python BPE) with attention >= 0.3 and the
  // fixture's own ablation gain >= 1 nat, mapped to document offsets with the engine's spans.
  const d = t.analysis(doc.uri.toString())!;
  assert.deepEqual(Array.from(d.analysis.tokens.ids), r.analysis.ids);
  type Ev = { query: number; source: number; attention: number };
  const gainOf = (e: Ev) => r.analysis.ablationGain[e.query] as number | null;
  const strong = r.analysis.events.filter((e: Ev) => e.attention >= 0.3);
  const matter = strong.filter((e: Ev) => (gainOf(e) ?? -1) >= 1);
  assert.ok(strong.every((e: Ev) => gainOf(e) === null || Math.abs(gainOf(e)! - 1) > 0.01), 'no fixture gain sits on the threshold');
  // A token's span in the document, less the whitespace it carries (the overlay draws words).
  const trimmed = (i: number) => {
    let s0 = prefix.length + d.analysis.tokens.starts[i];
    let e0 = prefix.length + d.analysis.tokens.ends[i];
    const all = doc.getText();
    while (s0 < e0 && /\s/.test(all[s0])) s0++;
    while (e0 > s0 && /\s/.test(all[e0 - 1])) e0--;
    return [s0, e0];
  };
  const docSpan = (e: Ev) => trimmed(e.query);
  const paintedQueries = (p: typeof painted) => p.queries.flat().map(([s, e]) => [d.baseOffset + s, d.baseOffset + e]).sort((a, b) => a[0] - b[0]);
  assert.ok(matter.length > 5 && matter.length < strong.length, `the fixture text has events that matter (${matter.length} of ${strong.length})`);
  assert.deepEqual(paintedQueries(painted), matter.map(docSpan).filter(([s0, e0]: number[]) => e0 > s0));
  assert.equal(painted.shown, matter.length);
  assert.equal(painted.total, r.analysis.events.length);
  const expectSources = (evs: Ev[]) => [...new Set<number>(evs.map((e) => e.source))].sort((a, b) => a - b)
    .map(trimmed).filter(([s0, e0]: number[]) => e0 > s0).map(([s0]) => s0 - d.baseOffset);
  assert.deepEqual(painted.sources.map(([s]) => s), expectSources(matter));
  assert.ok(painted.hits.length > 0 && painted.hints.length > 0, 'hits and hints are painted');
  assert.equal(t.status().events, `$(filter) ${matter.length} of ${r.analysis.events.length} events`);
  // The painted text is exactly the repeated words: check a few through the document itself.
  for (const [s, e] of paintedQueries(painted).slice(0, 5)) {
    const word = doc.getText(new vscode.Range(doc.positionAt(s), doc.positionAt(e)));
    assert.ok(r.text.indexOf(word) < r.text.lastIndexOf(word), `"${word}" occurs earlier too`);
  }
  // The toggle paints every event over the attention threshold, and back.
  assert.equal(await vscode.commands.executeCommand('inductionLens.toggleEventFilter'), 'all');
  const all = await waitFor('all events painted', () => {
    const p = t.painted(doc.uri.toString());
    return p && p.shown === strong.length ? p : undefined;
  });
  assert.deepEqual(paintedQueries(all), strong.map(docSpan).filter(([s0, e0]: number[]) => e0 > s0));
  assert.deepEqual(all.sources.map(([s]) => s), expectSources(strong));
  assert.equal(t.status().events, `$(filter) ${strong.length} of ${r.analysis.events.length} events`);
  assert.equal(await vscode.commands.executeCommand('inductionLens.toggleEventFilter'), 'matter');
  await waitFor('events that matter again', () => t.painted(doc.uri.toString())?.shown === matter.length);
});

test('hover on a repeated token shows token, predictions, the induction source, loss and ablation gain', async () => {
  const t = await api();
  const r = ref();
  const editor = vscode.window.activeTextEditor!;
  const doc = editor.document;
  const d = t.analysis(doc.uri.toString())!;
  await waitFor('ablation gain', () => d.analysis.ablationGain);
  const e = [...d.analysis.events].sort((x, y) => y.attention - x.attention)[0];
  // Inside the token: its first character (a one-character token ends where the next begins).
  const pos = doc.positionAt(d.baseOffset + d.analysis.tokens.starts[e.query] + (d.analysis.tokens.ends[e.query] - d.analysis.tokens.starts[e.query] > 1 ? 1 : 0));
  const hovers = await vscode.commands.executeCommand<vscode.Hover[]>('vscode.executeHoverProvider', doc.uri, pos);
  const text = hoverText(hovers);
  const tok = r.analysis.ids[e.query];
  assert.match(text, new RegExp(`id ${tok} `));
  assert.match(text, /Next token: /);
  // The three heads with the largest direct logit attribution to B, largest first.
  const dla = Array.from(d.analysis.eventDla!.get(e.query)!);
  const best = dla.indexOf(Math.max(...dla));
  assert.match(text, new RegExp(`Direct logit attribution: L${Math.floor(best / d.analysis.dims.nHeads)}H${best % d.analysis.dims.nHeads} [+-]\\d+\\.\\d, L\\d+H\\d+ [+-]\\d+\\.\\d, L\\d+H\\d+ [+-]\\d+\\.\\d logits for `));
  const src = doc.positionAt(d.baseOffset + d.analysis.tokens.starts[e.source]);
  assert.ok(text.includes(`L${e.head.layer}H${e.head.head} → `), text);
  assert.ok(text.includes(`at ${src.line + 1}:${src.character + 1}, ${e.attention.toFixed(2)}`), text);
  assert.match(text, /Loss \d+\.\d\d nats/);
  assert.match(text, /ablation gain [+-]\d+\.\d\d/);
  assert.ok(!/command:(?!inductionLens\.)/.test(text), 'only the extension\'s own commands appear');
});

test('Show Hover at Cursor: the hover of the repeated token at the cursor, without a mouse', async () => {
  const t = await api();
  const { editor, doc, d } = await analyzeAll(t, 'repeated.txt');
  const e = [...d.analysis.events].sort((x, y) => y.attention - x.attention)[0];
  assert.ok(e, 'the text has an induction event');
  const pos = doc.positionAt(d.baseOffset + d.analysis.tokens.starts[e.query] + (d.analysis.tokens.ends[e.query] - d.analysis.tokens.starts[e.query] > 1 ? 1 : 0));
  await vscode.window.showTextDocument(doc, { viewColumn: editor.viewColumn, preview: false });
  editor.selection = new vscode.Selection(pos, pos);
  await vscode.commands.executeCommand('inductionLens.showHoverAtCursor');
  const text = hoverText(await vscode.commands.executeCommand<vscode.Hover[]>('vscode.executeHoverProvider', doc.uri, editor.selection.active));
  assert.ok(text.includes('**Induction Lens**'), text);
  assert.ok(text.includes(`position ${e.query}`), text);
  assert.ok(text.includes(`L${e.head.layer}H${e.head.head} → `), text);
});

test('Open a Sample opens a shipped sample as an untitled copy', async () => {
  const editor = await vscode.commands.executeCommand<vscode.TextEditor>('inductionLens.openSample', 'random-words.txt');
  assert.ok(editor, 'an editor opened');
  assert.equal(editor.document.isUntitled, true);
  assert.match(editor.document.getText(), /lantern orbit velvet/);
  await vscode.commands.executeCommand('workbench.action.revertAndCloseActiveEditor');
});

test('hover escapes document text: markdown and HTML in tokens stay literal', async () => {
  const t = await api();
  const { doc, d } = await analyzeAll(t, 'markup.md', '<img src=x onerror=alert(1)> **bold** [link](command:workbench.action.quit) <img src=x onerror=alert(1)> **bold**');
  for (let i = 0; i < d.analysis.tokens.ids.length; i++) {
    const hovers = await vscode.commands.executeCommand<vscode.Hover[]>('vscode.executeHoverProvider', doc.uri, doc.positionAt(d.analysis.tokens.starts[i]));
    const text = hoverText(hovers);
    assert.ok(!text.includes('command:workbench'), 'no foreign command link');
    const tokenLine = text.split('\n')[0];
    // The token itself sits inside a code span.
    assert.match(tokenLine, /token (`+)[^`]*\1/);
  }
});

test('edits before the analyzed text move the overlay; edits inside clear it', async () => {
  const t = await api();
  const editor = await openFixture('repeated.txt');
  const doc = editor.document;
  const uri = doc.uri.toString();
  const before = t.analysis(uri)!;
  assert.ok(before, 'analysis from the first test is still there');
  const base = before.baseOffset;
  const [qs0, qe0] = t.painted(uri)!.queries.flat().sort((x, y) => x[0] - y[0])[0];
  const word = doc.getText(new vscode.Range(doc.positionAt(base + qs0), doc.positionAt(base + qe0)));
  const firstQuery = { query: before.analysis.tokens.starts.findIndex((st, i) => st <= qs0 && qs0 < before.analysis.tokens.ends[i]) };
  await editor.edit((b) => b.insert(new vscode.Position(0, 0), 'INSERTED '));
  const moved = t.analysis(uri)!;
  assert.equal(moved.baseOffset, base + 'INSERTED '.length);
  const p = t.painted(uri)!;
  const [s, e] = p.queries.flat().find(([qs]) => qs === qs0)!;
  assert.equal(doc.getText(new vscode.Range(doc.positionAt(moved.baseOffset + s), doc.positionAt(moved.baseOffset + e))), word);
  const hovers = await vscode.commands.executeCommand<vscode.Hover[]>('vscode.executeHoverProvider', doc.uri, doc.positionAt(moved.baseOffset + s + 1));
  assert.ok(hoverText(hovers).includes(`id ${before.analysis.tokens.ids[firstQuery.query]} `), 'hover follows the moved text');
  const mid = doc.positionAt(moved.baseOffset + 5);
  await editor.edit((b) => b.insert(mid, 'x'));
  assert.equal(t.analysis(uri), undefined, 'an edit inside the analyzed text clears the analysis');
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

test('live mode: typing re-analyzes once after the debounce, with the new text', async () => {
  const t = await api();
  await setting('debounceMs', 250);
  await setting('maxWaitMs', 5000);
  await setting('liveMode', 'onType');
  // Four words are too few for the gain filter to say much: paint all events here.
  await vscode.commands.executeCommand('inductionLens.toggleEventFilter');
  assert.equal(t.eventFilter(), 'all');
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
    assert.ok(d.text.includes('delta alpha beta gamma'), 'analyzed the typed text');
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
    await vscode.commands.executeCommand('inductionLens.toggleEventFilter');
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

test('typing while an analysis runs: the edited text is analyzed and painted, the status bar ends idle', async () => {
  const t = await api();
  const editor = await openFixture('typing.txt', 'alpha beta gamma delta epsilon\nalpha beta gamma delta epsilon\n');
  const doc = editor.document;
  const uri = doc.uri.toString();
  editor.selection = new vscode.Selection(doc.positionAt(0), doc.positionAt(doc.getText().length));
  t.setForwardDelay(600);
  let run: Thenable<unknown>;
  try {
    run = vscode.commands.executeCommand('inductionLens.showInductionAttention');
    await waitFor('analyzing', () => t.status().state === 'analyzing', 10000);
    await sleep(200);
    await editor.edit((b) => b.insert(new vscode.Position(1, 0), 'zeta '));
  } finally {
    t.setForwardDelay(0);
  }
  await run;
  const d = await waitFor('analysis of the edited text', () => t.analysis(uri));
  assert.equal(d.version, doc.version);
  assert.equal(d.text, doc.getText(), 'the range followed the edit and the new text was analyzed');
  assert.ok(d.text.includes('zeta alpha'));
  assert.equal(t.painted(uri)!.seq, d.seq, 'the newest result is painted');
  assert.equal(t.status().state, 'idle');
  assert.ok(!t.status().main.includes('…'), `status bar: ${t.status().main}`);
  assert.equal(t.lastError(), null);
});

test('after a model folder fails to load, the status bar names that model and ends without an ellipsis', async () => {
  const t = await api();
  const editor = await openFixture('repeated.txt');
  const doc = editor.document;
  editor.selection = new vscode.Selection(doc.positionAt(0), doc.positionAt(200));
  const before = vscode.workspace.getConfiguration('inductionLens').get<string>('modelPath') ?? '';
  const broken = path.join(ws(), 'broken-weights');
  fs.mkdirSync(broken, { recursive: true });
  fs.writeFileSync(path.join(broken, 'config.json'), '{ not json');
  await setting('modelPath', broken);
  try {
    await vscode.commands.executeCommand('inductionLens.showInductionAttention');
    assert.ok(t.lastError(), 'the load failed');
    const main = t.status().main;
    assert.ok(main.includes('broken-weights'), `status bar names the failed model: ${main}`);
    assert.ok(main.includes('failed') && !main.includes('…'), `a final state has no ellipsis: ${main}`);
    assert.equal(t.status().state, 'error');
  } finally {
    await setting('modelPath', before);
  }
  await vscode.commands.executeCommand('inductionLens.showInductionAttention');
  assert.equal(t.lastError(), null);
  assert.equal(t.status().state, 'idle');
  assert.ok(!t.status().main.includes('broken-weights'));
});

test('Test the circuit: the K-composition test from the panel, and the events it removes painted alone until the filter is toggled', async () => {
  const t = await api();
  const { doc, d } = await analyzeAll(t, 'identifiers.py');
  await waitFor('painted', () => t.painted(doc.uri.toString()));
  const before = t.painted(doc.uri.toString())!;
  // The strongest previous-token head before the strongest induction head (probe scores).
  const heads = d.analysis.heads;
  const ind = heads.filter((h) => h.layer > 0).sort((x, y) => y.induction - x.induction)[0];
  const prev = heads.filter((h) => h.layer < ind.layer).sort((x, y) => y.previousToken - x.previousToken)[0];
  const path = { sender: { layer: prev.layer, head: prev.head }, receiver: { layer: ind.layer, head: ind.head }, path: 'k' as const, mode: 'zero' as const, norm: 'recompute' as const };
  t.panel.tester.last = null;
  t.panel.receiveForTest({ type: 'testPath', path });
  const r = await waitFor('path result', () => t.panel.tester.last, 60000);
  assert.deepEqual(r.path, path);
  assert.equal(r.events, before.shown, 'the painted events are the ones counted');
  assert.ok(r.receiverInductionScore.after < r.receiverInductionScore.before, JSON.stringify(r.receiverInductionScore));
  // Events take the strongest of all induction heads: those the receiver alone carried disappear.
  assert.ok(r.disappeared >= 0 && r.disappeared <= r.events, `${r.disappeared} of ${r.events}`);
  t.panel.receiveForTest({ type: 'paintDisappeared' });
  await waitFor('only the removed events', () => t.painted(doc.uri.toString())?.shown === r.disappeared);
  await vscode.commands.executeCommand('inductionLens.toggleEventFilter');
  await vscode.commands.executeCommand('inductionLens.toggleEventFilter');
  await waitFor('the usual overlay again', () => t.painted(doc.uri.toString())?.shown === before.shown);
  // A receiver not after its sender is refused at the boundary.
  t.panel.receiveForTest({ type: 'testPath', path: { ...path, receiver: path.sender } });
  assert.match(t.panel.dropped.at(-1) ?? '', /the receiver must be in a later layer than the sender/);
});

test('a panel closed during an analysis stays closed; running the command again opens it', async () => {
  const t = await api();
  await setting('openPanel', true);
  try {
    const editor = await openFixture('repeated.txt');
    const doc = editor.document;
    editor.selection = new vscode.Selection(doc.positionAt(0), doc.positionAt(300));
    await vscode.commands.executeCommand('inductionLens.showInductionAttention');
    await waitFor('panel open', () => t.panel.isOpen);
    t.setForwardDelay(600);
    let run: Thenable<unknown>;
    try {
      run = vscode.commands.executeCommand('inductionLens.showInductionAttention');
      await waitFor('analyzing', () => t.status().state === 'analyzing', 10000);
      t.panel.closeForTest();
      assert.equal(t.panel.isOpen, false);
    } finally {
      t.setForwardDelay(0);
    }
    await run;
    await sleep(300);
    assert.equal(t.panel.isOpen, false, 'the panel did not reopen when the run ended');
    await vscode.commands.executeCommand('inductionLens.showInductionAttention');
    await waitFor('panel reopened by the user', () => t.panel.isOpen);
    t.panel.closeForTest();
  } finally {
    await setting('openPanel', false);
  }
});

test('a panel page that does not start (its script fails to load) is loaded again and then shows the analysis', async () => {
  const t = await api();
  const editor = await openFixture('repeated.txt');
  editor.selection = new vscode.Selection(editor.document.positionAt(0), editor.document.positionAt(200));
  await vscode.commands.executeCommand('inductionLens.showInductionAttention');
  t.panel.closeForTest();
  t.panel.breakPagesForTest(1);
  const before = t.panel.sent.length;
  await vscode.commands.executeCommand('inductionLens.showPanel');
  await waitFor('the panel', () => t.panel.page !== null, 5000);
  await sleep(3000);
  assert.deepEqual(t.panel.page!.state, { started: false, reloads: 0 }, 'a page without its script never says ready');
  await waitFor('the page loaded again and started', () => t.panel.page?.state.started === true, 30000);
  assert.equal(t.panel.page!.state.reloads, 1);
  await waitFor('the analysis sent to the started page', () => t.panel.sent.slice(before).includes('analysis'), 10000);
  t.panel.closeForTest();
});

test('the Pattern view opens on the induction head most active on the text, and says so', async () => {
  const t = await api();
  const editor = await openFixture('identifiers.py');
  const doc = editor.document;
  editor.selection = new vscode.Selection(doc.positionAt(0), doc.positionAt(doc.getText().length));
  await setting('openPanel', true);
  try {
    await vscode.commands.executeCommand('inductionLens.showInductionAttention');
    const d = t.analysis(doc.uri.toString())!;
    const sel = await waitFor('selected head', () => t.panel.selection());
    // Independently: mean attention of each induction head on the events' sources, read from the
    // attention tensors [L, H, S, S] of the same text analysed again keeping them (the extension
    // keeps only the rows it needs; BOS at 0 when the model has one).
    const a = d.analysis;
    const kept = await d.session.analyze(d.text, { inductionThreshold: ref().inductionThreshold, headMask: d.mask ?? undefined });
    assert.deepEqual(kept.events.map((e) => [e.query, e.source]), a.events.map((e) => [e.query, e.source]), 'the same events');
    const p = a.dims.bos === null ? 0 : 1;
    const activity = a.inductionHeads.map((h) => {
      let sum = 0;
      for (const e of a.events) {
        const w = kept.windows.find((x) => x.ownStart <= e.query && e.query < x.ownEnd)!;
        const S = w.end - w.start + p;
        sum += w.attentions![((h.layer * a.dims.nHeads + h.head) * S + (e.query - w.start + p)) * S + (e.source - w.start + p)];
      }
      return { h, mean: sum / a.events.length };
    }).sort((x, y) => y.mean - x.mean);
    assert.ok(activity.length >= 1 && a.events.length > 0);
    assert.deepEqual(sel.head, { layer: activity[0].h.layer, head: activity[0].h.head });
    assert.ok(sel.why.includes('most active on this text') && sel.why.includes(activity[0].mean.toFixed(2)), sel.why);
    t.panel.closeForTest();
  } finally {
    await setting('openPanel', false);
  }
});

test('labels are characters: é, 本, 한 and emoji never show as U+FFFD; highlights sit on whole characters', async () => {
  const t = await api();
  const line = 'café 本当 한국어 👨‍👩‍👧 ❤️ naïve 😀 \u200b\ufeff ';
  const editor = await openFixture('unicode.txt', `${line}\n${line}\n${line}\n`);
  const doc = editor.document;
  const uri = doc.uri.toString();
  await setting('inlineHints', 'all');
  await vscode.commands.executeCommand('inductionLens.toggleEventFilter');
  try {
    editor.selection = new vscode.Selection(doc.positionAt(0), doc.positionAt(doc.getText().length));
    await vscode.commands.executeCommand('inductionLens.showInductionAttention');
    const d = t.analysis(uri)!;
    const text = doc.getText();
    const tokens = d.analysis.tokens;
    let partial = 0;
    for (let i = 0; i < tokens.ids.length; i++) {
      if (tokens.starts[i] === tokens.ends[i]) {
        partial++; // holds only part of a character: no hover position of its own
        continue;
      }
      const hovers = await vscode.commands.executeCommand<vscode.Hover[]>('vscode.executeHoverProvider', doc.uri, doc.positionAt(tokens.starts[i]));
      const h = hoverText(hovers);
      assert.ok(!h.includes('\uFFFD'), `hover of token ${i}: ${h.split('\n')[0]}`);
      // The token is labelled by the characters of its span.
      const span = text.slice(tokens.starts[i], tokens.ends[i]);
      assert.ok(h.split('\n')[0].includes(markInvisible(span).replace(/\n/g, '\\n')), `hover of token ${i} names "${span}": ${h.split('\n')[0]}`);
    }
    assert.ok(partial > 0, 'the text has tokens that hold part of a character');
    const bounds = new Set<number>([text.length]);
    for (const s of new Intl.Segmenter(undefined, { granularity: 'grapheme' }).segment(text)) bounds.add(s.index);
    const p = await waitFor('overlay', () => t.painted(uri));
    const ranges = [...p.queries.flat(), ...p.sources, ...p.hits];
    assert.ok(ranges.length > 5, 'events are painted');
    for (const [s, e] of ranges) assert.ok(bounds.has(s) && bounds.has(e), `range [${s}, ${e}) "${text.slice(s, e)}" sits on character boundaries`);
    const hints = await waitFor('hints', () => t.hints(uri).length ? t.hints(uri) : undefined);
    for (const h of hints) {
      assert.ok(!h.label.includes('\uFFFD'), `hint ${h.label}`);
      assert.ok(bounds.has(h.offset), `hint at ${h.offset} sits between characters`);
      const W = (c: string) => /[\p{L}\p{N}\p{M}_]/u.test(c);
      assert.ok(!(W(text.slice(h.offset - 1, h.offset)) && W(text.slice(h.offset, h.offset + 1))), `hint at ${h.offset} is not inside a word: "${text.slice(h.offset - 3, h.offset)}|${text.slice(h.offset, h.offset + 3)}"`);
    }
  } finally {
    await vscode.commands.executeCommand('inductionLens.toggleEventFilter');
    await setting('inlineHints', 'cursorLine');
  }
});

test('inline hints: on the cursor line by default, after whole words; all or off by setting', async () => {
  const t = await api();
  const lines = ['def wrap_text(text, width):', '    return wrap_text(text, width)', '    wrap_text(text, width)', 'wrap_text(text, width)'];
  const editor = await openFixture('hints.py', lines.join('\n') + '\n');
  const doc = editor.document;
  const uri = doc.uri.toString();
  const text = doc.getText();
  await vscode.commands.executeCommand('inductionLens.toggleEventFilter'); // all events: more hints to place
  try {
    editor.selection = new vscode.Selection(doc.positionAt(0), doc.positionAt(text.length));
    await vscode.commands.executeCommand('inductionLens.showInductionAttention');
    const p = await waitFor('overlay', () => t.painted(uri));
    assert.ok(p.hints.length >= 2, `hints planned: ${p.hints.map((h) => h.label)}`);
    const hintLines = [...new Set(p.hints.map((h) => doc.positionAt(h.at).line))];
    assert.ok(hintLines.length >= 2, 'hints on several lines');
    const W = (c: string) => /[\p{L}\p{N}_]/u.test(c);
    for (const h of p.hints) assert.ok(!(W(text.slice(h.at - 1, h.at)) && W(text.slice(h.at, h.at + 1))), `hint never inside a word: "${text.slice(h.at - 6, h.at)}|${text.slice(h.at, h.at + 3)}"`);
    for (const line of hintLines) {
      editor.selection = new vscode.Selection(line, 0, line, 0);
      const shown = await waitFor(`hints on line ${line}`, () => {
        const hs = t.hints(uri);
        return hs.length && hs.every((h) => doc.positionAt(h.offset).line === line) ? hs : undefined;
      });
      assert.equal(shown.length, p.hints.filter((h) => doc.positionAt(h.at).line === line).length, 'every hint of the cursor line, no other');
      // The sources' borders follow the cursor line too: those of this line's events only.
      const srcs = t.painted(uri)!.sourcesShown;
      assert.ok(srcs.length > 0 && srcs.length < p.sources.length, `${srcs.length} of ${p.sources.length} source borders shown on line ${line}`);
      assert.ok(srcs.every(([s0]) => p.sources.some(([s1]) => s1 === s0)));
    }
    await setting('inlineHints', 'all');
    assert.equal(t.hints(uri).length, p.hints.length);
    await waitFor('all source borders', () => t.painted(uri)!.sourcesShown.length === p.sources.length);
    await setting('inlineHints', 'off');
    assert.equal(t.hints(uri).length, 0);
    await waitFor('no source borders', () => t.painted(uri)!.sourcesShown.length === 0);
  } finally {
    await setting('inlineHints', 'cursorLine');
    await vscode.commands.executeCommand('inductionLens.toggleEventFilter');
  }
});

test('the inference worker dies mid-analysis: one clear message, and the next analysis works', async () => {
  const t = await api();
  const editor = await openFixture('repeated.txt');
  const doc = editor.document;
  editor.selection = new vscode.Selection(doc.positionAt(0), doc.positionAt(300));
  t.crashWorkerOnNextForward();
  await vscode.commands.executeCommand('inductionLens.showInductionAttention');
  assert.match(t.lastError() ?? '', /the inference worker stopped \(exit code \d+\); it has been restarted/);
  assert.equal(t.status().state, 'error');
  await vscode.commands.executeCommand('inductionLens.showInductionAttention');
  assert.equal(t.lastError(), null, 'the next request runs in a fresh worker');
  assert.ok(t.analysis(doc.uri.toString())!.analysis.events.length > 0);
  assert.equal(t.status().state, 'idle');
});

test('invalid panel messages are dropped and never stored: a wrong-length head mask leaves later analyses working', async () => {
  const t = await api();
  const editor = await openFixture('repeated.txt');
  const doc = editor.document;
  editor.selection = new vscode.Selection(doc.positionAt(0), doc.positionAt(300));
  await vscode.commands.executeCommand('inductionLens.showInductionAttention');
  const d = t.analysis(doc.uri.toString())!;
  const n = d.analysis.dims.nLayers * d.analysis.dims.nHeads;
  const before = t.panel.dropped.length;
  t.panel.receiveForTest({ type: 'setMask', mask: [1, 0, 1] });
  t.panel.receiveForTest({ type: 'setMask', mask: new Array(n).fill(0.5) });
  t.panel.receiveForTest({ type: 'revealToken', index: d.analysis.tokens.ids.length + 5 });
  t.panel.receiveForTest({ type: 'selectHead', head: { layer: 99, head: 0 } });
  t.panel.receiveForTest({ type: 'nonsense' });
  t.panel.receiveForTest('not an object');
  const reasons = t.panel.dropped.slice(before);
  assert.equal(reasons.length, 6, reasons.join('\n'));
  assert.match(reasons[0], new RegExp(`setMask\\.mask: expected ${n} values of 0 or 1, got 3`));
  await vscode.commands.executeCommand('inductionLens.showInductionAttention');
  assert.equal(t.lastError(), null, 'the next analysis works');
  assert.ok(t.analysis(doc.uri.toString())!.seq > d.seq);
});

test('model files changed on disk are noticed: the next analysis reloads them, circuits never mix weights', async () => {
  const t = await api();
  const before = vscode.workspace.getConfiguration('inductionLens').get<string>('modelPath') ?? '';
  const src = path.join(ws(), 'changing-model');
  const twin = path.join(ws(), 'changing-model-twin');
  const fixture = path.join(ws(), 'fixtures', 'tiny-gpt2');
  fs.cpSync(fixture, src, { recursive: true });
  const editor = await openFixture('repeated.txt');
  const doc = editor.document;
  const losses = async (dir: string) => {
    await setting('modelPath', dir);
    editor.selection = new vscode.Selection(doc.positionAt(0), doc.positionAt(400));
    await vscode.commands.executeCommand('inductionLens.showInductionAttention');
    assert.equal(t.lastError(), null);
    return t.analysis(doc.uri.toString())!.analysis.loss;
  };
  try {
    const original = await losses(src);
    // Double the final layer norm's weight in place: same file names, new numbers.
    const file = path.join(src, 'model.safetensors');
    const buf = fs.readFileSync(file);
    const n = Number(buf.readBigUInt64LE(0));
    const e = JSON.parse(buf.subarray(8, 8 + n).toString('utf8'))['ln_f.weight'];
    const data = new Float32Array(buf.buffer.slice(buf.byteOffset + 8 + n + e.data_offsets[0], buf.byteOffset + 8 + n + e.data_offsets[1]));
    for (let i = 0; i < data.length; i++) data[i] *= 2;
    Buffer.from(data.buffer).copy(buf, 8 + n + e.data_offsets[0]);
    fs.writeFileSync(file, buf);
    fs.cpSync(src, twin, { recursive: true });
    const reloaded = await losses(src);
    assert.notDeepEqual(reloaded, original, 'the new weights were used');
    assert.deepEqual(reloaded, await losses(twin), 'the same numbers as a fresh load of the changed files');
  } finally {
    await setting('modelPath', before);
  }
});

test('Clear removes the overlay', async () => {
  const t = await api();
  const editor = await openFixture('repeated.txt');
  await vscode.commands.executeCommand('inductionLens.clear');
  assert.equal(t.painted(editor.document.uri.toString()), undefined);
  assert.equal(t.analysis(editor.document.uri.toString()), undefined);
});
