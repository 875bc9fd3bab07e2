// The overlay: a fixed set of decoration types (one per intensity bucket, plus source, hit and
// hint), each painted with a single setDecorations call. Colours are theme colours.
import * as vscode from 'vscode';
import { INTENSITY_BUCKETS, planOverlay, type OffsetRange, type OverlayPlan } from '../engine/overlay';
import type { DocumentAnalysis } from './analysisController';

export class OverlayPainter implements vscode.Disposable {
  private readonly queryTypes: vscode.TextEditorDecorationType[] = [];
  private readonly sourceType: vscode.TextEditorDecorationType;
  private readonly hitType: vscode.TextEditorDecorationType;
  private readonly hintType: vscode.TextEditorDecorationType;
  /** What was last painted per document, for tests and the status bar. */
  readonly painted = new Map<string, { plan: OverlayPlan; seq: number; count: number }>();
  paintCount = 0;

  constructor() {
    for (let b = 0; b < INTENSITY_BUCKETS; b++) {
      this.queryTypes.push(vscode.window.createTextEditorDecorationType({
        backgroundColor: new vscode.ThemeColor(`inductionLens.attention${b + 1}`),
        borderRadius: '2px',
        rangeBehavior: vscode.DecorationRangeBehavior.ClosedClosed,
      }));
    }
    this.sourceType = vscode.window.createTextEditorDecorationType({
      border: '1px dashed',
      borderColor: new vscode.ThemeColor('inductionLens.sourceBorder'),
      borderRadius: '2px',
      rangeBehavior: vscode.DecorationRangeBehavior.ClosedClosed,
    });
    this.hitType = vscode.window.createTextEditorDecorationType({
      borderStyle: 'solid',
      borderWidth: '0 0 2px 0',
      borderColor: new vscode.ThemeColor('inductionLens.hitBorder'),
      rangeBehavior: vscode.DecorationRangeBehavior.ClosedClosed,
    });
    this.hintType = vscode.window.createTextEditorDecorationType({
      after: { color: new vscode.ThemeColor('inductionLens.hintForeground'), fontStyle: 'italic', margin: '0 0 0 0.3em' },
      rangeBehavior: vscode.DecorationRangeBehavior.ClosedClosed,
    });
  }

  paint(editor: vscode.TextEditor, d: DocumentAnalysis | null, threshold: number): void {
    const uri = editor.document.uri.toString();
    if (!d) {
      this.clearEditor(editor);
      this.painted.delete(uri);
      return;
    }
    const plan = planOverlay(d.analysis, threshold, (id) => d.session.model.tokenizer.tokenText(id));
    const doc = editor.document;
    const range = (r: OffsetRange) => new vscode.Range(doc.positionAt(d.baseOffset + r.start), doc.positionAt(d.baseOffset + r.end));
    plan.queries.forEach((rs, b) => editor.setDecorations(this.queryTypes[b], rs.map(range)));
    editor.setDecorations(this.sourceType, plan.sources.map(range));
    editor.setDecorations(this.hitType, plan.hits.map(range));
    editor.setDecorations(this.hintType, plan.hints.map((h) => ({
      range: range(h),
      renderOptions: { after: { contentText: `→${visible(h.text)}` } },
    })));
    this.paintCount++;
    const prev = this.painted.get(uri);
    this.painted.set(uri, { plan, seq: d.seq, count: (prev?.seq === d.seq ? prev.count : 0) + 1 });
  }

  clearEditor(editor: vscode.TextEditor): void {
    for (const t of [...this.queryTypes, this.sourceType, this.hitType, this.hintType]) editor.setDecorations(t, []);
  }

  dispose(): void {
    for (const t of [...this.queryTypes, this.sourceType, this.hitType, this.hintType]) t.dispose();
  }
}

/** Makes whitespace in a hint visible (a predicted newline or space would otherwise vanish). */
export function visible(text: string): string {
  return text.replace(/\n/g, '↵').replace(/\r/g, '').replace(/\t/g, '⇥').replace(/ /g, '·');
}
