// The webview panel beside the editor: host side. Strict CSP with a nonce, scripts only from the
// built webview folder, typed messages; the full state is re-sent whenever the webview asks.
import * as crypto from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import * as vscode from 'vscode';
import { circuitsUnavailableReason } from '../engine/circuits';
import type { Analysis } from '../engine/analysis';
import { eventMatters, rankEvents } from '../engine/overlay';
import type { HeadRef, HostToPanel, PanelAnalysis, PanelHeadScore, PanelToHost } from '../protocol/panel';
import { validatePanelToHost } from '../protocol/validate';
import { analysisJson } from '../cli/format';
import type { AnalysisController, DocumentAnalysis } from './analysisController';
import type { EventFilterState } from './eventFilter';
import { describeError, type ModelManager } from './modelManager';

export const PANEL_VIEW_TYPE = 'inductionLens.panel';

export class PanelManager implements vscode.Disposable {
  private panel: vscode.WebviewPanel | null = null;
  private current: DocumentAnalysis | null = null;
  private editor: vscode.TextEditor | null = null;
  private selectedHead: HeadRef | null = null;
  /** Why the selected head is shown (the user chose it, or it is the most active on the text). */
  private selectedWhy = '';
  /** Bumped when the user closes the panel: a run started before that does not reopen it. */
  private closeCount = 0;
  private baseline: { uri: string; seq: number; loss: (number | null)[]; eventProb: Map<number, number> } | null = null;
  private requestId = 0;
  private readonly subs: vscode.Disposable[] = [];
  /** Messages sent to the webview, newest last (for tests). */
  readonly sent: HostToPanel['type'][] = [];
  /** Reasons of the webview messages dropped as invalid (for tests). */
  readonly dropped: string[] = [];
  /** Timings the webview reported (performance.now() marks). */
  readonly perf: { mark: string; ms: number }[] = [];

  constructor(
    private readonly context: vscode.ExtensionContext,
    private readonly controller: AnalysisController,
    private readonly models: ModelManager,
    private readonly log: vscode.OutputChannel,
    private readonly filter: EventFilterState,
  ) {
    this.subs.push(filter.onDidChange(() => this.refresh()));
  }

  /** The head the Pattern view shows and why (for tests). */
  selection(): { head: HeadRef; why: string } | null {
    return this.selectedHead ? { head: this.selectedHead, why: this.selectedWhy } : null;
  }

  /** Closes the panel as the user's close button does (for tests). */
  closeForTest(): void {
    this.panel?.dispose();
  }

  /** Sends the current analysis again (the filter's thresholds changed). */
  refresh(): void {
    if (this.panel && this.current) this.post({ type: 'analysis', analysis: this.toPanel(this.current) });
  }

  /** A token to hand to showAfterRun: the panel opens after a run only if the user did not
   *  close it while the run was going. */
  get closeToken(): number {
    return this.closeCount;
  }

  /** Opens the panel after an analysis the user asked for, unless they closed it meanwhile. */
  showAfterRun(editor: vscode.TextEditor, token: number): void {
    if (token !== this.closeCount) return;
    this.show(editor, true);
  }

  registerSerializer(): void {
    this.subs.push(vscode.window.registerWebviewPanelSerializer(PANEL_VIEW_TYPE, {
      deserializeWebviewPanel: async (panel) => {
        this.adopt(panel);
        // A reload loses the analysis: analyse the active editor again.
        const editor = vscode.window.activeTextEditor;
        if (editor) await vscode.commands.executeCommand('inductionLens.showInductionAttention');
        else this.post({ type: 'empty', message: 'Run “Induction Lens: Show Induction Attention” on some text.' });
      },
    }));
  }

  get isOpen(): boolean {
    return this.panel !== null;
  }

  show(editor: vscode.TextEditor | undefined, preserveFocus: boolean): void {
    if (editor) this.editor = editor;
    if (this.panel) {
      this.panel.reveal(vscode.ViewColumn.Beside, preserveFocus);
    } else {
      const panel = vscode.window.createWebviewPanel(PANEL_VIEW_TYPE, 'Induction Lens', { viewColumn: vscode.ViewColumn.Beside, preserveFocus }, {
        enableScripts: true,
        localResourceRoots: [vscode.Uri.joinPath(this.context.extensionUri, 'dist', 'webview')],
      });
      this.adopt(panel);
    }
    const d = editor ? this.controller.get(editor.document.uri.toString()) : undefined;
    if (d) this.onAnalysis(d, d.uri);
  }

  private adopt(panel: vscode.WebviewPanel) {
    this.panel = panel;
    panel.webview.options = { enableScripts: true, localResourceRoots: [vscode.Uri.joinPath(this.context.extensionUri, 'dist', 'webview')] };
    panel.webview.html = this.html(panel.webview);
    panel.iconPath = vscode.Uri.joinPath(this.context.extensionUri, 'media', 'icon.png');
    // The panel's own listeners go with the panel, not with the manager.
    const listeners: vscode.Disposable[] = [];
    panel.onDidDispose(() => {
      this.panel = null;
      this.closeCount++;
      listeners.forEach((l) => l.dispose());
    }, null, listeners);
    panel.webview.onDidReceiveMessage((raw: unknown) => this.receive(raw), null, listeners);
  }

  /** Called for every new analysis (or its removal). */
  onAnalysis(d: DocumentAnalysis | null, uri: string): void {
    if (!d) {
      if (this.current?.uri === uri) {
        this.current = null;
        this.post({ type: 'empty', message: 'The analysis was cleared. Run “Induction Lens: Show Induction Attention” again.' });
      }
      return;
    }
    if (this.current && this.current.uri !== d.uri) {
      this.baseline = null;
      this.selectedHead = null; // another text: show its most active induction head
    }
    this.current = d;
    if (!this.panel) return;
    this.sendAnalysis();
  }

  private sendAnalysis() {
    const d = this.current;
    if (!d) {
      this.post({ type: 'empty', message: 'Select text and run “Induction Lens: Show Induction Attention”.' });
      return;
    }
    const a = d.analysis;
    if (!this.selectedHead || this.selectedHead.layer >= a.dims.nLayers || this.selectedHead.head >= a.dims.nHeads) {
      const pick = mostActiveInductionHead(a);
      this.selectedHead = pick.head;
      this.selectedWhy = pick.why;
    }
    this.post({ type: 'analysis', analysis: this.toPanel(d) });
    this.sendPattern();
  }

  private toPanel(d: DocumentAnalysis): PanelAnalysis {
    const a = d.analysis;
    const tok = d.session.model.tokenizer;
    const N = a.tokens.ids.length;
    const k = 5;
    const ids = new Int32Array(N * k).fill(-1);
    const probs = new Float32Array(N * k);
    const vocabText: Record<number, string> = {};
    const remember = (id: number) => {
      if (!(id in vocabText)) vocabText[id] = tok.tokenText(id);
    };
    for (let i = 0; i < N; i++) {
      remember(a.tokens.ids[i]);
      (a.predictions[i] ?? []).slice(0, k).forEach((p, j) => {
        ids[i * k + j] = p.id;
        probs[i * k + j] = p.prob;
        remember(p.id);
      });
    }
    a.events.forEach((e) => remember(e.successorId));
    const filter = this.filter.current;
    const gainAt = (q: number) => a.ablationGain?.[q] ?? NaN;
    const mask = this.controller.userMask ?? new Float32Array(a.dims.nLayers * a.dims.nHeads).fill(1);
    const ablated = mask.some((x) => x === 0);
    if (!ablated) {
      this.baseline = { uri: d.uri, seq: d.seq, loss: a.loss, eventProb: new Map(a.events.map((e) => [e.query, e.prob])) };
    }
    const base = ablated && this.baseline?.uri === d.uri ? this.baseline : null;
    const fd = (xs: (number | null)[] | null) => Float32Array.from({ length: N }, (_, i) => xs?.[i] ?? NaN);
    return {
      requestId: ++this.requestId,
      model: { id: d.session.id, version: this.models.stampOf(d.session), nLayers: a.dims.nLayers, nHeads: a.dims.nHeads, nCtx: a.dims.nCtx, circuitsUnavailable: circuitsUnavailableReason(d.session.model.folder.manifest) },
      fileName: path.basename(vscode.Uri.parse(d.uri).path),
      text: d.text,
      tokens: { ids: a.tokens.ids, starts: a.tokens.starts, ends: a.tokens.ends },
      heads: textScores(a),
      inductionHeads: a.inductionHeads,
      events: a.events.map((e) => ({ ...e, gain: gainAt(e.query), matters: eventMatters(e, a.ablationGain?.[e.query], filter) })),
      eventOrder: Int32Array.from(rankEvents(a)),
      eventFilter: filter,
      loss: fd(a.loss),
      ablationGain: fd(a.ablationGain),
      topK: { k, ids, probs },
      vocabText,
      mask,
      baseline: base ? { loss: fd(base.loss), eventProb: Float32Array.from(a.events, (e) => base.eventProb.get(e.query) ?? NaN) } : null,
      elapsedMs: d.elapsedMs,
    };
  }

  private sendPattern() {
    const d = this.current;
    const h = this.selectedHead;
    if (!d || !h) return;
    this.post({ type: 'pattern', pattern: { requestId: this.requestId, head: h, why: this.selectedWhy, pattern: headPattern(d.analysis, h) } });
  }

  /** Every message from the webview is checked against the analysis it shows (types, ranges, a
   *  head mask of n_layers × n_heads values of 0 or 1); an invalid one is dropped and logged,
   *  never stored. */
  private receive(raw: unknown): void {
    const a = this.current?.analysis;
    const ctx = a ? { nLayers: a.dims.nLayers, nHeads: a.dims.nHeads, nTokens: a.tokens.ids.length } : null;
    const v = validatePanelToHost(raw, ctx);
    if (!v.ok) {
      this.dropped.push(v.reason);
      this.log.appendLine(`panel message dropped: ${v.reason}`);
      return;
    }
    void this.onMessage(v.msg);
  }

  /** Test hook: a message as if the webview had sent it. */
  receiveForTest(raw: unknown): void {
    this.receive(raw);
  }

  private async onMessage(m: PanelToHost) {
    switch (m.type) {
      case 'ready':
        this.sendAnalysis();
        return;
      case 'selectHead':
        this.selectedHead = m.head;
        this.selectedWhy = 'chosen in the Heads view';
        this.sendPattern();
        return;
      case 'revealToken': {
        const d = this.current;
        if (!d) return;
        const editor = vscode.window.visibleTextEditors.find((e) => e.document.uri.toString() === d.uri) ??
          (await vscode.window.showTextDocument(vscode.Uri.parse(d.uri), { viewColumn: vscode.ViewColumn.One, preserveFocus: false }));
        const doc = editor.document;
        const r = new vscode.Range(doc.positionAt(d.baseOffset + d.analysis.tokens.starts[m.index]), doc.positionAt(d.baseOffset + d.analysis.tokens.ends[m.index]));
        editor.selection = new vscode.Selection(r.start, r.end);
        editor.revealRange(r, vscode.TextEditorRevealType.InCenterIfOutsideViewport);
        return;
      }
      case 'setMask':
        await this.setMask(Float32Array.from(m.mask));
        return;
      case 'requestCircuits':
        await this.sendCircuits();
        return;
      case 'exportJson':
        await this.exportJson();
        return;
      case 'exportPng':
        await this.exportPng(m.view, m.dataUrl);
        return;
      case 'perf':
        this.perf.push({ mark: m.mark, ms: m.ms });
        this.log.appendLine(`panel ${m.mark}: ${m.ms.toFixed(1)} ms`);
        return;
    }
  }

  /** Re-runs the current analysis with the user's head mask (all ones = no ablation). */
  async setMask(mask: Float32Array): Promise<void> {
    const d = this.current;
    if (!d) return;
    this.controller.userMask = mask.every((x) => x === 1) ? null : mask;
    const editor = vscode.window.visibleTextEditors.find((e) => e.document.uri.toString() === d.uri);
    if (!editor) return;
    this.post({ type: 'busy', message: 'Re-running with the chosen heads ablated…' });
    const doc = editor.document;
    const range = new vscode.Range(doc.positionAt(d.baseOffset), doc.positionAt(d.baseOffset + d.text.length));
    try {
      await this.controller.run(editor, range);
    } catch (e) {
      this.post({ type: 'error', message: describeError(e) });
    }
  }

  private async sendCircuits() {
    const d = this.current;
    if (!d) return;
    const manifest = d.session.model.folder.manifest;
    const reason = circuitsUnavailableReason(manifest);
    if (reason) {
      this.post({ type: 'circuits', circuits: null, reason });
      return;
    }
    if (!this.models.isUpToDate(d.session)) {
      // The weights on disk are no longer those of the analysis on screen: never mix the two.
      this.post({ type: 'circuits', circuits: null, reason: 'the model\'s files changed on disk since this analysis: run “Show Induction Attention” again to use the new weights' });
      return;
    }
    this.post({ type: 'busy', message: 'Computing the circuits from the weights…' });
    try {
      const prev = [...d.analysis.heads].filter((h) => h.layer === 0).sort((x, y) => y.previousToken - x.previousToken)[0];
      const ind = [...d.analysis.heads].filter((h) => h.layer === 1).sort((x, y) => y.induction - x.induction)[0];
      const circuits = await this.models.workerPool.circuits(d.session.model.folder.dir, { layer: 0, head: prev.head }, { layer: 1, head: ind.head });
      this.post({ type: 'circuits', circuits, reason: null });
    } catch (e) {
      this.post({ type: 'circuits', circuits: null, reason: describeError(e) });
    }
  }

  /** Writes the current analysis as JSON (the CLI's format); `target` skips the dialog. */
  async exportJson(target?: vscode.Uri): Promise<vscode.Uri | undefined> {
    const d = this.current;
    if (!d) return undefined;
    const uri = target ?? (await vscode.window.showSaveDialog({ defaultUri: exportUri(d.uri, 'json'), filters: { JSON: ['json'] }, saveLabel: 'Export analysis' }));
    if (!uri) return undefined;
    const json = analysisJson(d.session, d.analysis, 5);
    await vscode.workspace.fs.writeFile(uri, Buffer.from(JSON.stringify(json, null, 1)));
    void vscode.window.showInformationMessage(`Induction Lens: analysis exported to ${uri.fsPath}`);
    return uri;
  }

  private async exportPng(view: string, dataUrl: string) {
    const m = /^data:image\/png;base64,([A-Za-z0-9+/=]+)$/.exec(dataUrl);
    if (!m) return; // validatePanelToHost lets only such data URLs through
    const uri = await vscode.window.showSaveDialog({ defaultUri: this.current ? exportUri(this.current.uri, 'png') : undefined, filters: { PNG: ['png'] }, saveLabel: `Export ${view} view` });
    if (!uri) return;
    await vscode.workspace.fs.writeFile(uri, Buffer.from(m[1], 'base64'));
    void vscode.window.showInformationMessage(`Induction Lens: ${view} view exported to ${uri.fsPath}`);
  }

  post(msg: HostToPanel): void {
    this.sent.push(msg.type);
    void this.panel?.webview.postMessage(msg);
  }

  private html(webview: vscode.Webview): string {
    const nonce = crypto.randomBytes(16).toString('base64');
    const root = vscode.Uri.joinPath(this.context.extensionUri, 'dist', 'webview');
    const src = (f: string) => webview.asWebviewUri(vscode.Uri.joinPath(root, f)).toString();
    const csp = [
      "default-src 'none'",
      `img-src ${webview.cspSource} data:`,
      `style-src ${webview.cspSource} 'nonce-${nonce}'`,
      `script-src 'nonce-${nonce}'`,
      `font-src ${webview.cspSource}`,
    ].join('; ');
    const template = fs.readFileSync(path.join(root.fsPath, 'index.html'), 'utf8');
    return template
      .replace(/\{\{csp\}\}/g, csp)
      .replace(/\{\{nonce\}\}/g, nonce)
      .replace(/\{\{style\}\}/g, src('style.css'))
      .replace(/\{\{elements\}\}/g, src('elements.js'))
      .replace(/\{\{main\}\}/g, src('main.js'));
  }

  dispose(): void {
    this.panel?.dispose();
    this.subs.forEach((s) => s.dispose());
  }
}

/**
 * Where an export is suggested: `<file>-induction.<ext>` next to the document (untitled documents:
 * in the first workspace folder).
 */
export function exportUri(docUri: string, ext: 'png' | 'json'): vscode.Uri | undefined {
  const uri = vscode.Uri.parse(docUri);
  const base = path.posix.basename(uri.path).replace(/\.[^.]*$/, '') || 'analysis';
  const name = `${base}-induction.${ext}`;
  if (uri.scheme === 'untitled') {
    const ws = vscode.workspace.workspaceFolders?.[0];
    return ws ? vscode.Uri.joinPath(ws.uri, name) : undefined;
  }
  return vscode.Uri.joinPath(uri, '..', name);
}

/**
 * The head the Pattern view opens on: the induction head with the highest mean attention on the
 * text's induction events (not the best probe score: a head can score high on random tokens and
 * do little on this text), else the best-scoring head on the probe.
 */
export function mostActiveInductionHead(a: Analysis): { head: HeadRef; why: string } {
  const scores = textScores(a);
  const ind = scores.filter((s) => a.inductionHeads.some((h) => h.layer === s.layer && h.head === s.head) && Number.isFinite(s.textInduction));
  if (ind.length) {
    const best = ind.sort((x, y) => y.textInduction - x.textInduction)[0];
    return {
      head: { layer: best.layer, head: best.head },
      why: `the induction head most active on this text: mean attention ${best.textInduction.toFixed(2)} on the text's ${a.events.length} induction events`,
    };
  }
  const best = [...a.heads].sort((x, y) => y.induction - x.induction)[0];
  return { head: { layer: best.layer, head: best.head }, why: `the best induction score on the probe (${best.induction.toFixed(2)}); the text has no induction events` };
}

/** Probe scores plus the same scores measured on the analysed text. */
export function textScores(a: Analysis): PanelHeadScore[] {
  return a.heads.map((h) => {
    let prev = 0, nPrev = 0, ind = 0, nInd = 0;
    for (const w of a.windows) {
      if (!w.attentions) continue;
      const S = w.end - w.start + 1;
      const base = (h.layer * a.dims.nHeads + h.head) * S * S;
      for (let q = w.ownStart; q < w.ownEnd; q++) {
        const mq = q - w.start + 1;
        if (q > w.start) {
          prev += w.attentions[base + mq * S + mq - 1];
          nPrev++;
        }
      }
    }
    for (const e of a.events) {
      const w = a.windows.find((x) => x.ownStart <= e.query && e.query < x.ownEnd);
      if (!w?.attentions) continue;
      const S = w.end - w.start + 1;
      ind += w.attentions[((h.layer * a.dims.nHeads + h.head) * S + (e.query - w.start + 1)) * S + (e.source - w.start + 1)];
      nInd++;
    }
    return { ...h, textPreviousToken: nPrev ? prev / nPrev : NaN, textInduction: nInd ? ind / nInd : NaN };
  });
}

/** One head's attention over the analysed tokens, [query, key], BOS dropped. */
export function headPattern(a: Analysis, h: HeadRef): { shape: [number, number]; data: Float32Array } {
  const N = a.tokens.ids.length;
  const out = new Float32Array(N * N);
  for (const w of a.windows) {
    if (!w.attentions) continue;
    const S = w.end - w.start + 1;
    const base = (h.layer * a.dims.nHeads + h.head) * S * S;
    for (let q = w.ownStart; q < w.ownEnd; q++) {
      const row = base + (q - w.start + 1) * S;
      for (let k = w.start; k <= q; k++) out[q * N + k] = w.attentions[row + (k - w.start + 1)];
    }
  }
  return { shape: [N, N], data: out };
}
