// The extension's settings, read in one place (descriptions live in package.json).
import * as vscode from 'vscode';

export type LiveMode = 'off' | 'onType' | 'onSave';

export interface Settings {
  /** Model folder; empty = the bundled model. */
  modelPath: string;
  inductionThreshold: number;
  attentionThreshold: number;
  maxTokens: number;
  liveMode: LiveMode;
  debounceMs: number;
  maxWaitMs: number;
  showPanel: boolean;
}

export function readSettings(): Settings {
  const c = vscode.workspace.getConfiguration('inductionLens');
  const num = (k: string, d: number, lo: number, hi: number) => {
    const v = c.get<number>(k, d);
    return typeof v === 'number' && Number.isFinite(v) ? Math.min(hi, Math.max(lo, v)) : d;
  };
  const live = c.get<string>('liveMode', 'off');
  return {
    modelPath: (c.get<string>('modelPath', '') ?? '').trim(),
    inductionThreshold: num('inductionThreshold', 0.4, 0, 1),
    attentionThreshold: num('attentionThreshold', 0.3, 0, 1),
    maxTokens: Math.round(num('maxTokens', 2048, 16, 65536)),
    liveMode: live === 'onType' || live === 'onSave' ? live : 'off',
    debounceMs: Math.round(num('debounceMs', 300, 0, 10000)),
    maxWaitMs: Math.round(num('maxWaitMs', 1500, 0, 60000)),
    showPanel: c.get<boolean>('openPanel', true) !== false,
  };
}
