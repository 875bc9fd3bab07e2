// Runs analyses for editors and keeps the latest one per document. The latest request wins:
// every await is followed by a generation check, and a stale result never reaches the screen.
import * as vscode from 'vscode';
import type { Analysis } from '../engine/analysis';
import { EngineError, StaleRequestError } from '../engine/errors';
import type { ModelSession } from '../engine/session';
import { readSettings } from './config';
import { describeError, ModelManager } from './modelManager';

export interface DocumentAnalysis {
  uri: string;
  /** Document version the offsets refer to; kept current when edits only shift the text. */
  version: number;
  /** Document offset of the first analysed character. */
  baseOffset: number;
  text: string;
  analysis: Analysis;
  session: ModelSession;
  /** Milliseconds from request to result. */
  elapsedMs: number;
  /** Characters cut because the text had more than maxTokens tokens. */
  truncatedChars: number;
  /** Sequence number of this result, for tests. */
  seq: number;
}

export type AnalysisListener = (d: DocumentAnalysis | null, uri: string) => void;

export class AnalysisController implements vscode.Disposable {
  private readonly results = new Map<string, DocumentAnalysis>();
  private generation = 0;
  private seq = 0;
  private readonly listeners: AnalysisListener[] = [];
  private readonly subs: vscode.Disposable[] = [];
  /** Extra ablation mask chosen in the panel ([n_layers * n_heads], 1 = on). */
  userMask: Float32Array | null = null;
  state: 'idle' | 'loading' | 'analysing' | 'error' = 'idle';
  onState: () => void = () => undefined;

  constructor(private readonly models: ModelManager, private readonly log: vscode.OutputChannel) {
    this.subs.push(vscode.workspace.onDidChangeTextDocument((e) => this.onEdit(e)));
    this.subs.push(vscode.workspace.onDidCloseTextDocument((d) => this.clear(d.uri.toString())));
  }

  onDidChange(l: AnalysisListener): void {
    this.listeners.push(l);
  }

  get(uri: string): DocumentAnalysis | undefined {
    return this.results.get(uri);
  }

  /** Makes every request in flight stale. */
  cancelAll(): void {
    this.generation++;
    this.models.workerPool.generation = this.generation;
  }

  clear(uri: string): void {
    if (this.results.delete(uri)) this.emit(null, uri);
  }

  clearAll(): void {
    this.cancelAll();
    for (const uri of [...this.results.keys()]) this.clear(uri);
  }

  /**
   * Analyses `range` of the editor's document. Resolves to the result, or null when a newer
   * request superseded this one. Throws EngineError for problems the user must act on.
   */
  async run(editor: vscode.TextEditor, range: vscode.Range): Promise<DocumentAnalysis | null> {
    const gen = ++this.generation;
    const stale = () => gen !== this.generation;
    const checkStale = () => {
      if (stale()) throw new StaleRequestError();
    };
    const doc = editor.document;
    const version = doc.version;
    const settings = readSettings();
    const dir = this.models.resolveDir(settings.modelPath);
    const t0 = Date.now();
    let text = doc.getText(range);
    const baseOffset = doc.offsetAt(range.start);
    if (text.trim().length === 0) throw new EngineError('the text to analyse is empty or only whitespace: select some text first');
    try {
      this.setState(this.models.isLoaded(dir) ? 'analysing' : 'loading');
      const session = await this.models.session(dir);
      checkStale();
      this.setState('analysing');
      this.models.workerPool.generation = gen;
      const analysis = await session.analyze(text, {
        inductionThreshold: settings.inductionThreshold,
        topK: 5,
        headMask: this.userMask ?? undefined,
        maxTokens: settings.maxTokens,
        checkStale,
      });
      const truncatedChars = text.length - analysis.analysedLength;
      text = text.slice(0, analysis.analysedLength);
      checkStale();
      if (doc.version !== version) {
        // The text changed while the model ran: these offsets would be wrong.
        throw new StaleRequestError();
      }
      const result: DocumentAnalysis = {
        uri: doc.uri.toString(), version, baseOffset, text, analysis, session,
        elapsedMs: Date.now() - t0, truncatedChars, seq: ++this.seq,
      };
      this.results.set(result.uri, result);
      this.setState('idle');
      this.emit(result, result.uri);
      // The ablation gain arrives a moment later; hovers show it when it is there.
      session.ablate(analysis, this.userMask ?? undefined, checkStale).then(
        () => {
          if (!stale() && this.results.get(result.uri) === result) this.emit(result, result.uri);
        },
        (e) => {
          if (!(e instanceof StaleRequestError)) this.log.appendLine(`ablation failed: ${describeError(e)}`);
        },
      );
      return result;
    } catch (e) {
      if (e instanceof StaleRequestError) return null;
      if (!stale()) this.setState('error');
      throw e;
    }
  }

  private setState(s: AnalysisController['state']) {
    this.state = s;
    this.onState();
  }

  private emit(d: DocumentAnalysis | null, uri: string) {
    for (const l of this.listeners) l(d, uri);
  }

  /** Keeps offsets right when an edit lies wholly before the analysed text; clears otherwise. */
  private onEdit(e: vscode.TextDocumentChangeEvent) {
    const uri = e.document.uri.toString();
    const r = this.results.get(uri);
    if (!r || e.contentChanges.length === 0) return;
    let shift = 0;
    for (const c of e.contentChanges) {
      // Offsets of all changes in one event refer to the document before the event.
      const end = r.baseOffset + r.text.length;
      if (c.rangeOffset >= end) continue; // after the analysed text: nothing moves
      if (c.rangeOffset + c.rangeLength <= r.baseOffset) {
        shift += c.text.length - c.rangeLength; // before it: the text only moves
        continue;
      }
      this.clear(uri); // inside it: the analysis no longer describes this text
      return;
    }
    r.baseOffset += shift;
    r.version = e.document.version;
    if (shift !== 0) this.emit(r, uri);
  }

  dispose(): void {
    this.subs.forEach((s) => s.dispose());
  }
}
