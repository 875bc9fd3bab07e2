// The sample texts shipped with the extension (samples/ in the VSIX), opened as untitled copies:
// the user can edit and analyze them without writing into the extension's folder.
import * as vscode from 'vscode';

export const SAMPLES: { file: string; language: string; description: () => string }[] = [
  { file: 'random-words.txt', language: 'plaintext', description: () => vscode.l10n.t('a line of random words, repeated: the classic induction test') },
  { file: 'identifiers.py', language: 'python', description: () => vscode.l10n.t('Python with repeated identifiers') },
  { file: 'markup.html', language: 'html', description: () => vscode.l10n.t('HTML with repeated tags (shown as text, never run)') },
];

/** Opens sample `name` (a file name from SAMPLES), or the one the user picks, as an untitled
 *  copy; the editor it opened in, or undefined when the pick was dismissed. */
export async function openSample(extensionUri: vscode.Uri, log: vscode.LogOutputChannel, name?: string): Promise<vscode.TextEditor | undefined> {
  let sample = typeof name === 'string' ? SAMPLES.find((s) => s.file === name) : undefined;
  if (typeof name === 'string' && !sample) log.warn(`open sample: there is no sample named ${JSON.stringify(name)}`);
  if (!sample) {
    const pick = await vscode.window.showQuickPick(
      SAMPLES.map((s) => ({ label: s.file, description: s.description(), sample: s })),
      { title: vscode.l10n.t('Induction Lens: Open a Sample'), placeHolder: vscode.l10n.t('A text to analyze (opened as an untitled copy)') },
    );
    if (!pick) return undefined;
    sample = pick.sample;
  }
  const bytes = await vscode.workspace.fs.readFile(vscode.Uri.joinPath(extensionUri, 'samples', sample.file));
  const doc = await vscode.workspace.openTextDocument({ content: new TextDecoder().decode(bytes), language: sample.language });
  log.info(`opened the sample ${sample.file} as an untitled copy`);
  return vscode.window.showTextDocument(doc);
}
