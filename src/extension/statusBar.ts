// Status bar: the model, the state (loading, analysing, live) and the last analysis time.
import * as vscode from 'vscode';
import type { AnalysisController, DocumentAnalysis } from './analysisController';
import { readSettings } from './config';

export class StatusBar implements vscode.Disposable {
  private readonly item = vscode.window.createStatusBarItem('inductionLens.status', vscode.StatusBarAlignment.Right, 100);
  private last: DocumentAnalysis | null = null;

  constructor(private readonly controller: AnalysisController) {
    this.item.name = 'Induction Lens';
    this.item.command = 'inductionLens.showInductionAttention';
    controller.onState = () => this.render();
    this.render();
    this.item.show();
  }

  update(d: DocumentAnalysis | null): void {
    if (d) this.last = d;
    this.render();
  }

  private render() {
    const s = readSettings();
    const live = s.liveMode === 'off' ? '' : ` · live (${s.liveMode === 'onType' ? 'typing' : 'save'})`;
    const state = this.controller.state;
    const icon = state === 'loading' || state === 'analysing' ? '$(sync~spin)' : state === 'error' ? '$(warning)' : '$(eye)';
    const model = this.last?.session.id ?? (s.modelPath ? 'custom model' : 'attn-only-2l');
    const time = this.last && state === 'idle' ? ` · ${this.last.elapsedMs} ms` : state === 'idle' ? '' : ` · ${state}…`;
    this.item.text = `${icon} ${model}${time}${live}`;
    const md = new vscode.MarkdownString();
    md.appendText(`Induction Lens — model ${model}, ${state}`);
    if (this.last) md.appendText(`\nLast analysis: ${this.last.analysis.tokens.ids.length} tokens, ${this.last.analysis.events.length} induction events, ${this.last.elapsedMs} ms`);
    md.appendText(`\nLive mode: ${s.liveMode}. Click to analyse the selection or visible text.`);
    this.item.tooltip = md;
  }

  dispose(): void {
    this.item.dispose();
  }
}
