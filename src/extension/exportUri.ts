// Where the panel's exports are suggested to go.
import * as path from 'path';
import * as vscode from 'vscode';

/**
 * Where an export is suggested: `<file>-induction.<ext>` next to the document (untitled documents:
 * in the first workspace folder).
 */
export function exportUri(docUri: string, ext: 'png' | 'json'): vscode.Uri | undefined {
  const uri = vscode.Uri.parse(docUri);
  const base = path.posix.basename(uri.path).replace(/\.[^.]*$/, '') || 'analysis';
  const name = `${base}-induction.${ext}`;
  const ws = vscode.workspace.workspaceFolders?.[0];
  if (uri.scheme === 'untitled') return ws ? vscode.Uri.joinPath(ws.uri, name) : undefined;
  return vscode.Uri.joinPath(uri, '..', name);
}
