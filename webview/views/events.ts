// Events view: the induction events in the host's order (strongest first), by default only those
// that matter; a row locks its token in the Tokens view and reveals it in the editor.
import { $, el } from '../dom';
import { fmt, fmtGain, plural, tokenLabel, vocabLabel } from '../format';
import { t } from '../l10n';
import { state, update, type State } from '../state';
import { applyFocusInput } from './tokens';

/** Rows listed at most: a long file has thousands of events. */
const MAX_EVENT_ROWS = 500;

/** Column headers and their tooltips (a function: the translations load after this module). */
const columns = (): [string, string][] => [
  [t('token'), t('The query token (whitespace shown as · ↵ ⇥)')],
  [t('position'), t('line:col in the document')],
  [t('predicted B'), t('The token after the earlier occurrence: what the induction head predicts next')],
  [t('head'), t('The induction head attending most to the earlier occurrence')],
  [t('attention'), t('Attention of that head from the query to the earlier occurrence')],
  [t('p(B)'), t('Model probability of the predicted successor')],
  [t('rank'), t('Rank of the predicted successor among the model\'s predictions')],
  [t('ablation gain'), t('Loss with the induction heads masked minus loss, in nats')],
  [t('hit'), t('Whether the predicted successor is the actual next token')],
];

/** The sentence above the table: how many events matter, by which criteria, and whether the
 *  editor shows them all (`all`). One message per plural form of `total` and `matter`. */
function summaryText(total: number, matter: number, criteria: string, all: boolean): string {
  if (!total) return t('No induction events in this text: no token repeats an earlier one.');
  if (all) {
    if (total === 1) return matter === 1 ? t('The editor shows all {0} induction event; {1} matters ({2}); strongest first.', total, matter, criteria) : t('The editor shows all {0} induction event; {1} matter ({2}); strongest first.', total, matter, criteria);
    return matter === 1 ? t('The editor shows all {0} induction events; {1} matters ({2}); strongest first.', total, matter, criteria) : t('The editor shows all {0} induction events; {1} matter ({2}); strongest first.', total, matter, criteria);
  }
  if (total === 1) return matter === 1 ? t('{0} of {1} induction event matters here ({2}); strongest first.', matter, total, criteria) : t('{0} of {1} induction event matter here ({2}); strongest first.', matter, total, criteria);
  return matter === 1 ? t('{0} of {1} induction events matters here ({2}); strongest first.', matter, total, criteria) : t('{0} of {1} induction events matter here ({2}); strongest first.', matter, total, criteria);
}

/** Offsets at which each line of `text` starts (line 1 at offset 0). */
function lineStarts(text: string): number[] {
  const starts = [0];
  for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', i + 1)) starts.push(i + 1);
  return starts;
}

/** 1-based document line:col of `offset` in the analyzed text, given its line starts and where
 *  it starts in the document (for display). */
function lineCol(starts: number[], offset: number, origin: { line: number; character: number }): string {
  let lo = 0, hi = starts.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (starts[mid] <= offset) lo = mid;
    else hi = mid - 1;
  }
  const col = offset - starts[lo] + (lo === 0 ? origin.character : 0);
  return `${origin.line + lo + 1}:${col + 1}`;
}

export function renderEvents(s: Readonly<State>) {
  const a = s.analysis;
  if (!a) return;
  const showAll = !!s.eventsShowAll;
  const f = a.eventFilter;
  const total = a.events.length;
  const matterCount = a.events.reduce((n, e) => n + (e.matters ? 1 : 0), 0);
  const criteria = f ? t('induction-head attention ≥ {0} and ablation gain ≥ {1} nats', fmt(f.attentionThreshold, 2), fmt(f.minAblationGain, 2)) : t('the editor\'s filter');
  const frag = document.createDocumentFragment();
  frag.appendChild(el('p', 'legend events-summary', summaryText(total, matterCount, criteria, f?.mode === 'all')));
  if (total) {
    const toggle = el('vscode-button' as 'button', undefined, showAll ? t('Show only events that matter') : plural(total, t('Show all {0} event', total), t('Show all {0} events', total)));
    toggle.id = 'events-show-all';
    toggle.setAttribute('secondary', '');
    toggle.setAttribute('aria-pressed', String(showAll));
    toggle.addEventListener('click', () => {
      update({ eventsShowAll: !state.eventsShowAll });
      // The list was drawn anew: keep the keyboard on the (new) button.
      document.getElementById('events-show-all')?.focus();
    });
    const actions = el('div', 'actions');
    actions.appendChild(toggle);
    frag.appendChild(actions);
  }
  const order = a.eventOrder && a.eventOrder.length === total ? Array.from(a.eventOrder) : a.events.map((_, j) => j);
  const shown = showAll ? order : order.filter((j) => a.events[j].matters);
  if (total && !shown.length) {
    frag.appendChild(el('p', 'note', t('No induction event matters here: none has {0}.', criteria)));
  } else if (shown.length) {
    frag.appendChild(eventTable(a, shown.slice(0, MAX_EVENT_ROWS)));
    if (shown.length > MAX_EVENT_ROWS) frag.appendChild(el('p', 'note', t('first {0} of {1} shown', MAX_EVENT_ROWS, shown.length)));
  }
  $('events').replaceChildren(frag);
  markEventRow(s);
}

/** The table of events `rows` (indices into a.events). */
function eventTable(a: NonNullable<State['analysis']>, rows: number[]): HTMLTableElement {
  const starts = lineStarts(a.text);
  const table = el('table', 'grid events');
  table.setAttribute('aria-label', t('induction events, strongest first'));
  const rowTitle = t('Click or Enter: lock this token and reveal it in the editor');
  const head = el('tr');
  for (const [name, title] of columns()) {
    const th = el('th', undefined, name);
    th.title = title;
    th.scope = 'col';
    head.appendChild(th);
  }
  table.appendChild(head);
  for (const j of rows) {
    const e = a.events[j];
    const q = e.query;
    const tr = el('tr', e.matters ? 'event-row' : 'event-row dim');
    tr.tabIndex = 0;
    tr.dataset.query = String(q);
    tr.title = rowTitle;
    const tok = el('td', 'tok-cell');
    tok.appendChild(el('code', 'mono', tokenLabel(a, q)));
    const succ = el('td', 'tok-cell');
    succ.appendChild(el('code', 'mono', vocabLabel(a, e.successorId)));
    tr.append(
      tok,
      el('td', undefined, lineCol(starts, a.tokens.starts[q], a.origin)),
      succ,
      el('td', undefined, `L${e.head.layer}H${e.head.head}`),
      el('td', undefined, fmt(e.attention, 2)),
      el('td', undefined, fmt(e.prob, 2)),
      el('td', undefined, String(e.rank)),
      el('td', undefined, fmtGain(e.gain)),
      el('td', 'hit-cell', e.hit ? '✓' : ''),
    );
    table.appendChild(tr);
  }
  return table;
}

/** Marks the Events row of the locked token. */
export function markEventRow(s: Readonly<State>) {
  const box = document.getElementById('events');
  if (!box) return;
  box.querySelector('tr.event-row.locked')?.classList.remove('locked');
  if (s.locked >= 0) box.querySelector(`tr.event-row[data-query="${s.locked}"]`)?.classList.add('locked');
}

const eventRowOf = (t: EventTarget | null) => (t as HTMLElement | null)?.closest?.('tr.event-row') as HTMLTableRowElement | null;

/** Click or Enter on a row locks its token; Up and Down move between rows. */
export function bindEvents() {
  const box = $('events');
  box.addEventListener('click', (e) => {
    const tr = eventRowOf(e.target);
    if (tr && state.analysis) applyFocusInput({ type: 'lock', index: Number(tr.dataset.query) });
  });
  box.addEventListener('keydown', (e) => {
    const tr = eventRowOf(e.target);
    if (!tr || !state.analysis || e.target !== tr) return;
    if (e.key === 'Enter' || e.key === ' ') {
      e.preventDefault();
      applyFocusInput({ type: 'lock', index: Number(tr.dataset.query) });
    } else if (e.key === 'ArrowDown' || e.key === 'ArrowUp') {
      const next = (e.key === 'ArrowDown' ? tr.nextElementSibling : tr.previousElementSibling) as HTMLElement | null;
      if (next?.classList.contains('event-row')) {
        e.preventDefault();
        next.focus();
      }
    }
  });
}
