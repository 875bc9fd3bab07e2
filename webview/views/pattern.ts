// Pattern view: the selected head's attention over the analyzed tokens as a heatmap, with the
// value under the pointer.
import { $ } from '../dom';
import { drawMatrix, heat, orange, readout } from '../canvas';
import { fmt, tokenLabel } from '../format';
import { t } from '../l10n';
import { send } from '../messages';
import { state, type State } from '../state';

export function renderPatternTitle(s: Readonly<State>) {
  const p = s.pattern;
  const title = $('pattern-title');
  if (!p) {
    title.textContent = t('Select a head in the Heads view.');
    return;
  }
  const head = `L${p.head.layer}H${p.head.head}`;
  title.textContent = p.why
    ? t('Attention pattern of {0} ({1}): rows are query positions, columns key positions ({2} tokens). Hover for values.', head, p.why, p.pattern.shape[0])
    : t('Attention pattern of {0}: rows are query positions, columns key positions ({1} tokens). Hover for values.', head, p.pattern.shape[0]);
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
    readout($<HTMLCanvasElement>('pattern'), p.pattern, e, (q, k, v) => t('query #{0} “{1}” → key #{2} “{3}”: {4}', q, tokenLabel(a, q), k, tokenLabel(a, k), fmt(v, 3)), $('pattern-readout'));
  });
}
