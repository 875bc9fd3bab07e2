// The circuits as the panel shows them, from computeCircuits's report: the figures' matrices with
// what the webview draws computed here (colour scale, standardised rows, the diagonal count).
import type { CircuitsReport } from './circuits';
import type { Matrix, PanelCircuits } from '../protocol/panel';

/** Positions of the positional QK pattern shown: its structure is visible in the first 64. */
export const POSITIONAL_PATTERN_SHOWN = 64;

/** The largest |v| over the finite values (0 when there is none). */
export function maxAbsFinite(data: ArrayLike<number>): number {
  let max = 0;
  for (let i = 0; i < data.length; i++) if (Number.isFinite(data[i])) max = Math.max(max, Math.abs(data[i]));
  return max;
}

/** Each row minus its mean over its (population) standard deviation; a row with deviation 0 is
 *  divided by 1. */
export function standardizeRows(m: Matrix): Matrix {
  const [rows, cols] = m.shape;
  const z = new Float32Array(rows * cols);
  for (let r = 0; r < rows; r++) {
    let mean = 0, sq = 0;
    for (let j = 0; j < cols; j++) mean += m.data[r * cols + j];
    mean /= cols;
    for (let j = 0; j < cols; j++) sq += (m.data[r * cols + j] - mean) ** 2;
    const sd = Math.sqrt(sq / cols) || 1;
    for (let j = 0; j < cols; j++) z[r * cols + j] = (m.data[r * cols + j] - mean) / sd;
  }
  return { shape: [rows, cols], data: z };
}

/** Rows whose largest entry (the first one on ties) is on the diagonal. */
export function diagonalMaxRows(m: Matrix): number {
  const [rows, cols] = m.shape;
  let n = 0;
  for (let r = 0; r < rows; r++) {
    let arg = 0;
    for (let j = 1; j < cols; j++) if (m.data[r * cols + j] > m.data[r * cols + arg]) arg = j;
    if (cols > 0 && arg === r) n++;
  }
  return n;
}

/** The panel's circuits from a report; `tokenText` labels the OV circuit's tokens. */
export function panelCircuits(c: CircuitsReport, tokenText: (id: number) => string): PanelCircuits {
  const n = Math.min(POSITIONAL_PATTERN_SHOWN, c.previousTokenQK.n);
  const pos = new Float32Array(n * n);
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) pos[i * n + j] = c.previousTokenQK.pattern[i * c.previousTokenQK.n + j];
  const T = c.kCompositionPattern.seq;
  const V = c.ovCircuit.tokenIds.length;
  const ov: Matrix = { shape: [V, V], data: c.ovCircuit.matrix };
  return {
    previousTokenQK: { head: c.previousTokenQK.head, subDiagonalMass: c.previousTokenQK.subDiagonalMass, pattern: { shape: [n, n], data: pos } },
    kCompositionPattern: {
      previousHead: c.kCompositionPattern.previousHead, inductionHead: c.kCompositionPattern.inductionHead,
      scores: { shape: [T, T], data: c.kCompositionPattern.scores }, maxAbs: maxAbsFinite(c.kCompositionPattern.scores),
      bos: c.kCompositionPattern.bos !== null,
    },
    ovCircuit: { head: c.ovCircuit.head, tokens: c.ovCircuit.tokenIds.map((id) => tokenText(id)), matrix: ov, standardized: standardizeRows(ov), diagonalMaxRows: diagonalMaxRows(ov) },
    copying: c.copying,
    kComposition: c.kComposition,
  };
}
