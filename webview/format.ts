// How numbers and tokens are written in the panel (display only: the values come from the host).
import { visibleText } from '../src/protocol/visibleText';
import type { PanelAnalysis } from '../src/protocol/panel';

/** `x` with `d` decimals, or — when it is not a number (NaN marks "unknown" in the protocol). */
export const fmt = (x: number, d = 3) => (Number.isFinite(x) ? x.toFixed(d) : '—');

/** A signed gain in nats: +1.23 / -0.40, or —. */
export const fmtGain = (x: number) => (Number.isFinite(x) ? `${x >= 0 ? '+' : ''}${x.toFixed(2)}` : '—');

export const plural = (n: number, one: string, many: string) => (n === 1 ? one : many);

/** The document text of token `i`, as written (the Tokens view shows it so). */
export const tokenSource = (a: PanelAnalysis, i: number) => a.text.slice(a.tokens.starts[i], a.tokens.ends[i]);

/** Token `i` with whitespace and invisible characters made visible, for labels. */
export const tokenLabel = (a: PanelAnalysis, i: number) => visibleText(tokenSource(a, i));

/** The host's label of vocabulary id `id` made visible (#id when the host sent none). */
export const vocabLabel = (a: PanelAnalysis, id: number) => visibleText(a.vocabText[id] ?? `#${id}`);
