// Live mode: re-analyze the visible text after edits, debounced, with a maximum wait so that
// continuous typing still gets fresh predictions.
import * as vscode from 'vscode';
import { readSettings } from './config';

export class LiveMode implements vscode.Disposable {
  private timer: NodeJS.Timeout | null = null;
  private firstPendingAt = 0;
  private readonly subs: vscode.Disposable[] = [];

  constructor(private readonly analyze: (editor: vscode.TextEditor) => void) {
    this.subs.push(vscode.workspace.onDidChangeTextDocument((e) => {
      if (e.contentChanges.length === 0 || readSettings().liveMode !== 'onType') return;
      const editor = vscode.window.activeTextEditor;
      if (editor && editor.document === e.document) this.schedule(editor);
    }));
    this.subs.push(vscode.workspace.onDidSaveTextDocument((doc) => {
      if (readSettings().liveMode !== 'onSave') return;
      const editor = vscode.window.visibleTextEditors.find((x) => x.document === doc);
      if (editor) this.analyze(editor);
    }));
  }

  schedule(editor: vscode.TextEditor): void {
    const { debounceMs, maxWaitMs } = readSettings();
    const now = Date.now();
    if (!this.timer) this.firstPendingAt = now;
    else clearTimeout(this.timer);
    const wait = Math.max(0, Math.min(debounceMs, this.firstPendingAt + maxWaitMs - now));
    this.timer = setTimeout(() => {
      this.timer = null;
      if (!editor.document.isClosed) this.analyze(editor);
    }, wait);
  }

  cancel(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }

  dispose(): void {
    this.cancel();
    for (const sub of this.subs) sub.dispose();
  }
}
