// Circuits view: three figures computed from the weights (the previous-token head's positional
// pattern, K-composition on a repeated sequence, the induction head's full OV circuit) and the
// copying and K-composition score tables. The host sends every number, colour-scale ends included.
import type { Matrix, PanelCircuits } from '../../src/protocol/panel';
import { visibleText } from '../../src/protocol/visibleText';
import { blue, diverging, drawMatrix, heat, orange, readout, red, type ColourScale } from '../canvas';
import { $, el } from '../dom';
import { fmt } from '../format';
import { t } from '../l10n';
import type { State } from '../state';

/** Side of a figure in CSS pixels. */
const FIGURE_SIZE = 260;
/** The OV figure's colour scale ends at 4 standard deviations of its row. */
const OV_SCALE_END = 4;

export function renderCircuits(s: Readonly<State>) {
  const box = $('circuits');
  const c = s.circuits;
  if (!c) {
    const why = s.circuitsReason ? `${s.circuitsReason[0].toUpperCase()}${s.circuitsReason.slice(1)}.` : null;
    box.replaceChildren(el('p', 'note', why ?? t('Open this tab to compute the circuits from the model weights.')));
    return;
  }
  const frag = document.createDocumentFragment();
  frag.appendChild(figures(c));
  frag.appendChild(el('h3', undefined, t('Copying (OV circuits of layer 1)')));
  frag.appendChild(copyingTable(c));
  frag.appendChild(el('h3', undefined, t('K-composition scores ‖W_OV W_QKᵀ‖ / (‖W_OV‖‖W_QK‖); random baseline {0}', fmt(c.kComposition.baseline))));
  frag.appendChild(kCompositionTable(c));
  box.replaceChildren(frag);
}

/** One figure: the matrix on a canvas, its caption, and a readout of the cell under the pointer. */
function figure(id: string, caption: string, m: Matrix, colour: ColourScale, readoutMatrix: Matrix, describe: (r: number, c: number, v: number) => string): HTMLElement {
  const f = el('div', 'figure');
  const cv = el('canvas');
  cv.id = id;
  cv.tabIndex = 0;
  cv.setAttribute('aria-label', caption);
  drawMatrix(cv, m, colour, FIGURE_SIZE);
  const out = el('div', 'readout');
  cv.addEventListener('mousemove', (e) => readout(cv, readoutMatrix, e, describe, out));
  f.append(cv, el('div', 'caption', caption), out);
  return f;
}

function figures(c: PanelCircuits): HTMLElement {
  const row = el('div', 'circuit-row');
  const prev = c.previousTokenQK;
  const prevCaption = t('Previous-token head {0}: positional QK pattern softmax(W_pos W_Q W_Kᵀ W_posᵀ/√d_head), first {1} positions. Mean mass on the sub-diagonal: {2}.', `L0H${prev.head.head}`, prev.pattern.shape[0], fmt(prev.subDiagonalMass));
  row.appendChild(figure('circuit-prev', prevCaption, prev.pattern, heat(orange()), prev.pattern, (q, k, v) => t('query {0}, key {1}: {2}', q, k, fmt(v))));
  const kc = c.kCompositionPattern;
  const [pos, neg] = [red(), blue()];
  const bos = kc.bos !== false;
  const repeated = Math.floor((kc.scores.shape[0] - (bos ? 1 : 0)) / 2);
  const [ind, prevHead] = [`L1H${kc.inductionHead.head}`, `L0H${kc.previousHead.head}`];
  const kcCaption = bos
    ? t('K-composition: x W_Q W_Kᵀ yᵀ for induction head {0} with keys from {1}\'s output, on BOS + {2} random tokens repeated. The stripe starts at the second copy.', ind, prevHead, repeated)
    : t('K-composition: x W_Q W_Kᵀ yᵀ for induction head {0} with keys from {1}\'s output, on {2} random tokens repeated (no BOS: the model has none). The stripe starts at the second copy.', ind, prevHead, repeated);
  row.appendChild(figure('circuit-kcomp', kcCaption, kc.scores, diverging(kc.maxAbs || 1, pos, neg), kc.scores, (q, k, v) => t('query {0}, key {1}: {2}', q, k, fmt(v, 2))));
  // Coloured by the standardised rows (which logit the attended token raises most); the readout
  // gives the raw value.
  const ov = c.ovCircuit;
  const n = ov.matrix.shape[0];
  const ovCaption = t('Full OV circuit W_E W_V W_O W_U of {0} on {1} random tokens (rows: attended token, columns: logit; rows standardised). The diagonal is the largest entry in {2} of {1} rows: the head copies.', `L1H${ov.head.head}`, n, ov.diagonalMaxRows);
  row.appendChild(figure('circuit-ov', ovCaption, ov.standardized, diverging(OV_SCALE_END, pos, neg), ov.matrix,
    (r, col, v) => t('“{0}” → logit of “{1}”: {2}', visibleText(ov.tokens[r]), visibleText(ov.tokens[col]), fmt(v, 2))));
  return row;
}

function copyingTable(c: PanelCircuits): HTMLTableElement {
  const table = el('table', 'grid');
  table.setAttribute('aria-label', t('copying scores'));
  const head = el('tr');
  [t('layer-1 head'), t('copying score Σλ/Σ|λ|'), t('top-1 diagonal accuracy')].forEach((x) => head.appendChild(el('th', undefined, x)));
  table.appendChild(head);
  for (const s of c.copying) {
    const tr = el('tr');
    tr.append(el('td', undefined, `L${s.layer}H${s.head}`), el('td', undefined, fmt(s.eigenCopyingScore)), el('td', undefined, fmt(s.top1Accuracy)));
    table.appendChild(tr);
  }
  return table;
}

/** Rows: layer-0 heads, columns: layer-1 heads; shaded by how far a score is above the baseline. */
function kCompositionTable(c: PanelCircuits): HTMLTableElement {
  const { scores, baseline } = c.kComposition;
  const table = el('table', 'grid');
  table.setAttribute('aria-label', t('K-composition scores'));
  const head = el('tr');
  head.appendChild(el('th', undefined, 'L0 ↓ / L1 →'));
  scores[0].forEach((_, h) => head.appendChild(el('th', undefined, `H${h}`)));
  table.appendChild(head);
  scores.forEach((r, p) => {
    const tr = el('tr');
    tr.appendChild(el('th', undefined, `H${p}`));
    for (const v of r) {
      const td = el('td', undefined, fmt(v));
      const rel = Math.max(0, Math.min(1, (v - baseline) / Math.max(1e-6, 1 - baseline)));
      td.style.background = `color-mix(in srgb, var(--vscode-charts-purple) ${Math.round(rel * 200)}%, transparent)`;
      tr.appendChild(td);
    }
    table.appendChild(tr);
  });
  return table;
}
