// Tokens view: the analyzed text as tokens, coloured by the selected head's attention from the
// focused token, with the focused token's details in the aside (#focus). Hover previews a token,
// a click locks it; the keyboard reaches every token (a listbox with a roving tabindex: arrows,
// Home/End move, Enter or Space locks); the rules are in focusLogic.ts.
import type { PanelEvent } from '../../src/protocol/panel';
import { $, el, slot, withSlots } from '../dom';
import { nextFocus, tokenAriaLabel, type FocusInput } from '../focusLogic';
import { fmt, fmtGain, tokenLabel, tokenSource, vocabLabel } from '../format';
import { t } from '../l10n';
import { send } from '../messages';
import { state, update, type State } from '../state';

/** The token spans of the current analysis, by index. */
let tokenEls: HTMLSpanElement[] = [];

/** One span per token, with the document text as written. */
export function renderTokens(s: Readonly<State>) {
  const a = s.analysis!;
  const frag = document.createDocumentFragment();
  tokenEls = [];
  for (let i = 0; i < a.tokens.ids.length; i++) {
    const span = el('span', 'tok', tokenSource(a, i));
    span.dataset.i = String(i);
    // A roving tabindex: only the focused token is in the tab order (paintFocus moves it).
    span.setAttribute('role', 'option');
    span.setAttribute('aria-selected', 'false');
    span.setAttribute('aria-label', tokenAriaLabel(a, i));
    span.tabIndex = i === 0 ? 0 : -1;
    frag.appendChild(span);
    tokenEls.push(span);
  }
  $('tokens').replaceChildren(frag);
}

/** The analysis was cleared: no tokens, no details. */
export function clearTokens() {
  tokenEls = [];
  $('tokens').textContent = '';
  $('focus').textContent = '';
}

/** Colours every token by the selected head's attention from the focused token, marks the
 *  focused (or locked) token and its induction source and successor, and fills the aside. */
export function paintFocus(s: Readonly<State>) {
  const { analysis: a, pattern, focused, locked } = s;
  if (!a || focused < 0 || !tokenEls.length) return;
  const N = a.tokens.ids.length;
  for (const t of tokenEls) {
    t.classList.remove('focused', 'locked', 'source', 'successor');
    if (t.tabIndex === 0) t.tabIndex = -1;
    if (t.getAttribute('aria-selected') === 'true') t.setAttribute('aria-selected', 'false');
    t.style.background = '';
  }
  const row = pattern && pattern.pattern.shape[0] === N ? pattern.pattern.data.subarray(focused * N, (focused + 1) * N) : null;
  if (row) {
    for (let k = 0; k <= focused; k++) {
      const v = row[k];
      // Weak attention stays uncoloured, so that the tokens that matter stand out.
      if (v > 0.02) tokenEls[k].style.background = `color-mix(in srgb, var(--vscode-charts-orange) ${Math.round(Math.min(1, v) * 85)}%, transparent)`;
    }
  }
  const e = a.events.find((x) => x.query === focused);
  tokenEls[focused].classList.add(locked === focused ? 'locked' : 'focused');
  tokenEls[focused].setAttribute('aria-selected', 'true');
  tokenEls[focused].tabIndex = 0;
  if (e) {
    tokenEls[e.source].classList.add('source');
    if (focused + 1 < N) tokenEls[focused + 1].classList.toggle('successor', e.hit);
  }
  renderFocusInfo(s);
}

/** The aside: the focused token, its induction event, its predictions and its loss. */
function renderFocusInfo(s: Readonly<State>) {
  const a = s.analysis!;
  const i = s.focused;
  const k = a.topK.k;
  const frag = document.createDocumentFragment();
  const h = el('h3');
  h.append(...withSlots(t('Token {0} #{1} · id {2}', slot(0), i, a.tokens.ids[i]), el('code', undefined, tokenLabel(a, i))));
  frag.appendChild(h);
  frag.appendChild(el('div', 'kv', s.locked === i ? t('Locked (click again or Enter to unlock)') : t('Preview (click to lock)')));
  frag.appendChild(el('div', 'kv', t('Colour: attention of {0} from this token', `L${s.pattern?.head.layer ?? '?'}H${s.pattern?.head.head ?? '?'}`)));
  const e = a.events.find((x) => x.query === i);
  if (e) {
    const p = el('p');
    p.append(...withSlots(inductionText(e), el('code', undefined, vocabLabel(a, e.successorId))));
    frag.appendChild(p);
    if (a.baseline) {
      const before = a.baseline.eventProb[a.events.indexOf(e)];
      frag.appendChild(el('div', e.prob < before ? 'delta-up' : 'delta-down', t('With ablation: p(successor) {0} → {1}', fmt(before), fmt(e.prob))));
    }
  } else frag.appendChild(el('p', 'kv', t('No earlier occurrence of this token: no induction event.')));
  frag.appendChild(el('div', 'kv', t('Next-token predictions')));
  for (let j = 0; j < k; j++) {
    const id = a.topK.ids[i * k + j];
    if (id < 0) break; // fewer than k predictions
    const prob = a.topK.probs[i * k + j];
    const row = el('div', 'pred');
    const label = el('div');
    label.append(el('code', undefined, vocabLabel(a, id)), ` ${fmt(prob, 3)}`);
    const bar = el('div', 'bar');
    bar.style.width = `${Math.max(2, prob * 48)}px`;
    row.append(label, bar);
    frag.appendChild(row);
  }
  const [loss, gain] = [fmt(a.loss[i], 3), fmt(a.ablationGain[i], 3)];
  frag.appendChild(el('p', 'kv', a.baseline
    ? t('Loss {0} nats · ablation gain {1} · unablated loss {2}', loss, gain, fmt(a.baseline.loss[i], 3))
    : t('Loss {0} nats · ablation gain {1}', loss, gain)));
  $('focus').replaceChildren(frag);
}

/** The focused token's induction event, with slot(0) where its successor goes; one message per
 *  variant (hit or not, gain known or not). */
function inductionText(e: PanelEvent): string {
  const args = [`L${e.head.layer}H${e.head.head}`, slot(0), e.source, fmt(e.attention, 2), fmt(e.prob, 3), e.rank] as const;
  if (Number.isFinite(e.gain)) {
    return e.hit
      ? t('Induction: {0} attends to {1} (#{2}) with {3}; p = {4}, rank {5}, hit; gain {6} nats', ...args, fmtGain(e.gain))
      : t('Induction: {0} attends to {1} (#{2}) with {3}; p = {4}, rank {5}; gain {6} nats', ...args, fmtGain(e.gain));
  }
  return e.hit ? t('Induction: {0} attends to {1} (#{2}) with {3}; p = {4}, rank {5}, hit', ...args) : t('Induction: {0} attends to {1} (#{2}) with {3}; p = {4}, rank {5}', ...args);
}

/** Applies a focus input (also from the Events view): the new focus goes into the state, and the
 *  token is revealed in the editor when the input asks for it. */
export function applyFocusInput(input: FocusInput) {
  const step = nextFocus(state, input);
  update({ focused: step.focused, locked: step.locked });
  if (step.reveal) send({ type: 'revealToken', index: step.focused });
  return step;
}

const indexOf = (t: EventTarget | null): number => {
  const span = t as HTMLElement | null;
  return span?.dataset?.i !== undefined ? Number(span.dataset.i) : -1;
};

/** Hover, click and keys on the token list. */
export function bindTokens() {
  const box = $('tokens');
  box.addEventListener('mouseover', (e) => {
    const i = indexOf(e.target);
    if (i >= 0) applyFocusInput({ type: 'hover', index: i });
  });
  box.addEventListener('click', (e) => {
    const i = indexOf(e.target);
    if (i >= 0) applyFocusInput({ type: 'click', index: i });
  });
  box.addEventListener('keydown', (e) => {
    if (!state.analysis) return;
    const step = applyFocusInput({ type: 'key', key: e.key, count: state.analysis.tokens.ids.length });
    if (step.consumed) e.preventDefault(); // arrows and Space would scroll the list
    if (step.scroll) {
      // The keyboard focus follows (roving tabindex), so screen readers read the token's name.
      tokenEls[step.focused]?.focus({ preventScroll: true });
      tokenEls[step.focused]?.scrollIntoView({ block: 'nearest' });
    }
  });
}
