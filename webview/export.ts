// Export PNG: the current view as one canvas, for the host to save.
import { $, el } from './dom';
import type { State } from './state';

/** The circuit figures, side by side in the exported image. */
const FIGURES = ['circuit-prev', 'circuit-kcomp', 'circuit-ov'];
const FIGURE_SIZE = 260;

/** A canvas with the current view: the heatmap, the three circuit figures side by side, or a
 *  rendering of the token, events or heads view; null when the view has nothing to show yet. */
export function exportCanvas(s: Readonly<State>): HTMLCanvasElement | null {
  if (s.view === 'pattern') return s.pattern ? $<HTMLCanvasElement>('pattern') : null;
  if (s.view === 'circuits') {
    const figs = FIGURES.map((id) => document.getElementById(id) as HTMLCanvasElement | null).filter((x): x is HTMLCanvasElement => !!x);
    if (!figs.length) return null;
    const size = FIGURE_SIZE;
    const out = el('canvas');
    out.width = figs.length * (size + 20);
    out.height = size;
    const ctx = out.getContext('2d')!;
    ctx.imageSmoothingEnabled = false;
    figs.forEach((f, i) => ctx.drawImage(f, i * (size + 20), 0, size, size));
    return out;
  }
  if (!s.analysis) return null;
  const src = s.view === 'tokens' ? $('tokens') : s.view === 'events' ? $('events') : $('heads');
  return renderText(src, s.view === 'tokens' ? '.tok' : 'td, th');
}

/** Paints the backgrounds and text of the `selector` elements of `src` onto a canvas (at most
 *  4000 px tall), in the theme's colours as computed on screen. */
function renderText(src: HTMLElement, selector: string): HTMLCanvasElement {
  const rect = src.getBoundingClientRect();
  const out = el('canvas');
  out.width = Math.ceil(rect.width);
  out.height = Math.ceil(Math.min(rect.height, 4000));
  const ctx = out.getContext('2d')!;
  const style = getComputedStyle(document.body);
  ctx.fillStyle = style.backgroundColor;
  ctx.fillRect(0, 0, out.width, out.height);
  ctx.font = `${style.fontSize} ${getComputedStyle(src).fontFamily}`;
  for (const node of Array.from(src.querySelectorAll<HTMLElement>(selector))) {
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
