// Induction Lens: Select Model — lists the bundled model, the folders the user has used or
// configured, and a folder picker; validates the choice before switching the whole extension.
import * as path from 'path';
import * as vscode from 'vscode';
import { modelSetting } from './config';
import { describeError, LoadCancelledError, type ModelManager } from './modelManager';

const FOLDERS_KEY = 'modelFolders';

interface ModelItem extends vscode.QuickPickItem {
  /** '' for the bundled model, a folder path, or null for "choose a folder". */
  setting: string | null;
}

/** One line describing a model folder, or why it cannot be used (read in the worker). */
async function describe(models: ModelManager, setting: string): Promise<{ ok: boolean; text: string }> {
  try {
    const s = await models.workerPool.inspect(models.resolveDir(setting));
    return { ok: true, text: vscode.l10n.t('{0} layers × {1} heads, context {2} · {3}', s.nLayers, s.nHeads, s.nCtx, s.kind) };
  } catch (e) {
    return { ok: false, text: `$(warning) ${describeError(e)}` };
  }
}

export async function selectModel(models: ModelManager, log: vscode.LogOutputChannel, folderArg?: string): Promise<string | undefined> {
  const config = vscode.workspace.getConfiguration('inductionLens');
  const current = modelSetting<string>(config, 'modelPath', '').trim();
  let setting: string | null | undefined = folderArg;
  if (setting === undefined) {
    const known = [...new Set([current, ...modelSetting<string[]>(config, FOLDERS_KEY, [])].filter((f) => typeof f === 'string' && f))];
    // The pick list shows as busy while the worker reads each folder's size.
    const items = Promise.all([describe(models, ''), ...known.map((f) => describe(models, f))]).then(([bundled, ...described]): ModelItem[] => [
      { label: `${current === '' ? '$(check) ' : ''}${path.basename(models.bundledModelDir)}`, description: vscode.l10n.t('bundled with the extension'), detail: bundled.text, setting: '' },
      ...known.map((f, i): ModelItem => ({ label: `${f === current ? '$(check) ' : ''}${path.basename(f)}`, description: f, detail: described[i].text, setting: f })),
      { label: `$(folder-opened) ${vscode.l10n.t('Choose a model folder…')}`, detail: vscode.l10n.t('A Hugging Face folder (config.json, model.safetensors, tokenizer.json) or an Induction Lens folder (model.json)'), setting: null },
    ]);
    const pick = await vscode.window.showQuickPick(items, { title: vscode.l10n.t('Induction Lens: Select Model'), placeHolder: vscode.l10n.t('Model to run'), matchOnDescription: true, matchOnDetail: true });
    if (!pick) return undefined;
    setting = pick.setting;
    if (setting === null) {
      const uri = await vscode.window.showOpenDialog({ canSelectFolders: true, canSelectFiles: false, canSelectMany: false, openLabel: vscode.l10n.t('Use This Model'), title: vscode.l10n.t('Induction Lens: choose a model folder') });
      if (!uri?.length) return undefined;
      setting = uri[0].fsPath;
    }
  }
  // Check the folder cheaply in the worker (config and weight headers, so a bad choice does not
  // unload the current model), then load it, tokenizer included, and score its heads (with
  // progress; cached per model); only then switch the setting. A folder that fails leaves the
  // setting as it was.
  let dir = setting;
  let session;
  try {
    dir = models.resolveDir(setting);
    await models.workerPool.inspect(dir);
    session = await models.session(dir);
    await session.probe();
  } catch (e) {
    const message = describeError(e);
    if (e instanceof LoadCancelledError) log.info(`select model: ${message}`);
    else log.warn(`select model refused: ${message}`);
    if (e instanceof LoadCancelledError) return undefined; // the user's choice: nothing to report
    void vscode.window.showErrorMessage(vscode.l10n.t('Induction Lens: cannot use this model: {0}', message));
    throw new Error(message);
  }
  // Write where it takes effect: a workspace value would hide a global one.
  const inspect = config.inspect<string>('modelPath');
  const target = inspect?.workspaceFolderValue !== undefined ? vscode.ConfigurationTarget.WorkspaceFolder
    : inspect?.workspaceValue !== undefined ? vscode.ConfigurationTarget.Workspace : vscode.ConfigurationTarget.Global;
  await config.update('modelPath', setting, target);
  if (setting) {
    const list = [setting, ...(config.get<string[]>(FOLDERS_KEY, []) ?? []).filter((f) => f !== setting)].slice(0, 12);
    await config.update(FOLDERS_KEY, list, vscode.ConfigurationTarget.Global);
  }
  const probe = await session.probe();
  const best = [...probe.heads].sort((a, b) => b.induction - a.induction)[0];
  void vscode.window.showInformationMessage(best
    ? vscode.l10n.t('Induction Lens: now using {0}; strongest induction head {1} ({2}).', session.id, `L${best.layer}H${best.head}`, best.induction.toFixed(2))
    : vscode.l10n.t('Induction Lens: now using {0}; no heads.', session.id));
  return dir;
}
