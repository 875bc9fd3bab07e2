// The text editor a command acts on. A walkthrough step's button runs its command while the
// walkthrough (not a text editor) is active, so activeTextEditor is undefined: fall back to the
// text editor the user worked in last, as long as its document is open, and bring it to the front
// when the walkthrough's tab hides it.
import * as vscode from 'vscode';

export class EditorTarget implements vscode.Disposable {
  private last: vscode.TextEditor | undefined = usable(vscode.window.activeTextEditor);
  private readonly sub = vscode.window.onDidChangeActiveTextEditor((e) => {
    this.last = usable(e) ?? this.last;
  });

  /** The active text editor, else the last one used, without bringing it forward: for commands
   *  that need only its document (the panel). */
  peek(): vscode.TextEditor | undefined {
    return vscode.window.activeTextEditor ?? this.lastOpen();
  }

  /** The active text editor, else the last one used (shown again, focused, if it was hidden).
   *  `focus`: also give the editor keyboard focus (the hover command needs it). */
  async resolve({ focus = false } = {}): Promise<vscode.TextEditor | undefined> {
    const active = vscode.window.activeTextEditor;
    if (active) return active;
    const last = this.lastOpen();
    if (!last) return undefined;
    const visible = vscode.window.visibleTextEditors.find((e) => e.document === last.document);
    if (visible && !focus) return visible;
    // Hidden behind another tab of its group, or to be focused: show it with its selection.
    return vscode.window.showTextDocument(last.document, { viewColumn: visible?.viewColumn ?? last.viewColumn, selection: (visible ?? last).selection, preserveFocus: false });
  }

  /** The last text editor used, while its document is open. */
  private lastOpen(): vscode.TextEditor | undefined {
    return this.last && !this.last.document.isClosed ? this.last : undefined;
  }

  dispose(): void {
    this.sub.dispose();
  }
}

/** An editor of the user's text: not the Output panel's log views, which are text editors too. */
function usable(e: vscode.TextEditor | undefined): vscode.TextEditor | undefined {
  return e && e.document.uri.scheme !== 'output' ? e : undefined;
}
