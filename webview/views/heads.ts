// Heads view: the probe scores of every head (clicking one selects it for the Tokens and Pattern
// views), the ablation switches, and the effect of the ablation as the host measured it.
import type { PanelAnalysis } from '../../src/protocol/panel';
import { $, el } from '../dom';
import { fmt } from '../format';
import { t } from '../l10n';
import { send } from '../messages';
import { state, type State } from '../state';

type HeadScore = PanelAnalysis['heads'][number];

/** The score tables: name, the table's accessible name, the cell's text, and the score that
 *  colours it (a function: the translations load after this module). */
const metrics = (): [string, string, (s: HeadScore) => string, (s: HeadScore) => number][] => [
  [t('induction'), t('induction scores'), (s) => `${fmt(s.induction, 2)} (${fmt(s.textInduction, 2)})`, (s) => s.induction],
  [t('previous-token'), t('previous-token scores'), (s) => `${fmt(s.previousToken, 2)} (${fmt(s.textPreviousToken, 2)})`, (s) => s.previousToken],
  [t('duplicate-token'), t('duplicate-token scores'), (s) => fmt(s.duplicateToken, 2), (s) => s.duplicateToken],
];

export function renderHeads(s: Readonly<State>) {
  const a = s.analysis;
  if (!a) return;
  const frag = document.createDocumentFragment();
  frag.appendChild(el('p', 'legend', t('Scores from the repeated-random-token probe (L = 50) and, in brackets, on the analyzed text. ★ = induction head. Click a score to select the head; untick a head to ablate it (the analysis re-runs).')));
  const sel = s.pattern?.head;
  const isInd = (l: number, h: number) => a.inductionHeads.some((x) => x.layer === l && x.head === h);
  for (const [name, ariaLabel, value, raw] of metrics()) {
    frag.appendChild(headTable(a, name, ariaLabel, (l, h) => {
      const score = a.heads.find((x) => x.layer === l && x.head === h)!;
      const td = el('td', 'head-cell', `${isInd(l, h) ? '★ ' : ''}${value(score)}`);
      td.classList.toggle('ind', isInd(l, h));
      td.classList.toggle('selected', !!sel && sel.layer === l && sel.head === h);
      td.style.background = `color-mix(in srgb, var(--vscode-charts-purple) ${Math.round(Math.min(1, Math.max(0, raw(score))) * 70)}%, transparent)`;
      td.tabIndex = 0;
      td.dataset.layer = String(l);
      td.dataset.head = String(h);
      td.title = t('{0}: select for the Tokens and Pattern views', `L${l}H${h}`);
      return td;
    }));
  }
  // Ablation toggles.
  const abl = headTable(a, t('on'), t('head ablation'), (l, h) => {
    const td = el('td');
    const lab = el('label', 'abl');
    const cb = el('input');
    cb.type = 'checkbox';
    cb.checked = a.mask[l * a.model.nHeads + h] !== 0;
    cb.dataset.index = String(l * a.model.nHeads + h);
    cb.className = 'ablate';
    cb.setAttribute('aria-label', t('{0} on', `L${l}H${h}`));
    lab.append(cb);
    td.appendChild(lab);
    return td;
  });
  frag.appendChild(el('div', 'legend', t('Heads switched on (untick to ablate through head_mask):')));
  frag.appendChild(abl);
  const ablateInd = el('vscode-button' as 'button', undefined, t('Ablate the induction heads'));
  ablateInd.id = 'ablate-induction';
  ablateInd.setAttribute('secondary', '');
  const restore = el('vscode-button' as 'button', undefined, t('All heads on'));
  restore.id = 'ablate-none';
  restore.setAttribute('secondary', '');
  const row = el('div', 'actions');
  row.append(ablateInd, restore);
  frag.appendChild(row);
  const fx = a.ablationEffect;
  if (fx) {
    frag.appendChild(el('p', fx.lossAfter > fx.lossBefore ? 'delta-up' : 'delta-down', t('Ablation effect: mean loss {0} → {1} nats; mean p(induction successor) {2} → {3}.', fmt(fx.lossBefore), fmt(fx.lossAfter), fmt(fx.probBefore), fmt(fx.probAfter))));
  }
  $('heads').replaceChildren(frag);
}

/** A layer x head table with a corner label; `cell` builds each cell. */
function headTable(a: PanelAnalysis, corner: string, ariaLabel: string, cell: (layer: number, head: number) => HTMLTableCellElement): HTMLTableElement {
  const table = el('table', 'grid');
  table.setAttribute('aria-label', ariaLabel);
  const header = el('tr');
  header.appendChild(el('th', undefined, corner));
  for (let h = 0; h < a.model.nHeads; h++) header.appendChild(el('th', undefined, `H${h}`));
  table.appendChild(header);
  for (let l = 0; l < a.model.nLayers; l++) {
    const tr = el('tr');
    tr.appendChild(el('th', undefined, `L${l}`));
    for (let h = 0; h < a.model.nHeads; h++) tr.appendChild(cell(l, h));
    table.appendChild(tr);
  }
  return table;
}

/** The host sends the new pattern (and the state follows it). */
const selectHead = (cell: HTMLElement) => send({ type: 'selectHead', head: { layer: Number(cell.dataset.layer), head: Number(cell.dataset.head) } });

/** A mask with every head on (1). */
const allOn = (a: PanelAnalysis): number[] => new Array<number>(a.model.nLayers * a.model.nHeads).fill(1);

/** Clicks and keys on the score cells, the ablation switches and buttons. */
export function bindHeads() {
  const box = $('heads');
  box.addEventListener('click', (e) => {
    const target = e.target as HTMLElement;
    const a = state.analysis;
    if (!a) return;
    if (target.dataset.layer !== undefined) selectHead(target);
    else if (target.id === 'ablate-induction') {
      const mask = allOn(a);
      for (const h of a.inductionHeads) mask[h.layer * a.model.nHeads + h.head] = 0;
      send({ type: 'setMask', mask });
    } else if (target.id === 'ablate-none') send({ type: 'setMask', mask: allOn(a) });
  });
  box.addEventListener('keydown', (e) => {
    const target = e.target as HTMLElement;
    if ((e.key === 'Enter' || e.key === ' ') && target.dataset.layer !== undefined) {
      e.preventDefault();
      selectHead(target);
    }
  });
  box.addEventListener('change', (e) => {
    const target = e.target as HTMLInputElement;
    if (!target.classList.contains('ablate') || !state.analysis) return;
    const boxes = Array.from(document.querySelectorAll<HTMLInputElement>('input.ablate'));
    send({ type: 'setMask', mask: boxes.map((b) => (b.checked ? 1 : 0)) });
  });
}
