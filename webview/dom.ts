// DOM helpers shared by the views. Text goes in through textContent only: document text must
// never become HTML.

/** The element with this id (every id the views use is in index.html or made by a view). */
export const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;

/** A new element with an optional class and text. */
export const el = <K extends keyof HTMLElementTagNameMap>(tag: K, cls?: string, text?: string): HTMLElementTagNameMap[K] => {
  const e = document.createElement(tag);
  if (cls) e.className = cls;
  if (text !== undefined) e.textContent = text;
  return e;
};

/** The status line in the header; `error` shows it in the theme's error colour. */
export function showStatus(text: string, error = false) {
  const s = $('status');
  s.textContent = text;
  s.classList.toggle('error', error);
}

/** A stand-in for element `k` of a message, passed to t() as a placeholder's argument:
 *  `withSlots(t('Token {0} #{1}', slot(0), i), code)`. */
export const slot = (k: number) => `\uE000${k}\uE001`;

/** The pieces of a translated message with each slot(k) replaced by `nodes[k]`, for append(). */
export function withSlots(text: string, ...nodes: Node[]): (string | Node)[] {
  return text
    .split(/\uE000(\d+)\uE001/)
    .map((p, i) => (i % 2 ? nodes[Number(p)] : p))
    .filter((p): p is string | Node => p !== '' && p !== undefined);
}
