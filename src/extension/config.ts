// The extension's settings, read in one place (descriptions live in package.json).
import * as vscode from 'vscode';

export type LiveMode = 'off' | 'onType' | 'onSave';
export type InlineHints = 'cursorLine' | 'all' | 'off';

export interface Settings {
  /** Model folder; empty = the bundled model. */
  modelPath: string;
  inductionThreshold: number;
  attentionThreshold: number;
  /** Nats: an event "matters" when masking the induction heads raises the loss by at least this. */
  minAblationGain: number;
  inlineHints: InlineHints;
  maxTokens: number;
  liveMode: LiveMode;
  debounceMs: number;
  maxWaitMs: number;
  openPanel: boolean;
}

/**
 * A model setting as it may be used here: in an untrusted workspace only the user's own value
 * counts (a workspace could point the extension at a folder of its choosing), whatever VS Code's
 * handling of restricted settings does.
 */
export function modelSetting<T>(c: vscode.WorkspaceConfiguration, key: 'modelPath' | 'modelFolders', fallback: T): T {
  if (vscode.workspace.isTrusted) return c.get<T>(key, fallback) ?? fallback;
  const v = c.inspect<T>(key)?.globalValue;
  return v === undefined || v === null ? fallback : v;
}

export function readSettings(): Settings {
  const c = vscode.workspace.getConfiguration('inductionLens');
  const num = (k: string, d: number, lo: number, hi: number) => {
    const v = c.get<number>(k, d);
    return typeof v === 'number' && Number.isFinite(v) ? Math.min(hi, Math.max(lo, v)) : d;
  };
  const live = c.get<string>('liveMode', 'off');
  const hints = c.get<string>('inlineHints', 'cursorLine');
  return {
    modelPath: modelSetting<string>(c, 'modelPath', '').trim(),
    inductionThreshold: num('inductionThreshold', 0.4, 0, 1),
    attentionThreshold: num('attentionThreshold', 0.3, 0, 1),
    minAblationGain: num('minAblationGain', 1, -100, 100),
    inlineHints: hints === 'all' || hints === 'off' ? hints : 'cursorLine',
    maxTokens: Math.round(num('maxTokens', 2048, 16, 8192)),
    liveMode: live === 'onType' || live === 'onSave' ? live : 'off',
    debounceMs: Math.round(num('debounceMs', 300, 0, 10000)),
    maxWaitMs: Math.round(num('maxWaitMs', 1500, 0, 60000)),
    openPanel: c.get<boolean>('openPanel', true) !== false,
  };
}
