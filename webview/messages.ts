// The panel's side of the protocol (src/protocol/panel.ts): `send` to the host, and what each host
// message does to the state. Drawing follows from the state (main.ts), except the status line.
import type { HostToPanel, PanelAnalysis, PanelToHost } from '../src/protocol/panel';
import { showStatus } from './dom';
import { nextFocus, strongestEventQuery } from './focusLogic';
import { t } from './l10n';
import { state, update, type State } from './state';

declare function acquireVsCodeApi(): { postMessage(m: PanelToHost): void; setState(s: unknown): void; getState(): unknown };
// The API may be acquired only once per page.
const vscode = acquireVsCodeApi();

export const send = (m: PanelToHost) => vscode.postMessage(m);

/** Remembers the open tab across reloads of the webview. */
export const saveView = (view: string) => vscode.setState({ view });

/** The tab open before the webview was reloaded, if any. */
export const savedView = () => (vscode.getState() as { view?: string } | undefined)?.view;

/** Whether to ask for the circuits: the Circuits tab is open and there are none yet (nor a reason why not). */
export function circuitsWanted(): boolean {
  return state.view === 'circuits' && !state.circuits && !state.circuitsReason;
}

export function onHostMessage(m: HostToPanel): void {
  const t0 = performance.now();
  switch (m.type) {
    case 'analysis':
      receiveAnalysis(m.analysis);
      if (circuitsWanted()) send({ type: 'requestCircuits' });
      requestAnimationFrame(() => send({ type: 'perf', mark: `firstPaint:${m.analysis.tokens.ids.length}`, ms: performance.now() - t0 }));
      break;
    case 'pattern':
      update({ pattern: m.pattern });
      break;
    case 'pathResult':
      update({ pathResult: m.result, pathError: m.error ?? null });
      showStatus(m.error ? t('The path test failed.') : t('Path test done.'), !!m.error);
      break;
    case 'circuits':
      update({ circuits: m.circuits, circuitsReason: m.reason });
      // The reason is shown in full in the tab; the header keeps a short line.
      showStatus(m.reason ? t('No weight-based circuits for this model.') : t('Circuits computed from the model weights.'), false);
      break;
    case 'busy':
      showStatus(m.message);
      break;
    case 'error':
      showStatus(m.message, true);
      break;
    case 'empty':
      update({ analysis: null });
      showStatus(m.message);
      break;
  }
}

/** A new analysis replaces the old one; its pattern follows in a separate message. */
function receiveAnalysis(a: PanelAnalysis) {
  const prev = state.analysis;
  const patch: Partial<State> = { analysis: a, pattern: null, pathResult: null, pathError: null };
  // Circuits belong to one model version: another model, or the same one loaded again after its
  // files changed, needs them computed again.
  if (prev && (prev.model.id !== a.model.id || prev.model.version !== a.model.version)) {
    patch.circuits = null;
    patch.circuitsReason = null;
  }
  // The Events view starts with the editor's filter for each new file, then keeps the user's choice.
  if (state.eventsShowAll === null || state.eventsShowAllFile !== a.fileName) {
    patch.eventsShowAll = a.eventFilter?.mode === 'all';
    patch.eventsShowAllFile = a.fileName;
  }
  const focus = nextFocus(state, { type: 'newText', count: a.tokens.ids.length, start: strongestEventQuery(a.events, a.eventOrder) });
  patch.focused = focus.focused;
  patch.locked = focus.locked;
  update(patch);
}
