// Status bar: the model, the state (loading, analyzing, live, a failure) and the last analysis
// time; a second item shows how many events are painted and switches "events that matter" / "all".
import * as vscode from 'vscode';
import { modelLabel, type AnalysisController, type DocumentAnalysis } from './analysisController';
import { readSettings } from './config';
import type { EventFilterState } from './eventFilter';
import type { ModelManager } from './modelManager';

/** The controller's states as the tooltip names them. */
const STATE_TEXT: Record<AnalysisController['state'], () => string> = {
  idle: () => vscode.l10n.t('idle'),
  loading: () => vscode.l10n.t('loading'),
  analyzing: () => vscode.l10n.t('analyzing'),
  error: () => vscode.l10n.t('error'),
};

export class StatusBar implements vscode.Disposable {
  private readonly item = vscode.window.createStatusBarItem('inductionLens.status', vscode.StatusBarAlignment.Right, 100);
  private readonly filterItem = vscode.window.createStatusBarItem('inductionLens.events', vscode.StatusBarAlignment.Right, 99);
  /** What the status bar says of the last analysis (not the analysis: it can hold GBs). */
  private last: { model: string; tokens: number; events: number; elapsedMs: number } | null = null;
  private painted: { shown: number; total: number } | null = null;
  private readonly subs: vscode.Disposable[] = [];

  constructor(private readonly controller: AnalysisController, private readonly models: ModelManager, private readonly filter: EventFilterState) {
    this.item.name = vscode.l10n.t('Induction Lens');
    this.item.command = 'inductionLens.showInductionAttention';
    this.filterItem.name = vscode.l10n.t('Induction Lens: events shown');
    this.filterItem.command = 'inductionLens.toggleEventFilter';
    this.subs.push(controller.onDidChangeState(() => this.render()), filter.onDidChange(() => this.render()));
    this.render();
    this.item.show();
  }

  update(d: DocumentAnalysis | null): void {
    if (d) this.last = { model: d.session.id, tokens: d.analysis.tokens.ids.length, events: d.analysis.events.length, elapsedMs: d.elapsedMs };
    this.render();
  }

  /** What the overlay of the active editor paints (null: nothing painted). */
  setPainted(p: { shown: number; total: number } | null): void {
    this.painted = p;
    this.render();
  }

  /** The texts shown, for tests. */
  get texts(): { main: string; events: string | null } {
    return { main: this.item.text, events: this.painted ? this.filterItem.text : null };
  }

  private render() {
    const s = readSettings();
    const live = s.liveMode === 'off' ? '' : ` · ${s.liveMode === 'onType' ? vscode.l10n.t('live (typing)') : vscode.l10n.t('live (save)')}`;
    const state = this.controller.state;
    const failure = state === 'error' ? this.controller.failure : null;
    const icon = state === 'loading' || state === 'analyzing' ? '$(sync~spin)' : failure ? '$(warning)' : '$(eye)';
    let dir = s.modelPath;
    try {
      dir = this.models.resolveDir(s.modelPath);
    } catch {
      // A setting that cannot be used: named as written; the failure says why.
    }
    const model = failure?.model ?? modelLabel(dir, this.models.bundledModelDir);
    // Work in progress ends in an ellipsis; a final state does not.
    const detail = state === 'loading' ? ` · ${vscode.l10n.t('loading…')}` : state === 'analyzing' ? ` · ${vscode.l10n.t('analyzing…')}` : failure ? ` · ${vscode.l10n.t('failed')}` : this.last ? ` · ${vscode.l10n.t('{0} ms', this.last.elapsedMs)}` : '';
    this.item.text = `${icon} ${model}${detail}${live}`;
    const md = new vscode.MarkdownString();
    md.appendText(failure ? vscode.l10n.t('Induction Lens — model {0}: failed: {1}', model, failure.message) : vscode.l10n.t('Induction Lens — model {0}: {1}', model, STATE_TEXT[state]()));
    if (this.last) md.appendText(`\n${vscode.l10n.t('Last analysis: {0} tokens, {1} induction events, {2} ms', this.last.tokens, this.last.events, this.last.elapsedMs)}`);
    md.appendText(`\n${vscode.l10n.t('Live mode: {0}. Click to analyze the selection or visible text.', s.liveMode)}`);
    this.item.tooltip = md;
    this.item.backgroundColor = failure ? new vscode.ThemeColor('statusBarItem.warningBackground') : undefined;

    if (!this.painted) {
      this.filterItem.hide();
      return;
    }
    const matter = this.filter.mode === 'matter';
    this.filterItem.text = `$(filter) ${vscode.l10n.t('{0} of {1} events', this.painted.shown, this.painted.total)}`;
    this.filterItem.tooltip = matter
      ? vscode.l10n.t('Painting the induction events that matter: attention ≥ {0} and ablation gain ≥ {1} nats. Click to paint all events.', s.attentionThreshold, s.minAblationGain)
      : vscode.l10n.t('Painting all induction events with attention ≥ {0}. Click to paint only the events that matter.', s.attentionThreshold);
    this.filterItem.show();
  }

  dispose(): void {
    for (const sub of this.subs) sub.dispose();
    this.item.dispose();
    this.filterItem.dispose();
  }
}
