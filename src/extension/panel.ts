// The webview panel beside the editor: host side. Strict CSP with a nonce, scripts only from the
// built webview folder, typed messages; the full state is re-sent whenever the webview asks.
import * as path from 'path';
import * as vscode from 'vscode';
import { circuitsUnavailableReason } from '../engine/circuits';
import { BaselineKeeper, circuitHeads, mostActiveInductionHead, panelAnalysis } from '../engine/panelViews';
import { analysisJson } from '../engine/report';
import type { HeadRef, HostToPanel, PanelAnalysis, PanelToHost } from '../protocol/panel';
import { validatePanelToHost } from '../protocol/validate';
import type { AnalysisController, DocumentAnalysis } from './analysisController';
import type { EventFilterState } from './eventFilter';
import { exportUri } from './exportUri';
import { describeError, type ModelManager } from './modelManager';
import { PageLoader } from './pageLoader';
import { panelPage, viewName, whyChosen } from './panelPage';
import { PathTester } from './pathTester';

export const PANEL_VIEW_TYPE = 'inductionLens.panel';

export class PanelManager implements vscode.Disposable {
  private panel: vscode.WebviewPanel | null = null;
  private current: DocumentAnalysis | null = null;
  /** The head the Pattern view shows, and why (the user chose it, or it is the most active on the text). */
  private selected: { head: HeadRef; why: string } | null = null;
  /** Bumped when the user closes the panel: a run started before that does not reopen it. */
  private closeCount = 0;
  /** The last unablated run of the text on screen, to compare an ablated run with. */
  private readonly baseline = new BaselineKeeper();
  private requestId = 0;
  private readonly subs: vscode.Disposable[] = [];
  /** Messages sent to the webview, newest last (for tests). */
  readonly sent: HostToPanel['type'][] = [];
  /** Loads the open panel's page (again when it does not start). */
  page: PageLoader | null = null;
  private brokenPages = 0;
  /** Reasons of the webview messages dropped as invalid (for tests). */
  readonly dropped: string[] = [];
  /** Timings the webview reported (performance.now() marks). */
  readonly perf: { mark: string; ms: number }[] = [];
  /** "Test the circuit" in the Circuits tab. */
  readonly tester: PathTester;

  constructor(
    private readonly context: vscode.ExtensionContext,
    private readonly controller: AnalysisController,
    private readonly models: ModelManager,
    private readonly log: vscode.LogOutputChannel,
    private readonly filter: EventFilterState,
  ) {
    this.subs.push(filter.onDidChange(() => this.refresh()));
    this.tester = new PathTester(filter, controller);
  }

  /** The head the Pattern view shows and why (for tests). */
  selection(): { head: HeadRef; why: string } | null {
    return this.selected ? { ...this.selected } : null;
  }

  /** Closes the panel as the user's close button does (for tests). */
  closeForTest(): void {
    this.panel?.dispose();
  }

  /** The next `n` pages load without their script, as a failed load does (for tests). */
  breakPagesForTest(n: number): void {
    this.brokenPages = n;
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
    if (token === this.closeCount) this.show(editor, true);
  }

  registerSerializer(): void {
    this.subs.push(vscode.window.registerWebviewPanelSerializer(PANEL_VIEW_TYPE, {
      deserializeWebviewPanel: async (panel) => {
        this.adopt(panel);
        // A reload loses the analysis: analyze the active editor again.
        const editor = vscode.window.activeTextEditor;
        if (editor) await vscode.commands.executeCommand('inductionLens.showInductionAttention');
        else this.post({ type: 'empty', message: vscode.l10n.t('Run “Induction Lens: Show Induction Attention” on some text.') });
      },
    }));
  }

  get isOpen(): boolean {
    return this.panel !== null;
  }

  show(editor: vscode.TextEditor | undefined, preserveFocus: boolean): void {
    if (this.panel) this.panel.reveal(vscode.ViewColumn.Beside, preserveFocus);
    else this.adopt(vscode.window.createWebviewPanel(PANEL_VIEW_TYPE, vscode.l10n.t('Induction Lens'), { viewColumn: vscode.ViewColumn.Beside, preserveFocus }, this.webviewOptions()));
    const d = editor ? this.controller.get(editor.document.uri.toString()) : undefined;
    if (d) this.onAnalysis(d, d.uri);
  }

  private adopt(panel: vscode.WebviewPanel) {
    this.panel = panel;
    panel.webview.options = this.webviewOptions();
    const page = (w: vscode.Webview) => panelPage(w, this.context.extensionUri);
    // A broken page (tests) loses its script, never counting below zero.
    this.page = new PageLoader(panel, this.log, (w) => (this.brokenPages > 0 && this.brokenPages-- ? page(w).replace(/main\.js"/, 'missing.js"') : page(w)));
    panel.iconPath = vscode.Uri.joinPath(this.context.extensionUri, 'media', 'icon.png');
    // The panel's own listeners go with the panel, not with the manager.
    const listeners: vscode.Disposable[] = [];
    panel.onDidDispose(() => {
      this.panel = null;
      this.page?.dispose();
      this.page = null;
      this.closeCount++;
      for (const l of listeners) l.dispose();
    }, null, listeners);
    panel.webview.onDidReceiveMessage((raw: unknown) => this.receive(raw), null, listeners);
  }

  /** Scripts on, and resources only from the built webview folder. */
  private webviewOptions(): vscode.WebviewOptions {
    return { enableScripts: true, localResourceRoots: [vscode.Uri.joinPath(this.context.extensionUri, 'dist', 'webview')] };
  }

  /** Called for every new analysis (or its removal). */
  onAnalysis(d: DocumentAnalysis | null, uri: string): void {
    if (!d) {
      if (this.current?.uri === uri) {
        this.current = null;
        this.post({ type: 'empty', message: vscode.l10n.t('The analysis was cleared. Run “Induction Lens: Show Induction Attention” again.') });
      }
      return;
    }
    if (this.current && this.current.uri !== d.uri) {
      this.baseline.clear();
      this.selected = null; // another text: show its most active induction head
    }
    this.current = d;
    if (this.panel) this.sendAnalysis();
  }

  private sendAnalysis() {
    const d = this.current;
    if (!d) return this.post({ type: 'empty', message: vscode.l10n.t('Select text and run “Induction Lens: Show Induction Attention”.') });
    const a = d.analysis;
    const h = this.selected?.head; // a head of the previous model may not exist in this one
    if (!h || h.layer >= a.dims.nLayers || h.head >= a.dims.nHeads) this.selected = whyChosen(mostActiveInductionHead(a));
    this.post({ type: 'analysis', analysis: this.toPanel(d) });
    void this.sendPattern();
  }

  private toPanel(d: DocumentAnalysis): PanelAnalysis {
    const { analysis, session, text, elapsedMs } = d;
    // The mask this analysis ran with (not the one asked for since: a re-run may not have come).
    const mask = d.mask ?? new Float32Array(analysis.dims.nLayers * analysis.dims.nHeads).fill(1);
    const doc = vscode.workspace.textDocuments.find((x) => x.uri.toString() === d.uri);
    const start = doc?.positionAt(d.baseOffset);
    return panelAnalysis({
      requestId: ++this.requestId, session, version: this.models.stampOf(session), fileName: path.basename(vscode.Uri.parse(d.uri).path),
      text, origin: { line: start?.line ?? 0, character: start?.character ?? 0 }, analysis, elapsedMs, filter: this.filter.current, mask, baseline: this.baseline.compare(d.uri, analysis, mask),
    });
  }

  /** The selected head's pattern, read from the analysis or run again for it (attention on
   *  demand); dropped if another analysis or head came meanwhile. */
  private async sendPattern() {
    const [d, s, requestId] = [this.current, this.selected, this.requestId];
    if (!d || !s) return;
    const pattern = await d.session.pattern(d.analysis, s.head).catch((e: Error) => void this.log.warn(`pattern of L${s.head.layer}H${s.head.head}: ${e.message}`));
    if (pattern && this.current === d && this.selected === s && this.requestId === requestId) this.post({ type: 'pattern', pattern: { requestId, head: s.head, why: s.why, pattern } });
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
      this.log.warn(`panel message dropped: ${v.reason}`);
      return;
    }
    void this.onMessage(v.msg);
  }

  /** Test hook: a message as if the webview had sent it. */
  receiveForTest(raw: unknown): void {
    this.receive(raw);
  }

  private async onMessage(m: PanelToHost): Promise<void> {
    switch (m.type) {
      case 'ready':
        this.page?.pageStarted();
        return this.sendAnalysis();
      case 'selectHead':
        this.selected = { head: m.head, why: vscode.l10n.t('chosen in the Heads view') };
        return this.sendPattern();
      case 'revealToken': return this.revealToken(m.index);
      case 'setMask': return this.setMask(Float32Array.from(m.mask));
      case 'requestCircuits': return this.sendCircuits();
      case 'testPath': if (this.current) await this.tester.run(this.current, m.path, (x) => this.post(x)); return;
      case 'paintDisappeared': this.tester.paintRemoved(); return;
      case 'exportJson': await this.exportJson(); return;
      case 'exportPng': return this.exportPng(m.view, m.dataUrl);
      case 'perf':
        this.perf.push({ mark: m.mark, ms: m.ms });
        this.log.trace(`panel ${m.mark}: ${m.ms.toFixed(1)} ms`);
    }
  }

  /** Selects token `index` of the analyzed text in its editor (opened if no editor shows it). */
  private async revealToken(index: number) {
    const d = this.current;
    if (!d) return;
    const editor = vscode.window.visibleTextEditors.find((e) => e.document.uri.toString() === d.uri) ?? (await vscode.window.showTextDocument(vscode.Uri.parse(d.uri), { viewColumn: vscode.ViewColumn.One, preserveFocus: false }));
    const doc = editor.document;
    const r = new vscode.Range(doc.positionAt(d.baseOffset + d.analysis.tokens.starts[index]), doc.positionAt(d.baseOffset + d.analysis.tokens.ends[index]));
    editor.selection = new vscode.Selection(r.start, r.end);
    editor.revealRange(r, vscode.TextEditorRevealType.InCenterIfOutsideViewport);
  }

  /** Re-runs the current analysis with the user's head mask (all ones = no ablation). */
  async setMask(mask: Float32Array): Promise<void> {
    const d = this.current;
    if (!d) return;
    this.controller.userMask = mask.every((x) => x === 1) ? null : mask;
    const editor = vscode.window.visibleTextEditors.find((e) => e.document.uri.toString() === d.uri);
    if (!editor) return;
    this.post({ type: 'busy', message: vscode.l10n.t('Re-running with the chosen heads ablated…') });
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
    // Unavailable for this architecture, or the weights on disk are no longer those of the
    // analysis on screen (never mix the two).
    const reason = circuitsUnavailableReason(d.session.model.folder.manifest, vscode.l10n.t) ?? (this.models.isUpToDate(d.session) ? null
      : vscode.l10n.t('the model\'s files changed on disk since this analysis: run “Show Induction Attention” again to use the new weights'));
    if (reason) return this.post({ type: 'circuits', circuits: null, reason });
    this.post({ type: 'busy', message: vscode.l10n.t('Computing the circuits from the weights…') });
    try {
      const { previousHead, inductionHead } = circuitHeads(d.analysis);
      const circuits = await this.models.workerPool.circuits(d.session.model.folder.dir, previousHead, inductionHead);
      this.post({ type: 'circuits', circuits, reason: null });
    } catch (e) {
      this.post({ type: 'circuits', circuits: null, reason: describeError(e) });
    }
  }

  /** Writes the current analysis as JSON (the CLI's format); `target` skips the dialog. */
  async exportJson(target?: vscode.Uri): Promise<vscode.Uri | undefined> {
    const d = this.current;
    if (!d) return undefined;
    const uri = target ?? (await vscode.window.showSaveDialog({ defaultUri: exportUri(d.uri, 'json'), filters: { JSON: ['json'] }, saveLabel: vscode.l10n.t('Export analysis') }));
    if (!uri) return undefined;
    await d.session.attributions(d.analysis).catch(() => undefined); // every event's, as the CLI gives
    const json = analysisJson(d.session, d.analysis, 5);
    await vscode.workspace.fs.writeFile(uri, Buffer.from(JSON.stringify(json, null, 1)));
    void vscode.window.showInformationMessage(vscode.l10n.t('Induction Lens: analysis exported to {0}', uri.fsPath));
    return uri;
  }

  private async exportPng(view: string, dataUrl: string) {
    const m = /^data:image\/png;base64,([A-Za-z0-9+/=]+)$/.exec(dataUrl);
    if (!m) return; // validatePanelToHost lets only such data URLs through
    const uri = await vscode.window.showSaveDialog({ defaultUri: this.current ? exportUri(this.current.uri, 'png') : undefined, filters: { PNG: ['png'] }, saveLabel: vscode.l10n.t('Export {0} view', viewName(view)) });
    if (!uri) return;
    await vscode.workspace.fs.writeFile(uri, Buffer.from(m[1], 'base64'));
    void vscode.window.showInformationMessage(vscode.l10n.t('Induction Lens: {0} view exported to {1}', viewName(view), uri.fsPath));
  }

  post(msg: HostToPanel): void {
    this.sent.push(msg.type);
    void this.panel?.webview.postMessage(msg);
  }

  dispose(): void {
    this.panel?.dispose();
    for (const s of this.subs) s.dispose();
  }
}
