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
  /** The events painted alone changed (the mode and thresholds did not). */
  private readonly onlyChanged = new vscode.EventEmitter<void>();
  readonly onDidChangeOnly = this.onlyChanged.event;

  /** The events a path ablation removed, painted alone in that document until the filter is
   *  toggled or another analysis comes ("Test the circuit" → Paint on the editor). */
  private only: { uri: string; queries: ReadonlySet<number> } | null = null;

  constructor(private readonly memento: vscode.Memento) {}

  showOnly(uri: string, queries: ReadonlySet<number>): void {
    this.only = { uri, queries };
    this.onlyChanged.fire();
  }

  clearOnly(): void {
    if (!this.only) return;
    this.only = null;
    this.onlyChanged.fire();
  }

  /** The filter for one document: `current`, or the events a path ablation removed there. */
  currentFor(uri: string): EventFilter {
    return this.only?.uri === uri ? { ...this.current, only: this.only.queries } : this.current;
  }

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
    this.only = null;
    await this.memento.update(KEY, next);
    this.changed.fire();
    return next;
  }

  dispose(): void {
    this.changed.dispose();
    this.onlyChanged.dispose();
  }
}
