// The extension in an untrusted workspace (runs inside code-server with workspace trust on; the
// harness writes a .vscode/settings.json that points inductionLens.modelPath at a model folder
// inside the workspace). The extension must use the bundled model and the user's own settings.
import * as assert from 'node:assert/strict';
import * as fs from 'fs';
import * as path from 'path';
import * as vscode from 'vscode';
import type { ExtensionApi } from '../../../src/extension/extension';
import { suite } from '../support/hostTests';

const { test, run } = suite();
export { run };
const ws = () => vscode.workspace.workspaceFolders![0].uri.fsPath;

async function api(): Promise<ExtensionApi['_test']> {
  const ext = vscode.extensions.getExtension<ExtensionApi>('induction-lens.induction-lens');
  assert.ok(ext);
  return (await ext.activate())._test;
}

async function analyze(t: ExtensionApi['_test'], name: string) {
  const doc = await vscode.workspace.openTextDocument(path.join(ws(), name));
  const editor = await vscode.window.showTextDocument(doc);
  editor.selection = new vscode.Selection(doc.positionAt(0), doc.positionAt(doc.getText().length));
  await vscode.commands.executeCommand('inductionLens.showInductionAttention');
  return t.analysis(doc.uri.toString());
}

test('the workspace is not trusted, and its model setting is there', async () => {
  assert.equal(vscode.workspace.isTrusted, false);
  const written = JSON.parse(fs.readFileSync(path.join(ws(), '.vscode', 'settings.json'), 'utf8'));
  assert.equal(written['inductionLens.modelPath'], 'workspace-model', 'the harness wrote the workspace setting');
  assert.ok(fs.existsSync(path.join(ws(), 'workspace-model', 'config.json')));
});

test('the bundled model is used, not the folder the workspace names', async () => {
  const t = await api();
  await vscode.workspace.getConfiguration('inductionLens').update('openPanel', false, vscode.ConfigurationTarget.Global);
  const d = await analyze(t, 'random-words.txt');
  assert.equal(t.lastError(), null);
  assert.ok(d, 'analyzed');
  assert.equal(d.session.id, 'attn-only-2l');
  assert.ok(!t.status().main.includes('workspace-model'), t.status().main);
});

test('a relative model path is never resolved against the untrusted workspace', async () => {
  const t = await api();
  const c = vscode.workspace.getConfiguration('inductionLens');
  await c.update('modelPath', 'workspace-model', vscode.ConfigurationTarget.Global);
  try {
    await analyze(t, 'identifiers.py');
    assert.match(t.lastError() ?? '', /"workspace-model" is relative, and relative paths are resolved against the workspace, which is not trusted/);
  } finally {
    await c.update('modelPath', undefined, vscode.ConfigurationTarget.Global);
  }
  await analyze(t, 'identifiers.py');
  assert.equal(t.lastError(), null);
});

test('an absolute model path from the user settings is used', async () => {
  const t = await api();
  const c = vscode.workspace.getConfiguration('inductionLens');
  const dir = path.join(ws(), 'workspace-model');
  await c.update('modelPath', dir, vscode.ConfigurationTarget.Global);
  try {
    const d = await analyze(t, 'random-words.txt');
    assert.equal(t.lastError(), null);
    assert.equal(d!.session.id, 'workspace-model');
  } finally {
    await c.update('modelPath', undefined, vscode.ConfigurationTarget.Global);
  }
});
