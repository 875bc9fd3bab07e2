// Events view: the induction events in the host's order (strongest first), by default only those
// that matter; a row locks its token in the Tokens view and reveals it in the editor.
import { $, el } from '../dom';
import { fmt, fmtGain, plural, tokenLabel, vocabLabel } from '../format';
import { state, update, type State } from '../state';
import { applyFocusInput } from './tokens';

/** Rows listed at most: a long file has thousands of events. */
const MAX_EVENT_ROWS = 500;

/** Column headers and their tooltips. */
const COLUMNS: [string, string][] = [
  ['token', 'The query token (whitespace shown as · ↵ ⇥)'],
  ['position', 'line:col in the document'],
  ['predicted B', 'The token after the earlier occurrence: what the induction head predicts next'],
  ['head', 'The induction head attending most to the earlier occurrence'],
  ['attention', 'Attention of that head from the query to the earlier occurrence'],
  ['p(B)', 'Model probability of the predicted successor'],
  ['rank', 'Rank of the predicted successor among the model\'s predictions'],
  ['ablation gain', 'Loss with the induction heads masked minus loss, in nats'],
  ['hit', 'Whether the predicted successor is the actual next token'],
];

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
  const criteria = f ? `induction-head attention ≥ ${fmt(f.attentionThreshold, 2)} and ablation gain ≥ ${fmt(f.minAblationGain, 2)} nats` : 'the editor\'s filter';
  const frag = document.createDocumentFragment();
  let summary: string;
  if (!total) summary = 'No induction events in this text: no token repeats an earlier one.';
  else if (f?.mode === 'all') summary = `The editor shows all ${total} induction ${plural(total, 'event', 'events')}; ${matterCount} ${plural(matterCount, 'matters', 'matter')} (${criteria}); strongest first.`;
  else summary = `${matterCount} of ${total} induction ${plural(total, 'event', 'events')} ${plural(matterCount, 'matters', 'matter')} here (${criteria}); strongest first.`;
  frag.appendChild(el('p', 'legend events-summary', summary));
  if (total) {
    const toggle = el('vscode-button' as 'button', undefined, showAll ? 'Show only events that matter' : `Show all ${total} ${plural(total, 'event', 'events')}`);
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
    frag.appendChild(el('p', 'note', `No induction event matters here: none has ${criteria}.`));
  } else if (shown.length) {
    frag.appendChild(eventTable(a, shown.slice(0, MAX_EVENT_ROWS)));
    if (shown.length > MAX_EVENT_ROWS) frag.appendChild(el('p', 'note', `first ${MAX_EVENT_ROWS} of ${shown.length} shown`));
  }
  $('events').replaceChildren(frag);
  markEventRow(s);
}

/** The table of events `rows` (indices into a.events). */
function eventTable(a: NonNullable<State['analysis']>, rows: number[]): HTMLTableElement {
  const starts = lineStarts(a.text);
  const table = el('table', 'grid events');
  table.setAttribute('aria-label', 'induction events, strongest first');
  const head = el('tr');
  for (const [name, title] of COLUMNS) {
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
    tr.title = 'Click or Enter: lock this token and reveal it in the editor';
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
