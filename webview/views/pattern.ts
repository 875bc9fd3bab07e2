// Pattern view: the selected head's attention over the analyzed tokens as a heatmap, with the
// value under the pointer.
import { $ } from '../dom';
import { drawMatrix, heat, orange, readout } from '../canvas';
import { fmt, tokenLabel } from '../format';
import { send } from '../messages';
import { state, type State } from '../state';

export function renderPatternTitle(s: Readonly<State>) {
  const p = s.pattern;
  $('pattern-title').textContent = p ? `Attention pattern of L${p.head.layer}H${p.head.head}${p.why ? ` (${p.why})` : ''}: rows are query positions, columns key positions (${p.pattern.shape[0]} tokens). Hover for values.` : 'Select a head in the Heads view.';
}

/** The title and the heatmap (kept until the next pattern arrives); the host hears how long
 *  drawing took. */
export function renderPattern(s: Readonly<State>) {
  renderPatternTitle(s);
  const p = s.pattern;
  if (!p) return;
  const t0 = performance.now();
  drawMatrix($<HTMLCanvasElement>('pattern'), p.pattern, heat(orange()));
  send({ type: 'perf', mark: `heatmapRedraw:${p.pattern.shape[0]}`, ms: performance.now() - t0 });
}

/** The readout under the heatmap follows the pointer. */
export function bindPattern() {
  $('pattern').addEventListener('mousemove', (e) => {
    const a = state.analysis;
    const p = state.pattern;
    if (!p || !a) return;
    readout($<HTMLCanvasElement>('pattern'), p.pattern, e, (q, k, v) => `query #${q} “${tokenLabel(a, q)}” → key #${k} “${tokenLabel(a, k)}”: ${fmt(v, 3)}`, $('pattern-readout'));
  });
}
