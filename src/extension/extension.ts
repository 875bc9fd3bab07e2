// Entry point: wires commands, the overlay, hovers, live mode, the status bar and the panel.
// Activation stays cheap: the model loads on first use.
import * as vscode from 'vscode';
import { AnalysisController, type DocumentAnalysis } from './analysisController';
import { readSettings } from './config';
import { OverlayPainter } from './decorations';
import { InductionHoverProvider } from './hover';
import { LiveMode } from './liveMode';
import { describeError, ModelManager } from './modelManager';
import { PanelManager } from './panel';
import { selectModel } from './selectModel';
import { StatusBar } from './statusBar';

export interface ExtensionApi {
  /** For the end-to-end tests: what was painted, and a way to slow inference down. */
  _test: {
    painted(uri: string): { seq: number; count: number; queries: [number, number][][]; sources: [number, number][]; hits: [number, number][]; hints: { start: number; end: number; text: string }[] } | undefined;
    analysis(uri: string): DocumentAnalysis | undefined;
    paintCount(): number;
    setForwardDelay(ms: number): void;
    lastError(): string | null;
    panel: PanelManager;
    activationMs: number;
  };
}

export function activate(context: vscode.ExtensionContext): ExtensionApi {
  const t0 = performance.now();
  const log = vscode.window.createOutputChannel('Induction Lens');
  const models = new ModelManager(context, log);
  const controller = new AnalysisController(models, log);
  const painter = new OverlayPainter();
  const status = new StatusBar(controller);
  const panel = new PanelManager(context, controller, models, log);
  let lastError: string | null = null;

  const repaint = (uri: string, d: DocumentAnalysis | null) => {
    const threshold = readSettings().attentionThreshold;
    for (const editor of vscode.window.visibleTextEditors) {
      if (editor.document.uri.toString() === uri) painter.paint(editor, d, threshold);
    }
  };
  controller.onDidChange((d, uri) => {
    repaint(uri, d);
    status.update(d);
    panel.onAnalysis(d, uri);
  });

  const analyse = async (editor: vscode.TextEditor, opts: { preferSelection: boolean; interactive: boolean }) => {
    const range = targetRange(editor, opts.preferSelection);
    try {
      const result = await controller.run(editor, range);
      lastError = null;
      if (result && result.truncatedChars > 0 && opts.interactive) {
        void vscode.window.showInformationMessage(
          `Induction Lens: analysed the first ${result.analysis.tokens.ids.length} tokens; the last ${result.truncatedChars} characters were not analysed (setting inductionLens.maxTokens).`,
        );
      }
      return result;
    } catch (e) {
      lastError = describeError(e);
      log.appendLine(`analysis failed: ${lastError}`);
      if (opts.interactive) {
        const open = 'Open Settings';
        void vscode.window.showErrorMessage(`Induction Lens: ${lastError}`, ...(lastError.includes('model') ? [open] : [])).then((c) => {
          if (c === open) void vscode.commands.executeCommand('workbench.action.openSettings', 'inductionLens.modelPath');
        });
      }
      return null;
    }
  };

  const live = new LiveMode((editor) => void analyse(editor, { preferSelection: false, interactive: false }));

  context.subscriptions.push(
    log, models, controller, painter, status, panel, live,
    vscode.commands.registerCommand('inductionLens.showInductionAttention', async () => {
      const editor = vscode.window.activeTextEditor;
      if (!editor) {
        void vscode.window.showWarningMessage('Induction Lens: open a text editor first.');
        return;
      }
      const result = await analyse(editor, { preferSelection: true, interactive: true });
      if (result && readSettings().showPanel) panel.show(editor, true);
    }),
    vscode.commands.registerCommand('inductionLens.clear', () => {
      live.cancel();
      controller.clearAll();
    }),
    vscode.commands.registerCommand('inductionLens.toggleLiveMode', async () => {
      const c = vscode.workspace.getConfiguration('inductionLens');
      const next = readSettings().liveMode === 'off' ? 'onType' : 'off';
      await c.update('liveMode', next, vscode.ConfigurationTarget.Global);
      void vscode.window.setStatusBarMessage(`Induction Lens: live mode ${next === 'off' ? 'off' : 'on (as you type)'}`, 3000);
      const editor = vscode.window.activeTextEditor;
      if (next !== 'off' && editor) void analyse(editor, { preferSelection: false, interactive: false });
    }),
    vscode.commands.registerCommand('inductionLens.showPanel', () => panel.show(vscode.window.activeTextEditor, false)),
    // An optional folder argument (for scripts and tests) skips the pick list.
    vscode.commands.registerCommand('inductionLens.selectModel', (folder?: string) =>
      selectModel(models, log, typeof folder === 'string' ? folder : undefined).catch((e) => {
        lastError = describeError(e);
        return undefined;
      })),
    vscode.languages.registerHoverProvider([{ scheme: 'file' }, { scheme: 'untitled' }, { scheme: 'vscode-remote' }], new InductionHoverProvider(controller)),
    vscode.window.onDidChangeVisibleTextEditors((editors) => {
      for (const e of editors) {
        const d = controller.get(e.document.uri.toString());
        if (d && d.version === e.document.version) painter.paint(e, d, readSettings().attentionThreshold);
      }
    }),
    vscode.workspace.onDidChangeConfiguration((e) => {
      if (e.affectsConfiguration('inductionLens.attentionThreshold')) {
        for (const editor of vscode.window.visibleTextEditors) {
          const d = controller.get(editor.document.uri.toString());
          if (d) painter.paint(editor, d, readSettings().attentionThreshold);
        }
      }
      if (e.affectsConfiguration('inductionLens.modelPath')) controller.clearAll();
      status.update(null);
    }),
  );
  panel.registerSerializer();
  const activationMs = performance.now() - t0;
  log.appendLine(`activated in ${activationMs.toFixed(1)} ms`);

  const toPairs = (rs: { start: number; end: number }[]) => rs.map((r) => [r.start, r.end] as [number, number]);
  return {
    _test: {
      painted: (uri) => {
        const p = painter.painted.get(uri);
        if (!p) return undefined;
        return { seq: p.seq, count: p.count, queries: p.plan.queries.map(toPairs), sources: toPairs(p.plan.sources), hits: toPairs(p.plan.hits), hints: p.plan.hints };
      },
      analysis: (uri) => controller.get(uri),
      paintCount: () => painter.paintCount,
      setForwardDelay: (ms) => (models.forwardDelayMs = ms),
      lastError: () => lastError,
      panel,
      activationMs,
    },
  };
}

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
