// The panel's browser code: wires the state (state.ts), the host's messages (messages.ts) and the
// five views (views/). Document text arrives in messages and is only ever assigned with
// textContent, never as HTML. Imports from src/protocol and its own modules only.
import type { HostToPanel, PanelAnalysis } from '../src/protocol/panel';
import { $, showStatus } from './dom';
import { exportCanvas } from './export';
import { readBundleFromPage, setBundle, t } from './l10n';
import { circuitsWanted, onHostMessage, savedView, saveView, send } from './messages';
import { state, subscribe, update, VIEWS, type State, type StateKey } from './state';
import { localizeStaticText } from './staticText';
import { renderCircuits } from './views/circuits';
import { renderPathTest, renderResult } from './views/pathTest';
import { bindEvents, markEventRow, renderEvents } from './views/events';
import { bindHeads, renderHeads } from './views/heads';
import { bindPattern, renderPattern, renderPatternTitle } from './views/pattern';
import { bindTokens, clearTokens, paintFocus, renderTokens } from './views/tokens';

/** The header: file name, model and a one-line summary of the analysis. */
function renderHeader(a: PanelAnalysis) {
  $('title').textContent = t('Induction Lens — {0}', a.fileName);
  const ablated = Array.from(a.mask).filter((x) => x === 0).length;
  const [tokens, events] = [a.tokens.ids.length, a.events.length];
  showStatus(ablated
    ? t('{0} · {1} tokens · {2} induction events · {3} ms · {4} head(s) ablated', a.model.id, tokens, events, a.elapsedMs, ablated)
    : t('{0} · {1} tokens · {2} induction events · {3} ms', a.model.id, tokens, events, a.elapsedMs));
}

/** Redraws what depends on the fields that changed. */
function redraw(s: Readonly<State>, changed: ReadonlySet<StateKey>) {
  if (changed.has('analysis')) {
    const a = s.analysis;
    if (!a) {
      clearTokens();
      $('events').textContent = '';
      return;
    }
    // A new analysis: everything but the heatmap, whose pattern follows in its own message.
    // Circuits are drawn again only if there are some: after a model change the old figures stay
    // until the new ones arrive.
    renderHeader(a);
    renderTokens(s);
    paintFocus(s);
    renderEvents(s);
    renderHeads(s);
    renderPatternTitle(s);
    if (s.circuits || s.circuitsReason) renderCircuits(s);
    renderPathTest(s);
    return;
  }
  if (changed.has('pathResult') || changed.has('pathError')) renderResult(s.pathResult, s.pathError);
  if (changed.has('pattern')) {
    renderPattern(s);
    paintFocus(s);
    renderHeads(s);
  }
  if (changed.has('circuits') || changed.has('circuitsReason')) renderCircuits(s);
  if (changed.has('focused') || changed.has('locked')) {
    paintFocus(s);
    markEventRow(s);
  }
  if (changed.has('eventsShowAll')) renderEvents(s);
}

// The translations first: everything below may put text on screen.
setBundle(readBundleFromPage(document));
localizeStaticText();
subscribe(redraw);
window.addEventListener('message', (ev: MessageEvent<HostToPanel>) => onHostMessage(ev.data));
bindTokens();
bindEvents();
bindHeads();
bindPattern();

$('tabs').addEventListener('vsc-tabs-select', (e) => {
  const view = VIEWS[(e as CustomEvent<{ selectedIndex: number }>).detail.selectedIndex] ?? 'tokens';
  update({ view });
  saveView(view);
  if (circuitsWanted()) {
    showStatus(t('Computing the circuits from the model weights…'));
    send({ type: 'requestCircuits' });
  }
});

$('export-json').addEventListener('click', () => send({ type: 'exportJson' }));
$('export-png').addEventListener('click', () => {
  const canvas = exportCanvas(state);
  if (canvas) send({ type: 'exportPng', view: state.view, dataUrl: canvas.toDataURL('image/png') });
  else showStatus(t('Nothing to export in this view yet.'), true);
});

// Back on the tab that was open before the webview was reloaded.
const saved = savedView();
if (saved && VIEWS.includes(saved)) {
  update({ view: saved });
  $<HTMLElement & { selectedIndex: number }>('tabs').selectedIndex = VIEWS.indexOf(saved);
}
send({ type: 'ready' });
