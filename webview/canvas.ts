// Matrices drawn on canvases: theme colours, colour scales and the hover readout. Display only:
// the values (and the end of each scale) come from the host.
import type { Matrix } from '../src/protocol/panel';

export type Rgb = [number, number, number];
export type Rgba = [number, number, number, number];
export type ColourScale = (v: number) => Rgba;

/** Draws a matrix into a canvas at one pixel per cell (scaled up by CSS for small matrices). */
export function drawMatrix(canvas: HTMLCanvasElement, m: Matrix, colour: ColourScale, cssSize?: number) {
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

/** The RGB of a theme colour variable: canvases cannot use var(), so a probe element resolves it. */
export function themeRgb(varName: string, fallback: Rgb): Rgb {
  const probe = document.createElement('div');
  probe.style.color = `var(${varName})`;
  document.body.appendChild(probe);
  const c = getComputedStyle(probe).color;
  probe.remove();
  const m = /rgba?\((\d+),\s*(\d+),\s*(\d+)/.exec(c);
  return m ? [Number(m[1]), Number(m[2]), Number(m[3])] : fallback;
}

export const orange = () => themeRgb('--vscode-charts-orange', [230, 120, 30]);
export const blue = () => themeRgb('--vscode-charts-blue', [50, 120, 220]);
export const red = () => themeRgb('--vscode-charts-red', [220, 60, 60]);

/** 0..1 as the opacity of `base` (values outside are clamped, non-numbers transparent). */
export function heat(base: Rgb): ColourScale {
  return (v: number): Rgba => {
    const a = Number.isFinite(v) ? Math.round(Math.min(1, Math.max(0, v)) * 255) : 0;
    return [base[0], base[1], base[2], a];
  };
}

/** Signed values: `pos` above zero, `neg` below, opaque at |v| >= `end`; non-numbers transparent. */
export function diverging(end: number, pos: Rgb, neg: Rgb): ColourScale {
  return (v: number): Rgba => {
    if (!Number.isFinite(v)) return [0, 0, 0, 0];
    const t = Math.min(1, Math.abs(v) / end);
    const base = v >= 0 ? pos : neg;
    return [base[0], base[1], base[2], Math.round(t * 255)];
  };
}

/** Writes into `out` what `describe` says of the cell under the pointer. */
export function readout(canvas: HTMLCanvasElement, m: Matrix, e: MouseEvent, describe: (r: number, c: number, v: number) => string, out: HTMLElement) {
  const rect = canvas.getBoundingClientRect();
  const c = Math.floor(((e.clientX - rect.left) / rect.width) * m.shape[1]);
  const r = Math.floor(((e.clientY - rect.top) / rect.height) * m.shape[0]);
  if (r < 0 || c < 0 || r >= m.shape[0] || c >= m.shape[1]) return;
  out.textContent = describe(r, c, m.data[r * m.shape[1] + c]);
}
