// Runs analyses for editors and keeps the latest one per document. The latest request wins:
// each request has its own cancellation source, cancelled by the next request; the engine and the
// worker stop on it, and a cancelled result never reaches the screen.
import * as path from 'path';
import * as vscode from 'vscode';
import type { Analysis } from '../engine/analysis';
import { CancellationTokenSource, throwIfCancelled, type CancellationToken } from '../engine/cancellation';
import { CancelledError, EngineError } from '../engine/errors';
import type { ModelSession } from '../engine/session';
import { readSettings } from './config';
import { describeError, LoadCancelledError, ModelManager } from './modelManager';

export interface DocumentAnalysis {
  uri: string;
  /** Document version the offsets refer to; kept current when edits only shift the text. */
  version: number;
  /** Document offset of the first analyzed character. */
  baseOffset: number;
  text: string;
  analysis: Analysis;
  session: ModelSession;
  /** Milliseconds from request to result. */
  elapsedMs: number;
  /** Characters cut because the text had more than maxTokens tokens. */
  truncatedChars: number;
  /** The user's head mask the analysis ran with (null: all heads on). */
  mask: Float32Array | null;
  /** Sequence number of this result, for tests. */
  seq: number;
}

interface TrackedRange {
  uri: string;
  start: number;
  end: number;
}

/** Analyses of a text that keeps changing are given up after this many tries. */
const MAX_ATTEMPTS = 3;

/** Moves a range through edits: shifted by edits before it, grown to cover edits that touch it. */
export function trackEdits(r: { start: number; end: number }, changes: readonly { rangeOffset: number; rangeLength: number; text: string }[]): void {
  // Offsets of all changes in one event refer to the document before the event: apply them from
  // the last to the first so that earlier offsets stay valid.
  for (const c of [...changes].sort((x, y) => y.rangeOffset - x.rangeOffset)) {
    const cEnd = c.rangeOffset + c.rangeLength;
    const delta = c.text.length - c.rangeLength;
    if (c.rangeOffset > r.end) continue;
    if (cEnd < r.start) {
      r.start += delta;
      r.end += delta;
      continue;
    }
    r.start = Math.min(r.start, c.rangeOffset);
    r.end = Math.max(r.end, cEnd) + delta;
  }
}

/** What the status bar calls a model folder: the bundled model's id or the folder's name. */
export function modelLabel(dir: string, bundledDir: string): string {
  return dir === bundledDir ? 'attn-only-2l' : path.basename(dir) || dir;
}

export type AnalysisListener = (d: DocumentAnalysis | null, uri: string) => void;

export class AnalysisController implements vscode.Disposable {
  private readonly results = new Map<string, DocumentAnalysis>();
  /** The request in flight (any document): the next one cancels it. */
  private inFlight: CancellationTokenSource | null = null;
  private seq = 0;
  private readonly listeners: AnalysisListener[] = [];
  private readonly subs: vscode.Disposable[] = [];
  /** Extra ablation mask chosen in the panel ([n_layers * n_heads], 1 = on). */
  userMask: Float32Array | null = null;
  state: 'idle' | 'loading' | 'analyzing' | 'error' = 'idle';
  /** The model and message of the last failed request (state 'error'). */
  failure: { model: string; message: string } | null = null;
  private readonly stateListeners = new Set<() => void>();
  private readonly moveListeners = new Set<(d: DocumentAnalysis) => void>();
  /** Ranges of requests in flight, carried through edits (document offsets). */
  private readonly tracked = new Set<TrackedRange>();
  /** The last analysis (one document), kept through edits that clear its result: the next
   *  analysis of that document takes the windows whose tokens did not change from it. */
  private last: { uri: string; analysis: Analysis } | null = null;

  constructor(private readonly models: ModelManager, private readonly log: vscode.LogOutputChannel) {
    this.subs.push(vscode.workspace.onDidChangeTextDocument((e) => this.onEdit(e)));
    this.subs.push(vscode.workspace.onDidCloseTextDocument((d) => {
      if (this.last?.uri === d.uri.toString()) this.last = null;
      this.clear(d.uri.toString());
    }));
  }

  onDidChange(l: AnalysisListener): vscode.Disposable {
    this.listeners.push(l);
    return new vscode.Disposable(() => {
      const i = this.listeners.indexOf(l);
      if (i >= 0) this.listeners.splice(i, 1);
    });
  }

  onDidChangeState(l: () => void): vscode.Disposable {
    this.stateListeners.add(l);
    return new vscode.Disposable(() => this.stateListeners.delete(l));
  }

  get(uri: string): DocumentAnalysis | undefined {
    return this.results.get(uri);
  }

  /** Cancels the request in flight, if any. */
  cancelAll(): void {
    this.inFlight?.cancel();
  }

  clear(uri: string): void {
    if (this.results.delete(uri)) this.emit(null, uri);
  }

  /** Cancels, clears every result and the user's head mask (it may not fit the next model). */
  clearAll(): void {
    this.cancelAll();
    this.userMask = null;
    this.last = null;
    for (const uri of [...this.results.keys()]) this.clear(uri);
  }

  /**
   * Analyzes `range` of the editor's document. Resolves to the result, or null when a newer
   * request superseded this one. When the user edits the text while the model runs, the range is
   * carried through the edits and analyzed again, so the newest text is what gets painted.
   * Throws EngineError for problems the user must act on.
   */
  async run(editor: vscode.TextEditor, range: vscode.Range): Promise<DocumentAnalysis | null> {
    this.inFlight?.cancel();
    const source = new CancellationTokenSource();
    this.inFlight = source;
    const token = source.token;
    const doc = editor.document;
    const tracked: TrackedRange = { uri: doc.uri.toString(), start: doc.offsetAt(range.start), end: doc.offsetAt(range.end) };
    this.tracked.add(tracked);
    const setting = readSettings().modelPath;
    let dir = setting;
    try {
      dir = this.models.resolveDir(setting);
      for (let attempt = 1; ; attempt++) {
        const r = await this.attempt(doc, tracked, token, dir);
        if (r !== 'textChanged') return r;
        if (token.isCancellationRequested) return null;
        if (doc.isClosed) {
          this.setState('idle');
          return null;
        }
        if (attempt >= MAX_ATTEMPTS) {
          throw new EngineError(vscode.l10n.t('the text changed during {0} analyses in a row; run the command again when you pause typing', MAX_ATTEMPTS));
        }
        this.log.debug('the text changed while the model ran: analyzing the edited text again');
      }
    } catch (e) {
      if (e instanceof CancelledError) return null;
      if (e instanceof LoadCancelledError) {
        this.log.info(e.message);
        this.setState('idle');
        return null;
      }
      if (!token.isCancellationRequested) {
        this.failure = { model: modelLabel(dir, this.models.bundledModelDir), message: describeError(e) };
        this.setState('error');
      }
      throw e;
    } finally {
      this.tracked.delete(tracked);
      if (this.inFlight === source) {
        this.inFlight = null;
        // Cancelled with no newer request (Clear, a new model): nothing is loading any more.
        if (this.state === 'loading' || this.state === 'analyzing') this.setState('idle');
      }
      source.dispose();
    }
  }

  /** One analysis of the tracked range; 'textChanged' when the document changed meanwhile. */
  private async attempt(doc: vscode.TextDocument, range: TrackedRange, token: CancellationToken, dir: string): Promise<DocumentAnalysis | null | 'textChanged'> {    const settings = readSettings();
    const version = doc.version;
    const t0 = Date.now();
    const baseOffset = range.start;
    let text = doc.getText(new vscode.Range(doc.positionAt(range.start), doc.positionAt(range.end)));
    if (text.trim().length === 0) throw new EngineError(vscode.l10n.t('the text to analyze is empty or only whitespace: select some text first'));
    this.setState(this.models.isLoaded(dir) ? 'analyzing' : 'loading');
    const session = await this.models.session(dir);
    throwIfCancelled(token);
    this.setState('analyzing');
    const analysis = await session.analyze(text, {
      inductionThreshold: settings.inductionThreshold,
      topK: 5,
      headMask: this.userMask ?? undefined,
      maxTokens: settings.maxTokens,
      // Attention on demand: only the rows the overlay and the scores need; the panel asks for a
      // head's whole pattern when it shows one.
      keepAttentions: false,
      token,
      previous: this.last?.uri === doc.uri.toString() ? this.last.analysis : undefined,
    });
    // The overlay ranks events by their ablation gain: compute it before anything is painted.
    await session.ablate(analysis, this.userMask ?? undefined, token);
    throwIfCancelled(token);
    // The text changed while the model ran: these offsets would be wrong.
    if (doc.version !== version) return 'textChanged';
    const truncatedChars = text.length - analysis.analyzedLength;
    text = text.slice(0, analysis.analyzedLength);
    const result: DocumentAnalysis = {
      uri: doc.uri.toString(), version, baseOffset, text, analysis, session, mask: this.userMask,
      elapsedMs: Date.now() - t0, truncatedChars, seq: ++this.seq,
    };
    this.log.debug(`analyzed ${analysis.tokens.ids.length} tokens of ${doc.uri.toString()} in ${result.elapsedMs} ms`);
    this.results.set(result.uri, result);
    this.last = { uri: result.uri, analysis };
    this.failure = null;
    this.setState('idle');
    this.emit(result, result.uri);
    return result;
  }

  private setState(s: AnalysisController['state']) {
    this.state = s;
    for (const l of this.stateListeners) l();
  }

  private emit(d: DocumentAnalysis | null, uri: string) {
    for (const l of this.listeners) l(d, uri);
  }

  /** Keeps offsets right when an edit lies wholly before or after the analyzed text (the result
   *  now describes the new version); clears it when an edit touches it. */
  private onEdit(e: vscode.TextDocumentChangeEvent) {
    const uri = e.document.uri.toString();
    for (const t of this.tracked) if (t.uri === uri) trackEdits(t, e.contentChanges);
    const r = this.results.get(uri);
    if (!r || e.contentChanges.length === 0) return;
    let shift = 0;
    for (const c of e.contentChanges) {
      // Offsets of all changes in one event refer to the document before the event.
      const end = r.baseOffset + r.text.length;
      if (c.rangeOffset >= end) continue; // after the analyzed text: nothing moves
      if (c.rangeOffset + c.rangeLength <= r.baseOffset) {
        shift += c.text.length - c.rangeLength; // before it: the text only moves
        continue;
      }
      this.clear(uri); // inside it: the analysis no longer describes this text
      return;
    }
    r.baseOffset += shift;
    r.version = e.document.version;
    // The text moved: paint again. It stayed put: VS Code moved the decorations already, and
    // only the hints and sources need to know the version (no re-planning, no panel message).
    if (shift !== 0) this.emit(r, uri);
    else for (const l of this.moveListeners) l(r);
  }

  /** Hears results that still hold after an edit that did not move them. */
  onDidKeep(l: (d: DocumentAnalysis) => void): vscode.Disposable {
    this.moveListeners.add(l);
    return new vscode.Disposable(() => this.moveListeners.delete(l));
  }

  dispose(): void {
    for (const sub of this.subs) sub.dispose();
  }
}
