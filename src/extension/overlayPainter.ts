// The overlay: a fixed set of decoration types (one per intensity bucket, plus source and hit),
// each painted with a single setDecorations call. Colours are theme colours. The predicted
// successor is not a decoration but an inlay hint (hints.ts): injected text takes its room in
// the line, so word wrap counts it.
import * as vscode from 'vscode';
import { INTENSITY_BUCKETS, planOverlay, type EventFilter, type OffsetRange, type OverlayPlan } from '../engine/overlay';
import type { DocumentAnalysis } from './analysisController';
import { readSettings } from './config';

export interface PaintedOverlay {
  plan: OverlayPlan;
  seq: number;
  /** Paints of this result (a result is painted again when the filter or the editor changes). */
  count: number;
  /** Document offset of the analyzed text, and the document version the plan refers to. */
  baseOffset: number;
  version: number;
  /** Sources whose border is shown now (they follow the cursor line). */
  sourcesShown: OffsetRange[];
}

function uniqueRanges(rs: OffsetRange[]): OffsetRange[] {
  const byStart = new Map<number, OffsetRange>();
  for (const r of rs) byStart.set(r.start, r);
  return [...byStart.values()].sort((x, y) => x.start - y.start);
}

export class OverlayPainter implements vscode.Disposable {
  private readonly queryTypes: vscode.TextEditorDecorationType[] = [];
  private readonly sourceType: vscode.TextEditorDecorationType;
  private readonly hitType: vscode.TextEditorDecorationType;
  /** What was last painted per document, for hints, the status bar and tests. */
  readonly painted = new Map<string, PaintedOverlay>();
  private readonly changed = new vscode.EventEmitter<string>();
  /** Fires with the document URI after each paint or clear. */
  readonly onDidPaint = this.changed.event;
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
  }

  paint(editor: vscode.TextEditor, d: DocumentAnalysis | null, filter: EventFilter): void {
    const uri = editor.document.uri.toString();
    if (!d) {
      this.clearEditor(editor);
      this.painted.delete(uri);
      this.changed.fire(uri);
      return;
    }
    const tok = d.session.model.tokenizer;
    const plan = planOverlay(d.analysis, d.text, filter, (id) => tok.bytesOf(id));
    const doc = editor.document;
    const range = (r: OffsetRange) => new vscode.Range(doc.positionAt(d.baseOffset + r.start), doc.positionAt(d.baseOffset + r.end));
    plan.queries.forEach((rs, b) => editor.setDecorations(this.queryTypes[b], rs.map(range)));
    editor.setDecorations(this.hitType, plan.hits.map(range));
    this.paintCount++;
    const prev = this.painted.get(uri);
    const painted = { plan, seq: d.seq, count: (prev?.seq === d.seq ? prev.count : 0) + 1, baseOffset: d.baseOffset, version: d.version, sourcesShown: [] };
    this.painted.set(uri, painted);
    this.paintSources(editor);
    this.changed.fire(uri);
  }

  /**
   * The dashed borders of the sources B: detail, shown where the eye is. With inline hints on the
   * cursor line (the default), only the sources of the events on that line; with `all`, every
   * source; with `off`, none (hovers and the panel still name them).
   */
  paintSources(editor: vscode.TextEditor): void {
    const p = this.painted.get(editor.document.uri.toString());
    if (!p || p.version !== editor.document.version) return;
    const doc = editor.document;
    const at = (o: number) => doc.positionAt(p.baseOffset + o);
    const mode = readSettings().inlineHints;
    const line = editor.selection.active.line;
    const shown = mode === 'all' ? p.plan.sources
      : mode === 'off' ? []
      : uniqueRanges(p.plan.links.filter((l) => at(l.query.start).line <= line && line <= at(l.query.end).line).map((l) => l.source));
    p.sourcesShown = shown;
    editor.setDecorations(this.sourceType, shown.map((r) => new vscode.Range(at(r.start), at(r.end))));
  }

  /** The document changed but the analyzed text did not move: the plan still holds for the new
   *  version (hints and source borders read it). */
  keep(uri: string, version: number): void {
    const p = this.painted.get(uri);
    if (!p) return;
    p.version = version;
    this.changed.fire(uri);
  }

  clearEditor(editor: vscode.TextEditor): void {
    for (const t of [...this.queryTypes, this.sourceType, this.hitType]) editor.setDecorations(t, []);
  }

  dispose(): void {
    for (const t of [...this.queryTypes, this.sourceType, this.hitType]) t.dispose();
    this.changed.dispose();
  }
}
