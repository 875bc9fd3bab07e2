// The predicted successor `→B` of painted events, as inlay hints placed after the word holding
// the repeated token. By default only on the cursor's line: detail where the eye is (the painter
// shows the sources' borders by the same rule).
import * as vscode from 'vscode';
import { readSettings } from './config';
import type { OverlayPainter } from './overlayPainter';

export class SuccessorHints implements vscode.InlayHintsProvider, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<void>();
  readonly onDidChangeInlayHints = this.changed.event;
  private readonly cursorLines = new Map<string, number>();
  private readonly subs: vscode.Disposable[] = [];

  constructor(private readonly painter: OverlayPainter) {
    this.subs.push(
      painter.onDidPaint(() => this.changed.fire()),
      vscode.window.onDidChangeTextEditorSelection((e) => {
        const uri = e.textEditor.document.uri.toString();
        const line = e.selections[0]?.active.line ?? -1;
        if (this.cursorLines.get(uri) === line) return;
        this.cursorLines.set(uri, line);
        if (readSettings().inlineHints === 'cursorLine' && painter.painted.has(uri)) {
          painter.paintSources(e.textEditor);
          this.changed.fire();
        }
      }),
      vscode.workspace.onDidChangeConfiguration((e) => {
        if (!e.affectsConfiguration('inductionLens.inlineHints')) return;
        for (const editor of vscode.window.visibleTextEditors) painter.paintSources(editor);
        this.changed.fire();
      }),
    );
  }

  provideInlayHints(doc: vscode.TextDocument, range: vscode.Range): vscode.InlayHint[] {
    const mode = readSettings().inlineHints;
    const p = this.painter.painted.get(doc.uri.toString());
    if (mode === 'off' || !p || p.version !== doc.version) return [];
    const editor = vscode.window.visibleTextEditors.find((e) => e.document === doc);
    const cursorLine = editor?.selection.active.line ?? -1;
    const out: vscode.InlayHint[] = [];
    for (const h of p.plan.hints) {
      const pos = doc.positionAt(p.baseOffset + h.at);
      if (!range.contains(pos)) continue;
      if (mode === 'cursorLine' && pos.line !== cursorLine) continue;
      const hint = new vscode.InlayHint(pos, h.label);
      hint.paddingLeft = true;
      hint.tooltip = vscode.l10n.t('Induction Lens: the successor B that the induction head predicts here (the token after the earlier occurrence).');
      out.push(hint);
    }
    return out;
  }

  /** The hints shown now for a document (for tests). */
  shown(doc: vscode.TextDocument): { offset: number; label: string }[] {
    const full = new vscode.Range(0, 0, doc.lineCount, 0);
    return this.provideInlayHints(doc, full).map((h) => ({ offset: doc.offsetAt(h.position), label: typeof h.label === 'string' ? h.label : h.label.map((p) => p.value).join('') }));
  }

  dispose(): void {
    for (const sub of this.subs) sub.dispose();
    this.changed.dispose();
  }
}
