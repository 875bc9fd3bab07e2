// "Test the circuit" in the panel's Circuits tab: runs a path ablation on the analysed text
// (engine/pathTest.ts), reports the receiver's induction score and the text's loss before and
// after and how many painted events disappear, and can paint those events alone on the editor.
import * as vscode from 'vscode';
import type { AnalysisController, DocumentAnalysis } from './analysisController';
import type { EventFilterState } from './eventFilter';
import { readSettings } from './config';
import { describeError } from './modelManager';
import { eventShown } from '../engine/overlay';
import { runPathTest } from '../engine/pathTest';
import type { HostToPanel, PanelPathResult } from '../protocol/panel';
import type { PathSpec } from '../protocol/pathSpec';

export class PathTester {
  /** The events the last test removed, in the document it ran on. */
  private removed: { uri: string; version: number; queries: Set<number> } | null = null;
  /** The last result (for tests). */
  last: PanelPathResult | null = null;

  constructor(private readonly filter: EventFilterState, private readonly controller: AnalysisController) {}

  async run(d: DocumentAnalysis, path: PathSpec, post: (m: HostToPanel) => void): Promise<PanelPathResult | null> {
    post({ type: 'busy', message: vscode.l10n.t('Testing the path {0} → {1} ({2})…', `L${path.sender.layer}H${path.sender.head}`, `L${path.receiver.layer}H${path.receiver.head}`, path.path) });
    try {
      const s = readSettings();
      const r = await runPathTest(d.session, d.text, path, { headMask: d.mask ?? undefined, maxTokens: s.maxTokens, inductionThreshold: s.inductionThreshold });
      const f = this.filter.current;
      const shown = d.analysis.events.filter((e) => eventShown(e, d.analysis.ablationGain?.[e.query], { ...f, only: undefined }));
      const left = new Set(r.after.events.filter((e) => e.attention >= f.attentionThreshold).map((e) => e.query));
      const removed = shown.filter((e) => !left.has(e.query));
      this.removed = { uri: d.uri, version: d.version, queries: new Set(removed.map((e) => e.query)) };
      const result: PanelPathResult = {
        path, receiverInductionScore: r.receiverInductionScore, meanLoss: r.meanLoss, events: shown.length, disappeared: removed.length,
      };
      this.last = result;
      post({ type: 'pathResult', result });
      return result;
    } catch (e) {
      post({ type: 'pathResult', result: null, error: describeError(e) });
      return null;
    }
  }

  /** Paints only the events the last test removed (until the filter is toggled or the text is
   *  analysed again); nothing when that analysis is no longer the one shown. */
  paintRemoved(): boolean {
    const r = this.removed;
    const d = r ? this.controller.get(r.uri) : undefined;
    if (!r || !d || d.version !== r.version) return false;
    this.filter.showOnly(r.uri, r.queries);
    return true;
  }
}
