// Timings inside the real VS Code (code-server), for `node scripts/bench/bench.mjs --vscode`: command to
// overlay, edit to overlay in live mode (at the document start, and typed at its start, middle and
// end), panel first paint at 512 and 2048 tokens, heatmap redraw at full context, activation time
// and extension-host memory. Writes JSON to the workspace.
import * as fs from 'fs';
import * as path from 'path';
import * as vscode from 'vscode';
import type { ExtensionApi } from '../../../src/extension/extension';
import { openModel } from '../../../src/engine/model';
import type { TextTokenizer } from '../../../src/engine/tokenizer';

let tokenizer: TextTokenizer;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const ws = () => vscode.workspace.workspaceFolders![0].uri.fsPath;
const stats = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return { median: s[Math.floor(s.length / 2)], min: s[0], max: s[s.length - 1], n: s.length };
};

async function waitFor<T>(f: () => T | undefined | null | false, ms = 30000): Promise<T> {
  const t0 = Date.now();
  for (;;) {
    const v = f();
    if (v) return v;
    if (Date.now() - t0 > ms) throw new Error('timed out');
    await new Promise((r) => setImmediate(r));
  }
}

async function setting(key: string, value: unknown) {
  await vscode.workspace.getConfiguration('inductionLens').update(key, value, vscode.ConfigurationTarget.Global);
}

/** Random words, perLine a line, cut to exactly nTokens tokens of the bundled model. */
function wordsText(nTokens: number, perLine: number): string {
  const words = ['alpha', 'orbit', 'velvet', 'cactus', 'harbor', 'pixel', 'meadow', 'quartz', 'tundra', 'falcon', 'lantern', 'copper', 'willow', 'ember', 'signal', 'marble'];
  let seed = 7;
  const pick = () => words[(seed = (seed * 1103515245 + 12345) % 2147483648) % words.length];
  const lines: string[] = [];
  let n = 0;
  while (n < nTokens) {
    const line: string[] = [];
    for (let i = 0; i < perLine; i++) line.push(pick());
    lines.push(line.join(' '));
    n += perLine;
  }
  const text = lines.join('\n') + '\n';
  const t = tokenizer.encode(text);
  return text.slice(0, t.ends[Math.min(nTokens, t.ids.length) - 1]);
}

export async function run(): Promise<void> {
  const ext = vscode.extensions.getExtension<ExtensionApi>('induction-lens.induction-lens')!;
  const t = (await ext.activate())._test;
  tokenizer = openModel(path.join(ext.extensionPath, 'media', 'models', 'attn-only-2l')).tokenizer;
  const out: Record<string, unknown> = {};
  await setting('openPanel', false);
  const open = async (name: string, text: string) => {
    const p = path.join(ws(), name);
    fs.writeFileSync(p, text);
    return vscode.window.showTextDocument(await vscode.workspace.openTextDocument(p), { viewColumn: vscode.ViewColumn.One });
  };
  // Command to overlay (model already loaded after the first run).
  const ed = await open('perf-512.txt', wordsText(511, 12));
  const doc = ed.document;
  ed.selection = new vscode.Selection(doc.positionAt(0), doc.positionAt(doc.getText().length));
  await vscode.commands.executeCommand('inductionLens.showInductionAttention');
  const cmd: number[] = [];
  for (let i = 0; i < 10; i++) {
    // A new first letter: the text's window differs from the last analysis, which would otherwise
    // be taken whole (window reuse) instead of measured.
    await ed.edit((b) => b.replace(new vscode.Range(0, 0, 0, 1), 'xy'[i % 2]));
    ed.selection = new vscode.Selection(doc.positionAt(0), doc.positionAt(doc.getText().length));
    const before = t.paintCount();
    const t0 = performance.now();
    await vscode.commands.executeCommand('inductionLens.showInductionAttention');
    await waitFor(() => t.paintCount() > before);
    cmd.push(performance.now() - t0);
  }
  out.commandToOverlayMs = stats(cmd);
  out.tokensCommand = t.analysis(doc.uri.toString())?.analysis.tokens.ids.length;

  // Edit to overlay in live mode, 1,000-token visible range, debounce excluded.
  const debounce = 100;
  await setting('debounceMs', debounce);
  await setting('liveMode', 'onType');
  const live = await open('perf-live.txt', wordsText(1000, 30));
  await sleep(300);
  const edits: number[] = [];
  let visibleTokens = 0;
  const uri = live.document.uri.toString();
  for (let i = 0; i < 8; i++) {
    const before = t.analysis(uri)?.seq ?? 0;
    const t0 = performance.now();
    await live.edit((b) => b.insert(new vscode.Position(0, 0), i % 2 ? 'x' : 'y'));
    await waitFor(() => (t.painted(uri)?.seq ?? 0) > before);
    edits.push(performance.now() - t0 - debounce);
    visibleTokens = t.analysis(live.document.uri.toString())?.analysis.tokens.ids.length ?? 0;
    await sleep(300);
  }
  out.editToOverlayBeyondDebounceMs = stats(edits);
  out.liveVisibleTokens = visibleTokens;

  // The same as a user types: one character after another at the start, the middle (a line start
  // halfway down) and the end of the text; each edit changes only the windows around it.
  const typed = 'lantern ';
  const byPlace: Record<string, number[]> = {};
  const places: Record<string, () => number> = {
    start: () => 0,
    middle: () => live.document.offsetAt(new vscode.Position(Math.floor(live.document.lineCount / 2), 0)),
    end: () => live.document.getText().length,
  };
  for (const [place, at] of Object.entries(places)) {
    const times: number[] = (byPlace[place] = []);
    const base = at();
    for (let i = 0; i < 6; i++) {
      const before = t.analysis(uri)?.seq ?? 0;
      const t0 = performance.now();
      await live.edit((b) => b.insert(live.document.positionAt(base + i), typed[i % typed.length]));
      await waitFor(() => (t.painted(uri)?.seq ?? 0) > before);
      times.push(performance.now() - t0 - debounce);
      await sleep(300);
    }
  }
  await setting('liveMode', 'off');
  out.liveEditToOverlayMs = stats(Object.values(byPlace).flat());
  out.liveEditToOverlayByPlaceMs = Object.fromEntries(Object.entries(byPlace).map(([k, v]) => [k, stats(v)]));

  // Panel first paint and heatmap redraw (marks taken in the webview with performance.now()).
  await setting('openPanel', true);
  for (const [name, n] of [['perf-panel-512.txt', 511], ['perf-panel-2048.txt', 2048]] as const) {
    const e = await open(name, wordsText(n, 12));
    e.selection = new vscode.Selection(e.document.positionAt(0), e.document.positionAt(e.document.getText().length));
    for (let i = 0; i < 4; i++) {
      const before = t.panel.perf.length;
      await vscode.commands.executeCommand('inductionLens.showInductionAttention');
      await waitFor(() => t.panel.perf.slice(before).some((p) => p.mark.startsWith('firstPaint')) && t.panel.perf.slice(before).some((p) => p.mark.startsWith('heatmapRedraw')), 30000);
    }
  }
  const marks = (prefix: string) => t.panel.perf.filter((p) => p.mark.startsWith(prefix));
  const byN = (prefix: string, lo: number, hi: number) => stats(marks(prefix).filter((p) => {
    const n = Number(p.mark.split(':')[1]);
    return n >= lo && n <= hi;
  }).map((p) => p.ms));
  out.panelFirstPaint512Ms = byN('firstPaint', 400, 700);
  out.panelFirstPaint2048Ms = byN('firstPaint', 1500, 2500);
  out.heatmapRedrawFullContextMs = byN('heatmapRedraw', 400, 700);
  out.heatmapRedraw2048Ms = byN('heatmapRedraw', 1500, 2500);
  out.activationMs = t.activationMs;
  const m = process.memoryUsage();
  out.extensionHostMemoryMiB = { rss: m.rss / 2 ** 20, heapUsed: m.heapUsed / 2 ** 20, external: m.external / 2 ** 20, arrayBuffers: m.arrayBuffers / 2 ** 20, peakRss: process.resourceUsage().maxRSS / 1024, note: 'the inference worker is a thread of this process' };
  fs.writeFileSync(path.join(ws(), '.il-perf.json'), JSON.stringify(out, null, 1));
}
