// Entry point: wires commands, the overlay, hovers, live mode, the status bar and the panel.
// Activation stays cheap: the model loads on first use.
import * as vscode from 'vscode';
import { AnalysisController, type DocumentAnalysis } from './analysisController';
import { readSettings } from './config';
import { OverlayPainter } from './overlayPainter';
import { EventFilterState } from './eventFilter';
import { SuccessorHints } from './hints';
import { InductionHoverProvider } from './hover';
import { LiveMode } from './liveMode';
import { describeError, ModelManager, ModelSettingError } from './modelManager';
import { EditorTarget } from './editorTarget';
import { PanelManager } from './panel';
import { openSample } from './samples';
import { selectModel } from './selectModel';
import { StatusBar } from './statusBar';
import { WorkerCrashError } from '../worker/workerPool';

export interface ExtensionApi {
  /** For the end-to-end tests: what was painted, and a way to slow inference down. */
  _test: {
    painted(uri: string): { seq: number; count: number; shown: number; total: number; queries: [number, number][][]; sources: [number, number][]; sourcesShown: [number, number][]; hits: [number, number][]; hints: { at: number; queryStart: number; text: string; label: string }[] } | undefined;
    /** Inlay hints shown now for an open document: document offset and label. */
    hints(uri: string): { offset: number; label: string }[];
    status(): { main: string; events: string | null; state: string };
    eventFilter(): 'matter' | 'all';
    analysis(uri: string): DocumentAnalysis | undefined;
    paintCount(): number;
    setForwardDelay(ms: number): void;
    /** Makes the inference worker exit, as a crash would, just before the next forward pass. */
    crashWorkerOnNextForward(): void;
    lastError(): string | null;
    panel: PanelManager;
    activationMs: number;
  };
}

export function activate(context: vscode.ExtensionContext): ExtensionApi {
  const t0 = performance.now();
  const log = vscode.window.createOutputChannel('Induction Lens', { log: true });
  const models = new ModelManager(context, log);
  const controller = new AnalysisController(models, log);
  const painter = new OverlayPainter();
  const filter = new EventFilterState(context.globalState);
  const hints = new SuccessorHints(painter);
  const status = new StatusBar(controller, models, filter);
  const panel = new PanelManager(context, controller, models, log, filter);
  let lastError: string | null = null;

  const repaint = (uri: string, d: DocumentAnalysis | null) => {
    for (const editor of vscode.window.visibleTextEditors) {
      if (editor.document.uri.toString() === uri) painter.paint(editor, d, filter.currentFor(uri));
    }
  };
  const repaintAll = () => {
    for (const editor of vscode.window.visibleTextEditors) {
      const d = controller.get(editor.document.uri.toString());
      if (d && d.version === editor.document.version) painter.paint(editor, d, filter.currentFor(editor.document.uri.toString()));
    }
  };
  /** The status bar counts what the active editor's overlay paints. */
  const showPaintedCount = () => {
    const uri = vscode.window.activeTextEditor?.document.uri.toString();
    const p = uri ? painter.painted.get(uri) : undefined;
    status.setPainted(p ? { shown: p.plan.shown.length, total: p.plan.total } : null);
  };
  context.subscriptions.push(
    controller.onDidChange((d, uri) => {
      filter.clearOnly(); // the events a path test removed belong to the analysis it ran on
      repaint(uri, d);
      status.update(d);
      panel.onAnalysis(d, uri);
    }),
    controller.onDidKeep((d) => painter.keep(d.uri, d.version)),
    painter.onDidPaint(showPaintedCount),
    vscode.window.onDidChangeActiveTextEditor(showPaintedCount),
    filter.onDidChange(repaintAll),
    filter.onDidChangeOnly(repaintAll),
    // Trust changes which model settings count: start again from the settings.
    vscode.workspace.onDidGrantWorkspaceTrust(() => {
      controller.clearAll();
      status.update(null);
    }),
  );

  const analyze = async (editor: vscode.TextEditor, opts: { preferSelection: boolean; interactive: boolean }) => {
    const range = targetRange(editor, opts.preferSelection);
    try {
      const result = await controller.run(editor, range);
      lastError = null;
      if (result && result.truncatedChars > 0 && opts.interactive) {
        const n = result.analysis.tokens.ids.length;
        void vscode.window.showInformationMessage(result.analysis.cutBy === 'memory'
          ? vscode.l10n.t('Induction Lens: analyzed the first {0} tokens; the last {1} characters were not analyzed (the attention patterns of more text would need more than 2 GB with this model).', n, result.truncatedChars)
          : vscode.l10n.t('Induction Lens: analyzed the first {0} tokens; the last {1} characters were not analyzed (setting inductionLens.maxTokens).', n, result.truncatedChars));
      }
      return result;
    } catch (e) {
      lastError = describeError(e);
      log.error(`analysis failed: ${lastError}`);
      // A dead worker was already announced by one notification (ModelManager).
      if (opts.interactive && !(e instanceof WorkerCrashError)) {
        const open = vscode.l10n.t('Open Settings');
        // The model's own errors (engine, English) name the model; the setting's are typed.
        const offer = e instanceof ModelSettingError || lastError.includes('model');
        void vscode.window.showErrorMessage(vscode.l10n.t('Induction Lens: {0}', lastError), ...(offer ? [open] : [])).then((c) => {
          if (c === open) void vscode.commands.executeCommand('workbench.action.openSettings', 'inductionLens.modelPath');
        });
      }
      return null;
    }
  };

  const live = new LiveMode((editor) => void analyze(editor, { preferSelection: false, interactive: false }));
  const target = new EditorTarget();

  context.subscriptions.push(
    log, models, controller, painter, filter, hints, status, panel, live, target,
    vscode.commands.registerCommand('inductionLens.showInductionAttention', async () => {
      // The active editor without waiting: the run starts (and says so) in this very call.
      const editor = vscode.window.activeTextEditor ?? (await target.resolve());
      if (!editor) {
        log.warn('show induction attention refused: no text editor open');
        void vscode.window.showWarningMessage(vscode.l10n.t('Induction Lens: open a text editor first.'));
        return;
      }
      const closeToken = panel.closeToken;
      const result = await analyze(editor, { preferSelection: true, interactive: true });
      // A panel the user closed while this ran stays closed.
      if (result && readSettings().openPanel) panel.showAfterRun(editor, closeToken);
    }),
    vscode.commands.registerCommand('inductionLens.toggleEventFilter', async () => {
      const mode = await filter.toggle();
      const s = readSettings();
      void vscode.window.setStatusBarMessage(mode === 'all'
        ? vscode.l10n.t('Induction Lens: painting all events (attention ≥ {0})', s.attentionThreshold)
        : vscode.l10n.t('Induction Lens: painting the events that matter (attention ≥ {0}, ablation gain ≥ {1} nats)', s.attentionThreshold, s.minAblationGain), 4000);
      return mode;
    }),
    vscode.commands.registerCommand('inductionLens.clear', () => {
      live.cancel();
      controller.clearAll();
    }),
    vscode.commands.registerCommand('inductionLens.toggleLiveMode', async () => {
      const c = vscode.workspace.getConfiguration('inductionLens');
      const next = readSettings().liveMode === 'off' ? 'onType' : 'off';
      await c.update('liveMode', next, vscode.ConfigurationTarget.Global);
      void vscode.window.setStatusBarMessage(next === 'off' ? vscode.l10n.t('Induction Lens: live mode off') : vscode.l10n.t('Induction Lens: live mode on (as you type)'), 3000);
      const editor = vscode.window.activeTextEditor;
      if (next !== 'off' && editor) void analyze(editor, { preferSelection: false, interactive: false });
    }),
    vscode.commands.registerCommand('inductionLens.showPanel', () => panel.show(target.peek(), false)),
    // An optional folder argument (for scripts and tests) skips the pick list.
    vscode.commands.registerCommand('inductionLens.selectModel', (folder?: string) =>
      selectModel(models, log, typeof folder === 'string' ? folder : undefined).catch((e) => {
        lastError = describeError(e);
        return undefined;
      })),
    // An optional sample file name (walkthrough links, tests) skips the pick list.
    vscode.commands.registerCommand('inductionLens.openSample', (name?: string) => openSample(context.extensionUri, log, name)),
    // The overlay's information without a mouse: VS Code's hover at the cursor, which our hover
    // provider answers.
    vscode.commands.registerCommand('inductionLens.showHoverAtCursor', async () => {
      if (!(await target.resolve({ focus: true }))) {
        log.warn('show hover at cursor refused: no text editor open');
        void vscode.window.showWarningMessage(vscode.l10n.t('Induction Lens: open a text editor first.'));
        return;
      }
      await vscode.commands.executeCommand('editor.action.showHover');
    }),
    vscode.languages.registerHoverProvider(DOCUMENTS, new InductionHoverProvider(controller)),
    vscode.languages.registerInlayHintsProvider(DOCUMENTS, hints),
    vscode.window.onDidChangeVisibleTextEditors(repaintAll),
    vscode.workspace.onDidChangeConfiguration((e) => {
      if (e.affectsConfiguration('inductionLens.attentionThreshold') || e.affectsConfiguration('inductionLens.minAblationGain')) {
        repaintAll();
        panel.refresh();
      }
      if (e.affectsConfiguration('inductionLens.modelPath')) controller.clearAll();
      status.update(null);
    }),
  );
  panel.registerSerializer();
  const activationMs = performance.now() - t0;
  log.info(`activated in ${activationMs.toFixed(1)} ms`);

  const toPairs = (rs: { start: number; end: number }[]) => rs.map((r) => [r.start, r.end] as [number, number]);
  return {
    _test: {
      painted: (uri) => {
        const p = painter.painted.get(uri);
        if (!p) return undefined;
        return {
          seq: p.seq, count: p.count, shown: p.plan.shown.length, total: p.plan.total, queries: p.plan.queries.map(toPairs),
          sources: toPairs(p.plan.sources), sourcesShown: toPairs(p.sourcesShown), hits: toPairs(p.plan.hits), hints: p.plan.hints.map((h) => ({ at: h.at, queryStart: h.query.start, text: h.text, label: h.label })),
        };
      },
      hints: (uri) => {
        const doc = vscode.workspace.textDocuments.find((x) => x.uri.toString() === uri);
        return doc ? hints.shown(doc) : [];
      },
      status: () => ({ ...status.texts, state: controller.state }),
      eventFilter: () => filter.mode,
      analysis: (uri) => controller.get(uri),
      paintCount: () => painter.paintCount,
      setForwardDelay: (ms) => (models.forwardDelayMs = ms),
      crashWorkerOnNextForward: () => (models.crashWorkerOnNextForward = true),
      lastError: () => lastError,
      panel,
      activationMs,
    },
  };
}

const DOCUMENTS: vscode.DocumentSelector = [{ scheme: 'file' }, { scheme: 'untitled' }, { scheme: 'vscode-remote' }];

/** The selection if there is one (and it is preferred), else the visible lines. */
export function targetRange(editor: vscode.TextEditor, preferSelection: boolean): vscode.Range {
  const sel = editor.selection;
  if (preferSelection && !sel.isEmpty) return new vscode.Range(sel.start, sel.end);
  const vis = editor.visibleRanges;
  if (vis.length === 0) return editor.document.validateRange(new vscode.Range(0, 0, Number.MAX_SAFE_INTEGER, 0));
  const start = new vscode.Position(vis[0].start.line, 0);
  const lastLine = vis[vis.length - 1].end.line;
  return new vscode.Range(start, editor.document.lineAt(lastLine).range.end);
}

export function deactivate(): void {
  // Disposables registered on the context stop the worker and release sessions.
}
