// The panel's browser code. Document text arrives in messages and is only ever assigned with
// textContent, never as HTML. Imports protocol types only.
import { visibleText } from '../src/protocol/visibleText';
import type { HeadRef, HostToPanel, Matrix, PanelAnalysis, PanelCircuits, PanelPattern, PanelToHost } from '../src/protocol/panel';

declare function acquireVsCodeApi(): { postMessage(m: PanelToHost): void; setState(s: unknown): void; getState(): unknown };
const vscode = acquireVsCodeApi();
const send = (m: PanelToHost) => vscode.postMessage(m);

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;
const el = <K extends keyof HTMLElementTagNameMap>(tag: K, cls?: string, text?: string): HTMLElementTagNameMap[K] => {
  const e = document.createElement(tag);
  if (cls) e.className = cls;
  if (text !== undefined) e.textContent = text;
  return e;
};

let analysis: PanelAnalysis | null = null;
let pattern: PanelPattern | null = null;
let circuits: PanelCircuits | null = null;
let circuitsReason: string | null = null;
let focused = -1;
let locked = -1;
let tokenEls: HTMLSpanElement[] = [];
let paintedRow = -1;
/** Tab index → view name, in the order of the tab headers in index.html. */
const VIEWS = ['tokens', 'events', 'heads', 'pattern', 'circuits'];
/** Events view: whether rows that do not matter are listed too, and for which file that choice was made. */
let eventsShowAll: boolean | null = null;
let eventsShowAllFile: string | null = null;
const MAX_EVENT_ROWS = 500;

function status(text: string, error = false) {
  const s = $('status');
  s.textContent = text;
  s.classList.toggle('error', error);
}

const show = visibleText;
const tokText = (id: number) => analysis?.vocabText[id] ?? `#${id}`;
const fmt = (x: number, d = 3) => (Number.isFinite(x) ? x.toFixed(d) : '—');
const fmtGain = (x: number) => (Number.isFinite(x) ? `${x >= 0 ? '+' : ''}${x.toFixed(2)}` : '—');
const plural = (n: number, one: string, many: string) => (n === 1 ? one : many);

window.addEventListener('message', (ev: MessageEvent<HostToPanel>) => {
  const m = ev.data;
  const t0 = performance.now();
  switch (m.type) {
    case 'analysis':
      // Circuits belong to one model version: another model, or the same one loaded again
      // after its files changed, needs them computed again.
      if (analysis && (analysis.model.id !== m.analysis.model.id || analysis.model.version !== m.analysis.model.version)) {
        circuits = null;
        circuitsReason = null;
      }
      analysis = m.analysis;
      pattern = null;
      renderAll();
      if (view === 'circuits' && !circuits && !circuitsReason) send({ type: 'requestCircuits' });
      requestAnimationFrame(() => send({ type: 'perf', mark: `firstPaint:${m.analysis.tokens.ids.length}`, ms: performance.now() - t0 }));
      break;
    case 'pattern':
      pattern = m.pattern;
      paintedRow = -1;
      renderPattern();
      applyFocus();
      renderHeads();
      break;
    case 'circuits':
      circuits = m.circuits;
      circuitsReason = m.reason;
      renderCircuits();
      // The reason is shown in full in the tab; the header keeps a short line.
      status(m.reason ? 'No weight-based circuits for this model.' : 'Circuits computed from the model weights.', false);
      break;
    case 'busy':
      status(m.message);
      break;
    case 'error':
      status(m.message, true);
      break;
    case 'empty':
      analysis = null;
      $('tokens').textContent = '';
      $('focus').textContent = '';
      $('events').textContent = '';
      status(m.message);
      break;
  }
});

function renderAll() {
  const a = analysis!;
  $('title').textContent = `Induction Lens — ${a.fileName}`;
  const ablated = Array.from(a.mask).filter((x) => x === 0).length;
  status(`${a.model.id} · ${a.tokens.ids.length} tokens · ${a.events.length} induction events · ${a.elapsedMs} ms${ablated ? ` · ${ablated} head(s) ablated` : ''}`);
  renderTokens();
  renderEvents();
  renderHeads();
  renderPatternTitle();
  if (circuits || circuitsReason) renderCircuits();
}

// ---- Tokens view -------------------------------------------------------------------------------

function renderTokens() {
  const a = analysis!;
  const box = $('tokens');
  const frag = document.createDocumentFragment();
  tokenEls = [];
  for (let i = 0; i < a.tokens.ids.length; i++) {
    const s = el('span', 'tok', a.text.slice(a.tokens.starts[i], a.tokens.ends[i]));
    s.dataset.i = String(i);
    s.setAttribute('role', 'option');
    frag.appendChild(s);
    tokenEls.push(s);
  }
  box.replaceChildren(frag);
  if (locked >= a.tokens.ids.length) locked = -1;
  focused = locked >= 0 ? locked : firstEvent();
  applyFocus();
}

/** The query of the strongest event that matters (the host's order), else of the strongest event. */
function firstEvent(): number {
  const a = analysis!;
  const order = a.eventOrder ?? new Int32Array(0);
  for (const j of order) if (a.events[j]?.matters) return a.events[j].query;
  const strongest = order.length ? a.events[order[0]] : a.events[0];
  return strongest ? strongest.query : 0;
}

const tokensBox = () => $('tokens');
tokensBox().addEventListener('mouseover', (e) => {
  const i = indexOf(e.target);
  if (i >= 0 && locked < 0) setFocus(i);
});
tokensBox().addEventListener('click', (e) => {
  const i = indexOf(e.target);
  if (i >= 0) lockToken(i, true);
});

/** Locks token i (or, with `toggle`, unlocks it when it is already locked) and reveals it in the editor. */
function lockToken(i: number, toggle = false) {
  locked = toggle && locked === i ? -1 : i;
  setFocus(i);
  if (locked >= 0) send({ type: 'revealToken', index: i });
}
tokensBox().addEventListener('keydown', (e) => {
  if (!analysis) return;
  const n = analysis.tokens.ids.length;
  const move = (d: number) => {
    e.preventDefault();
    const i = Math.min(n - 1, Math.max(0, (focused < 0 ? 0 : focused) + d));
    if (locked >= 0) locked = i;
    setFocus(i);
    tokenEls[i]?.scrollIntoView({ block: 'nearest' });
  };
  if (e.key === 'ArrowRight') move(1);
  else if (e.key === 'ArrowLeft') move(-1);
  else if (e.key === 'ArrowDown') move(10);
  else if (e.key === 'ArrowUp') move(-10);
  else if (e.key === 'Enter' || e.key === ' ') {
    e.preventDefault();
    locked = locked === focused ? -1 : focused;
    applyFocus();
  } else if (e.key === 'r' || e.key === 'R') send({ type: 'revealToken', index: focused });
});

function indexOf(t: EventTarget | null): number {
  const s = t as HTMLElement | null;
  return s?.dataset?.i !== undefined ? Number(s.dataset.i) : -1;
}

function setFocus(i: number) {
  focused = i;
  applyFocus();
}

/** Colours every token by the selected head's attention from the focused token. */
function applyFocus() {
  const a = analysis;
  if (!a || focused < 0 || !tokenEls.length) return;
  const N = a.tokens.ids.length;
  for (const s of tokenEls) {
    s.classList.remove('focused', 'locked', 'source', 'successor');
    s.style.background = '';
  }
  const row = pattern && pattern.pattern.shape[0] === N ? pattern.pattern.data.subarray(focused * N, (focused + 1) * N) : null;
  if (row) {
    for (let k = 0; k <= focused; k++) {
      const v = row[k];
      if (v > 0.02) tokenEls[k].style.background = `color-mix(in srgb, var(--vscode-charts-orange) ${Math.round(Math.min(1, v) * 85)}%, transparent)`;
    }
  }
  paintedRow = focused;
  const e = a.events.find((x) => x.query === focused);
  tokenEls[focused].classList.add(locked === focused ? 'locked' : 'focused');
  tokenEls[focused].setAttribute('aria-selected', 'true');
  if (e) {
    tokenEls[e.source].classList.add('source');
    if (focused + 1 < N) tokenEls[focused + 1].classList.toggle('successor', e.hit);
  }
  markEventRow();
  renderFocusInfo(focused);
}

function renderFocusInfo(i: number) {
  const a = analysis!;
  const box = $('focus');
  const k = a.topK.k;
  const frag = document.createDocumentFragment();
  const h = el('h3');
  h.append('Token ', el('code', undefined, show(a.text.slice(a.tokens.starts[i], a.tokens.ends[i]))), ` #${i} · id ${a.tokens.ids[i]}`);
  frag.appendChild(h);
  frag.appendChild(el('div', 'kv', locked === i ? 'Locked (click again or Enter to unlock)' : 'Preview (click to lock)'));
  frag.appendChild(el('div', 'kv', `Colour: attention of L${pattern?.head.layer ?? '?'}H${pattern?.head.head ?? '?'} from this token`));
  const e = a.events.find((x) => x.query === i);
  if (e) {
    const p = el('p');
    p.append(`Induction: L${e.head.layer}H${e.head.head} attends to `, el('code', undefined, show(tokText(e.successorId))), ` (#${e.source}) with ${fmt(e.attention, 2)}; p = ${fmt(e.prob, 3)}, rank ${e.rank}${e.hit ? ', hit' : ''}${Number.isFinite(e.gain) ? `; gain ${fmtGain(e.gain)} nats` : ''}`);
    frag.appendChild(p);
    if (a.baseline) {
      const idx = a.events.indexOf(e);
      const before = a.baseline.eventProb[idx];
      frag.appendChild(el('div', e.prob < before ? 'delta-up' : 'delta-down', `With ablation: p(successor) ${fmt(before)} → ${fmt(e.prob)}`));
    }
  } else frag.appendChild(el('p', 'kv', 'No earlier occurrence of this token: no induction event.'));
  frag.appendChild(el('div', 'kv', 'Next-token predictions'));
  for (let j = 0; j < k; j++) {
    const id = a.topK.ids[i * k + j];
    if (id < 0) break;
    const prob = a.topK.probs[i * k + j];
    const row = el('div', 'pred');
    const label = el('div');
    label.append(el('code', undefined, show(tokText(id))), ` ${fmt(prob, 3)}`);
    const bar = el('div', 'bar');
    bar.style.width = `${Math.max(2, prob * 48)}px`;
    row.append(label, bar);
    frag.appendChild(row);
  }
  const loss = a.loss[i];
  const gain = a.ablationGain[i];
  frag.appendChild(el('p', 'kv', `Loss ${fmt(loss, 3)} nats · ablation gain ${fmt(gain, 3)}${a.baseline ? ` · unablated loss ${fmt(a.baseline.loss[i], 3)}` : ''}`));
  box.replaceChildren(frag);
}

// ---- Events view -------------------------------------------------------------------------------

/** Offsets at which each line of `text` starts (line 1 at offset 0). */
function lineStarts(text: string): number[] {
  const starts = [0];
  for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', i + 1)) starts.push(i + 1);
  return starts;
}

/** 1-based line:col of `offset`, given the line starts of the text. */
function lineCol(starts: number[], offset: number): string {
  let lo = 0, hi = starts.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (starts[mid] <= offset) lo = mid;
    else hi = mid - 1;
  }
  return `${lo + 1}:${offset - starts[lo] + 1}`;
}

/** The induction events in the host's order (strongest first); by default only those that matter. */
function renderEvents() {
  const a = analysis;
  const box = $('events');
  if (!a) return;
  if (eventsShowAll === null || eventsShowAllFile !== a.fileName) {
    eventsShowAll = a.eventFilter?.mode === 'all';
    eventsShowAllFile = a.fileName;
  }
  const showAll = eventsShowAll;
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
      eventsShowAll = !eventsShowAll;
      renderEvents();
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
    const starts = lineStarts(a.text);
    const table = el('table', 'grid events');
    table.setAttribute('aria-label', 'induction events, strongest first');
    const head = el('tr');
    const cols: [string, string][] = [
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
    for (const [name, title] of cols) {
      const th = el('th', undefined, name);
      th.title = title;
      th.scope = 'col';
      head.appendChild(th);
    }
    table.appendChild(head);
    for (const j of shown.slice(0, MAX_EVENT_ROWS)) {
      const e = a.events[j];
      const q = e.query;
      const tr = el('tr', e.matters ? 'event-row' : 'event-row dim');
      tr.tabIndex = 0;
      tr.dataset.query = String(q);
      tr.title = 'Click or Enter: lock this token and reveal it in the editor';
      const tok = el('td', 'tok-cell');
      tok.appendChild(el('code', 'mono', show(a.text.slice(a.tokens.starts[q], a.tokens.ends[q]))));
      const succ = el('td', 'tok-cell');
      succ.appendChild(el('code', 'mono', show(tokText(e.successorId))));
      tr.append(
        tok,
        el('td', undefined, lineCol(starts, a.tokens.starts[q])),
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
    frag.appendChild(table);
    if (shown.length > MAX_EVENT_ROWS) frag.appendChild(el('p', 'note', `first ${MAX_EVENT_ROWS} of ${shown.length} shown`));
  }
  box.replaceChildren(frag);
  markEventRow();
}

/** Marks the Events row of the locked token. */
function markEventRow() {
  const box = document.getElementById('events');
  if (!box) return;
  box.querySelector('tr.event-row.locked')?.classList.remove('locked');
  if (locked >= 0) box.querySelector(`tr.event-row[data-query="${locked}"]`)?.classList.add('locked');
}

const eventRowOf = (t: EventTarget | null) => (t as HTMLElement | null)?.closest?.('tr.event-row') as HTMLTableRowElement | null;
$('events').addEventListener('click', (e) => {
  const tr = eventRowOf(e.target);
  if (tr && analysis) lockToken(Number(tr.dataset.query));
});
$('events').addEventListener('keydown', (e) => {
  const tr = eventRowOf(e.target);
  if (!tr || !analysis || e.target !== tr) return;
  if (e.key === 'Enter' || e.key === ' ') {
    e.preventDefault();
    lockToken(Number(tr.dataset.query));
  } else if (e.key === 'ArrowDown' || e.key === 'ArrowUp') {
    const next = (e.key === 'ArrowDown' ? tr.nextElementSibling : tr.previousElementSibling) as HTMLElement | null;
    if (next?.classList.contains('event-row')) {
      e.preventDefault();
      next.focus();
    }
  }
});

// ---- Heads view --------------------------------------------------------------------------------

function renderHeads() {
  const a = analysis;
  const box = $('heads');
  if (!a) return;
  const frag = document.createDocumentFragment();
  frag.appendChild(el('p', 'legend', 'Scores from the repeated-random-token probe (L = 50) and, in brackets, on the analysed text. ★ = induction head. Click a score to select the head; untick a head to ablate it (the analysis re-runs).'));
  const sel = pattern?.head;
  const isInd = (l: number, h: number) => a.inductionHeads.some((x) => x.layer === l && x.head === h);
  const metrics: [string, (s: PanelAnalysis['heads'][number]) => string][] = [
    ['induction', (s) => `${fmt(s.induction, 2)} (${fmt(s.textInduction, 2)})`],
    ['previous-token', (s) => `${fmt(s.previousToken, 2)} (${fmt(s.textPreviousToken, 2)})`],
    ['duplicate-token', (s) => fmt(s.duplicateToken, 2)],
  ];
  for (const [name, value] of metrics) {
    frag.appendChild(headTable(a, name, `${name} scores`, (l, h) => {
      const s = a.heads.find((x) => x.layer === l && x.head === h)!;
      const raw = name === 'induction' ? s.induction : name === 'previous-token' ? s.previousToken : s.duplicateToken;
      const td = el('td', 'head-cell', `${isInd(l, h) ? '★ ' : ''}${value(s)}`);
      td.classList.toggle('ind', isInd(l, h));
      td.classList.toggle('selected', !!sel && sel.layer === l && sel.head === h);
      td.style.background = `color-mix(in srgb, var(--vscode-charts-purple) ${Math.round(Math.min(1, Math.max(0, raw)) * 70)}%, transparent)`;
      td.tabIndex = 0;
      td.dataset.layer = String(l);
      td.dataset.head = String(h);
      td.title = `L${l}H${h}: select for the Tokens and Pattern views`;
      return td;
    }));
  }
  // Ablation toggles.
  const abl = headTable(a, 'on', 'head ablation', (l, h) => {
    const td = el('td');
    const lab = el('label', 'abl');
    const cb = el('input');
    cb.type = 'checkbox';
    cb.checked = a.mask[l * a.model.nHeads + h] !== 0;
    cb.dataset.index = String(l * a.model.nHeads + h);
    cb.className = 'ablate';
    cb.setAttribute('aria-label', `L${l}H${h} on`);
    lab.append(cb);
    td.appendChild(lab);
    return td;
  });
  frag.appendChild(el('div', 'legend', 'Heads switched on (untick to ablate through head_mask):'));
  frag.appendChild(abl);
  const ablateInd = el('vscode-button' as 'button', undefined, 'Ablate the induction heads');
  ablateInd.id = 'ablate-induction';
  ablateInd.setAttribute('secondary', '');
  const restore = el('vscode-button' as 'button', undefined, 'All heads on');
  restore.id = 'ablate-none';
  restore.setAttribute('secondary', '');
  const row = el('div', 'actions');
  row.append(ablateInd, restore);
  frag.appendChild(row);
  if (a.baseline) {
    const valid = (xs: Float32Array) => Array.from(xs).filter(Number.isFinite);
    const mean = (xs: number[]) => xs.reduce((p, c) => p + c, 0) / Math.max(1, xs.length);
    const before = mean(valid(a.baseline.loss));
    const after = mean(valid(a.loss));
    const pb = mean(valid(a.baseline.eventProb));
    const pa = mean(a.events.map((e) => e.prob));
    frag.appendChild(el('p', after > before ? 'delta-up' : 'delta-down', `Ablation effect: mean loss ${fmt(before)} → ${fmt(after)} nats; mean p(induction successor) ${fmt(pb)} → ${fmt(pa)}.`));
  }
  box.replaceChildren(frag);
}

$('heads').addEventListener('click', (e) => {
  const t = e.target as HTMLElement;
  const a = analysis;
  if (!a) return;
  if (t.dataset.layer !== undefined) selectHead({ layer: Number(t.dataset.layer), head: Number(t.dataset.head) });
  else if (t.id === 'ablate-induction') {
    const mask = new Array(a.model.nLayers * a.model.nHeads).fill(1);
    for (const h of a.inductionHeads) mask[h.layer * a.model.nHeads + h.head] = 0;
    send({ type: 'setMask', mask });
  } else if (t.id === 'ablate-none') send({ type: 'setMask', mask: new Array(a.model.nLayers * a.model.nHeads).fill(1) });
});
$('heads').addEventListener('keydown', (e) => {
  const t = e.target as HTMLElement;
  if ((e.key === 'Enter' || e.key === ' ') && t.dataset.layer !== undefined) {
    e.preventDefault();
    selectHead({ layer: Number(t.dataset.layer), head: Number(t.dataset.head) });
  }
});
$('heads').addEventListener('change', (e) => {
  const t = e.target as HTMLInputElement;
  if (!t.classList.contains('ablate') || !analysis) return;
  const boxes = Array.from(document.querySelectorAll<HTMLInputElement>('input.ablate'));
  send({ type: 'setMask', mask: boxes.map((b) => (b.checked ? 1 : 0)) });
});

/** A layer x head table with a corner label; `cell` builds each cell. */
function headTable(a: PanelAnalysis, corner: string, ariaLabel: string, cell: (layer: number, head: number) => HTMLTableCellElement): HTMLTableElement {
  const t = el('table', 'grid');
  t.setAttribute('aria-label', ariaLabel);
  const header = el('tr');
  header.appendChild(el('th', undefined, corner));
  for (let h = 0; h < a.model.nHeads; h++) header.appendChild(el('th', undefined, `H${h}`));
  t.appendChild(header);
  for (let l = 0; l < a.model.nLayers; l++) {
    const tr = el('tr');
    tr.appendChild(el('th', undefined, `L${l}`));
    for (let h = 0; h < a.model.nHeads; h++) tr.appendChild(cell(l, h));
    t.appendChild(tr);
  }
  return t;
}

function selectHead(h: HeadRef) {
  send({ type: 'selectHead', head: h });
}

// ---- Pattern view ------------------------------------------------------------------------------

function renderPatternTitle() {
  const t = $('pattern-title');
  t.textContent = pattern ? `Attention pattern of L${pattern.head.layer}H${pattern.head.head}${pattern.why ? ` (${pattern.why})` : ''}: rows are query positions, columns key positions (${pattern.pattern.shape[0]} tokens). Hover for values.` : 'Select a head in the Heads view.';
}

/** Draws a matrix into a canvas at one pixel per cell (scaled up by CSS for small matrices). */
function drawMatrix(canvas: HTMLCanvasElement, m: Matrix, colour: (v: number) => [number, number, number, number], cssSize?: number) {
  const [rows, cols] = m.shape;
  canvas.width = cols;
  canvas.height = rows;
  const scale = cssSize ? cssSize / Math.max(rows, cols) : Math.max(1, Math.floor(512 / Math.max(rows, cols)));
  canvas.style.width = `${cols * scale}px`;
  canvas.style.height = `${rows * scale}px`;
  const ctx = canvas.getContext('2d')!;
  const img = ctx.createImageData(cols, rows);
  const px = new Uint32Array(img.data.buffer);
  for (let i = 0; i < rows * cols; i++) {
    const [r, g, b, al] = colour(m.data[i]);
    px[i] = (al << 24) | (b << 16) | (g << 8) | r;
  }
  ctx.putImageData(img, 0, 0);
}

function themeRgb(varName: string, fallback: [number, number, number]): [number, number, number] {
  const probe = document.createElement('div');
  probe.style.color = `var(${varName})`;
  document.body.appendChild(probe);
  const c = getComputedStyle(probe).color;
  probe.remove();
  const m = /rgba?\((\d+),\s*(\d+),\s*(\d+)/.exec(c);
  return m ? [Number(m[1]), Number(m[2]), Number(m[3])] : fallback;
}

function heat(base: [number, number, number]) {
  return (v: number): [number, number, number, number] => {
    const a = Number.isFinite(v) ? Math.round(Math.min(1, Math.max(0, v)) * 255) : 0;
    return [base[0], base[1], base[2], a];
  };
}

function renderPattern() {
  renderPatternTitle();
  if (!pattern) return;
  const t0 = performance.now();
  drawMatrix($('pattern') as HTMLCanvasElement, pattern.pattern, heat(themeRgb('--vscode-charts-orange', [230, 120, 30])));
  send({ type: 'perf', mark: `heatmapRedraw:${pattern.pattern.shape[0]}`, ms: performance.now() - t0 });
}

function readout(canvas: HTMLCanvasElement, m: Matrix, e: MouseEvent, describe: (r: number, c: number, v: number) => string, out: HTMLElement) {
  const rect = canvas.getBoundingClientRect();
  const c = Math.floor(((e.clientX - rect.left) / rect.width) * m.shape[1]);
  const r = Math.floor(((e.clientY - rect.top) / rect.height) * m.shape[0]);
  if (r < 0 || c < 0 || r >= m.shape[0] || c >= m.shape[1]) return;
  out.textContent = describe(r, c, m.data[r * m.shape[1] + c]);
}

$('pattern').addEventListener('mousemove', (e) => {
  const a = analysis;
  if (!pattern || !a) return;
  readout($('pattern') as HTMLCanvasElement, pattern.pattern, e, (q, k, v) => {
    const tq = show(a.text.slice(a.tokens.starts[q], a.tokens.ends[q]));
    const tk = show(a.text.slice(a.tokens.starts[k], a.tokens.ends[k]));
    return `query #${q} “${tq}” → key #${k} “${tk}”: ${fmt(v, 3)}`;
  }, $('pattern-readout'));
});

// ---- Circuits view -----------------------------------------------------------------------------

function renderCircuits() {
  const box = $('circuits');
  if (!circuits) {
    const why = circuitsReason ? `${circuitsReason[0].toUpperCase()}${circuitsReason.slice(1)}.` : null;
    box.replaceChildren(el('p', 'note', why ?? 'Open this tab to compute the circuits from the model weights.'));
    return;
  }
  const c = circuits;
  const frag = document.createDocumentFragment();
  const row = el('div', 'circuit-row');
  const fig = (id: string, caption: string, m: Matrix, colour: (v: number) => [number, number, number, number], describe: (r: number, c: number, v: number) => string) => {
    const f = el('div', 'figure');
    const cv = el('canvas');
    cv.id = id;
    cv.tabIndex = 0;
    cv.setAttribute('aria-label', caption);
    drawMatrix(cv, m, colour, 260);
    const out = el('div', 'readout');
    cv.addEventListener('mousemove', (e) => readout(cv, m, e, describe, out));
    f.append(cv, el('div', 'caption', caption), out);
    row.appendChild(f);
  };
  const orange = themeRgb('--vscode-charts-orange', [230, 120, 30]);
  fig('circuit-prev', `Previous-token head L0H${c.previousTokenQK.head.head}: positional QK pattern softmax(W_pos W_Q W_Kᵀ W_posᵀ/√d_head), first ${c.previousTokenQK.pattern.shape[0]} positions. Mean mass on the sub-diagonal: ${fmt(c.previousTokenQK.subDiagonalMass)}.`,
    c.previousTokenQK.pattern, heat(orange), (q, k, v) => `query ${q}, key ${k}: ${fmt(v)}`);
  const ks = c.kCompositionPattern.scores;
  let max = 0;
  for (const v of ks.data) if (Number.isFinite(v)) max = Math.max(max, Math.abs(v));
  const blue = themeRgb('--vscode-charts-blue', [50, 120, 220]);
  const red = themeRgb('--vscode-charts-red', [220, 60, 60]);
  fig('circuit-kcomp', `K-composition: x W_Q W_Kᵀ yᵀ for induction head L1H${c.kCompositionPattern.inductionHead.head} with keys from L0H${c.kCompositionPattern.previousHead.head}'s output, on BOS + 50 random tokens repeated. The stripe starts at the second copy.`,
    ks, (v) => {
      if (!Number.isFinite(v)) return [0, 0, 0, 0];
      const t = Math.min(1, Math.abs(v) / (max || 1));
      const base = v >= 0 ? red : blue;
      return [base[0], base[1], base[2], Math.round(t * 255)];
    }, (q, k, v) => `query ${q}, key ${k}: ${fmt(v, 2)}`);
  // Each row standardised (minus its mean, over its standard deviation): the colour shows which
  // logit the attended token raises most; the readout gives the raw value.
  const ov = c.ovCircuit.matrix;
  const [n] = ov.shape;
  const z = new Float32Array(ov.data.length);
  for (let r = 0; r < n; r++) {
    let mean = 0, sq = 0;
    for (let j = 0; j < n; j++) mean += ov.data[r * n + j];
    mean /= n;
    for (let j = 0; j < n; j++) sq += (ov.data[r * n + j] - mean) ** 2;
    const sd = Math.sqrt(sq / n) || 1;
    for (let j = 0; j < n; j++) z[r * n + j] = (ov.data[r * n + j] - mean) / sd;
  }
  let diag = 0;
  for (let r = 0; r < n; r++) {
    let arg = 0;
    for (let j = 1; j < n; j++) if (ov.data[r * n + j] > ov.data[r * n + arg]) arg = j;
    if (arg === r) diag++;
  }
  fig('circuit-ov', `Full OV circuit W_E W_V W_O W_U of L1H${c.ovCircuit.head.head} on ${n} random tokens (rows: attended token, columns: logit; rows standardised). The diagonal is the largest entry in ${diag} of ${n} rows: the head copies.`,
    { shape: ov.shape, data: z }, (v) => {
      const t = Math.min(1, Math.abs(v) / 4);
      const base = v >= 0 ? red : blue;
      return [base[0], base[1], base[2], Math.round(t * 255)];
    }, (r, col) => `“${show(c.ovCircuit.tokens[r])}” → logit of “${show(c.ovCircuit.tokens[col])}”: ${fmt(ov.data[r * n + col], 2)}`);
  frag.appendChild(row);
  const copy = el('table', 'grid');
  copy.setAttribute('aria-label', 'copying scores');
  const h1 = el('tr');
  ['layer-1 head', 'copying score Σλ/Σ|λ|', 'top-1 diagonal accuracy'].forEach((x) => h1.appendChild(el('th', undefined, x)));
  copy.appendChild(h1);
  for (const s of c.copying) {
    const tr = el('tr');
    tr.append(el('td', undefined, `L${s.layer}H${s.head}`), el('td', undefined, fmt(s.eigenCopyingScore)), el('td', undefined, fmt(s.top1Accuracy)));
    copy.appendChild(tr);
  }
  frag.appendChild(el('h3', undefined, 'Copying (OV circuits of layer 1)'));
  frag.appendChild(copy);
  const kc = el('table', 'grid');
  kc.setAttribute('aria-label', 'K-composition scores');
  const h2 = el('tr');
  h2.appendChild(el('th', undefined, 'L0 ↓ / L1 →'));
  c.kComposition.scores[0].forEach((_, h) => h2.appendChild(el('th', undefined, `H${h}`)));
  kc.appendChild(h2);
  c.kComposition.scores.forEach((r, p) => {
    const tr = el('tr');
    tr.appendChild(el('th', undefined, `H${p}`));
    for (const v of r) {
      const td = el('td', undefined, fmt(v));
      const rel = Math.max(0, Math.min(1, (v - c.kComposition.baseline) / Math.max(1e-6, 1 - c.kComposition.baseline)));
      td.style.background = `color-mix(in srgb, var(--vscode-charts-purple) ${Math.round(rel * 200)}%, transparent)`;
      tr.appendChild(td);
    }
    kc.appendChild(tr);
  });
  frag.appendChild(el('h3', undefined, `K-composition scores ‖W_OV W_QKᵀ‖ / (‖W_OV‖‖W_QK‖); random baseline ${fmt(c.kComposition.baseline)}`));
  frag.appendChild(kc);
  box.replaceChildren(frag);
}

// ---- Tabs, export, start -----------------------------------------------------------------------

let view = 'tokens';
$('tabs').addEventListener('vsc-tabs-select', (e) => {
  view = VIEWS[(e as CustomEvent<{ selectedIndex: number }>).detail.selectedIndex] ?? 'tokens';
  vscode.setState({ view });
  if (view === 'circuits' && !circuits && !circuitsReason) {
    status('Computing the circuits from the model weights…');
    send({ type: 'requestCircuits' });
  }
});

$('export-json').addEventListener('click', () => send({ type: 'exportJson' }));
$('export-png').addEventListener('click', () => {
  const canvas = exportCanvas();
  if (canvas) send({ type: 'exportPng', view, dataUrl: canvas.toDataURL('image/png') });
  else status('Nothing to export in this view yet.', true);
});

/** A canvas with the current view: the heatmap, the three circuit figures side by side, or a
 * rendering of the token, events or heads view. */
function exportCanvas(): HTMLCanvasElement | null {
  if (view === 'pattern') return pattern ? ($('pattern') as HTMLCanvasElement) : null;
  if (view === 'circuits') {
    const figs = ['circuit-prev', 'circuit-kcomp', 'circuit-ov'].map((id) => document.getElementById(id) as HTMLCanvasElement | null).filter((x): x is HTMLCanvasElement => !!x);
    if (!figs.length) return null;
    const size = 260;
    const out = el('canvas');
    out.width = figs.length * (size + 20);
    out.height = size;
    const ctx = out.getContext('2d')!;
    ctx.imageSmoothingEnabled = false;
    figs.forEach((f, i) => ctx.drawImage(f, i * (size + 20), 0, size, size));
    return out;
  }
  if (!analysis) return null;
  const src = view === 'tokens' ? $('tokens') : view === 'events' ? $('events') : $('heads');
  const rect = src.getBoundingClientRect();
  const out = el('canvas');
  out.width = Math.ceil(rect.width);
  out.height = Math.ceil(Math.min(rect.height, 4000));
  const ctx = out.getContext('2d')!;
  const style = getComputedStyle(document.body);
  ctx.fillStyle = style.backgroundColor;
  ctx.fillRect(0, 0, out.width, out.height);
  ctx.font = `${style.fontSize} ${getComputedStyle(src).fontFamily}`;
  for (const node of Array.from(src.querySelectorAll<HTMLElement>(view === 'tokens' ? '.tok' : 'td, th'))) {
    for (const r of Array.from(node.getClientRects())) {
      const bg = getComputedStyle(node).backgroundColor;
      if (bg && bg !== 'rgba(0, 0, 0, 0)') {
        ctx.fillStyle = bg;
        ctx.fillRect(r.left - rect.left, r.top - rect.top, r.width, r.height);
      }
    }
    const r = node.getClientRects()[0];
    if (!r) continue;
    ctx.fillStyle = getComputedStyle(node).color;
    ctx.fillText((node.textContent ?? '').replace(/\n/g, ' '), r.left - rect.left, r.bottom - rect.top - 4);
  }
  return out;
}

const saved = vscode.getState() as { view?: string } | undefined;
if (saved?.view && VIEWS.includes(saved.view)) {
  view = saved.view;
  ($('tabs') as HTMLElement & { selectedIndex: number }).selectedIndex = VIEWS.indexOf(view);
}
send({ type: 'ready' });
