// Which induction events the editor paints: "events that matter" (the default: attention and
// ablation gain above their settings) or all events above the attention threshold. The choice is
// the user's, kept across sessions; the thresholds come from the settings.
import * as vscode from 'vscode';
import type { EventFilter, EventFilterMode } from '../engine/overlay';
import { readSettings } from './config';

const KEY = 'inductionLens.eventFilter';

export class EventFilterState implements vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<void>();
  readonly onDidChange = this.changed.event;

  constructor(private readonly memento: vscode.Memento) {}

  get mode(): EventFilterMode {
    return this.memento.get<string>(KEY) === 'all' ? 'all' : 'matter';
  }

  /** The filter to paint with now: the mode plus the thresholds from the settings. */
  get current(): EventFilter {
    const s = readSettings();
    return { mode: this.mode, attentionThreshold: s.attentionThreshold, minAblationGain: s.minAblationGain };
  }

  async toggle(): Promise<EventFilterMode> {
    const next: EventFilterMode = this.mode === 'all' ? 'matter' : 'all';
    await this.memento.update(KEY, next);
    this.changed.fire();
    return next;
  }

  dispose(): void {
    this.changed.dispose();
  }
}
