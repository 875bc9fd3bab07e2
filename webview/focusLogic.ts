// Which token the Tokens view shows, as a pure function of the current focus and one input (the
// hover-lock pattern of CircuitsVis): hovering previews a token while nothing is locked, a click
// locks it (a second click on it unlocks), and the keys move or lock the focus. No DOM here, so
// the rules are unit-tested (test/unit/focusLogic.test.ts).
import type { PanelAnalysis, PanelEvent } from '../src/protocol/panel';
import { fmt, tokenLabel, vocabLabel } from './format';
import { t } from './l10n';

/** Token indices; -1 for none. */
export interface Focus {
  focused: number;
  locked: number;
}

export type FocusInput =
  /** The pointer entered token `index`. */
  | { type: 'hover'; index: number }
  /** Token `index` was clicked: lock it, or unlock it when it is the locked one. */
  | { type: 'click'; index: number }
  /** A row of the Events view chose token `index`: lock it (never unlocks). */
  | { type: 'lock'; index: number }
  /** A key (KeyboardEvent.key) pressed in the Tokens view, which shows `count` tokens. */
  | { type: 'key'; key: string; count: number }
  /** A new analysis with `count` tokens; `start` is the token to show when none is locked. */
  | { type: 'newText'; count: number; start: number };

export interface FocusStep extends Focus {
  /** Reveal token `focused` in the editor. */
  reveal: boolean;
  /** The focus moved by keyboard: scroll token `focused` into view. */
  scroll: boolean;
  /** The key is the Tokens view's own: prevent the browser's default (scrolling the list). */
  consumed: boolean;
}

/** Arrow keys → how far they move the focus (Up/Down by a rough line of tokens). */
const MOVES: Record<string, number> = { ArrowRight: 1, ArrowLeft: -1, ArrowDown: 10, ArrowUp: -10 };

export function nextFocus(cur: Focus, input: FocusInput): FocusStep {
  const step = (focused: number, locked: number, extra: Partial<FocusStep> = {}): FocusStep => ({ focused, locked, reveal: false, scroll: false, consumed: false, ...extra });
  const same = step(cur.focused, cur.locked);
  switch (input.type) {
    case 'hover':
      // Only a preview: a locked token stays shown until it is unlocked.
      return input.index >= 0 && cur.locked < 0 ? step(input.index, cur.locked) : same;
    case 'click': {
      if (input.index < 0) return same;
      const locked = cur.locked === input.index ? -1 : input.index;
      return step(input.index, locked, { reveal: locked >= 0 });
    }
    case 'lock':
      return input.index < 0 ? same : step(input.index, input.index, { reveal: true });
    case 'key': {
      const d = MOVES[input.key];
      if (d !== undefined) {
        const i = Math.min(input.count - 1, Math.max(0, (cur.focused < 0 ? 0 : cur.focused) + d));
        // A locked focus moves with the keys and stays locked.
        return step(i, cur.locked >= 0 ? i : cur.locked, { scroll: true, consumed: true });
      }
      if ((input.key === 'Home' || input.key === 'End') && input.count > 0) {
        const i = input.key === 'Home' ? 0 : input.count - 1;
        return step(i, cur.locked >= 0 ? i : cur.locked, { scroll: true, consumed: true });
      }
      if (input.key === 'Enter' || input.key === ' ') return step(cur.focused, cur.locked === cur.focused ? -1 : cur.focused, { consumed: true });
      if (input.key === 'r' || input.key === 'R') return { ...same, reveal: true };
      return same;
    }
    case 'newText': {
      // The lock survives a new analysis of the text if the token is still there.
      const locked = cur.locked >= input.count ? -1 : cur.locked;
      return step(locked >= 0 ? locked : input.start, locked);
    }
  }
}

/** The query of the strongest event that matters (in the host's order, strongest first), else of
 *  the strongest event, else token 0: where the Tokens view starts. */
export function strongestEventQuery(events: readonly PanelEvent[], order: Int32Array | null | undefined): number {
  const o = order ?? new Int32Array(0);
  for (const j of o) if (events[j]?.matters) return events[j].query;
  const strongest = o.length ? events[o[0]] : events[0];
  return strongest ? strongest.query : 0;
}

/** The accessible name of token `i` in the Tokens view: the token, its position, the model's top
 *  prediction there and the induction source, e.g. "token '·foo', position 12, next token '·bar'
 *  0.42, induction source '·baz' at token 7 (L1H5, attention 0.81)". */
export function tokenAriaLabel(a: PanelAnalysis, i: number): string {
  const tok = tokenLabel(a, i);
  const k = a.topK.k;
  const top = k > 0 ? a.topK.ids[i * k] : -1;
  const [next, p] = top >= 0 ? [vocabLabel(a, top), fmt(a.topK.probs[i * k], 2)] : ['', ''];
  const e = a.events.find((x) => x.query === i);
  if (!e) return top >= 0 ? t("token '{0}', position {1}, next token '{2}' {3}, no induction source", tok, i, next, p) : t("token '{0}', position {1}, no induction source", tok, i);
  const [src, head, att] = [tokenLabel(a, e.source), `L${e.head.layer}H${e.head.head}`, fmt(e.attention, 2)];
  if (top >= 0) {
    return e.hit
      ? t("token '{0}', position {1}, next token '{2}' {3}, induction source '{4}' at token {5} ({6}, attention {7}, hit)", tok, i, next, p, src, e.source, head, att)
      : t("token '{0}', position {1}, next token '{2}' {3}, induction source '{4}' at token {5} ({6}, attention {7})", tok, i, next, p, src, e.source, head, att);
  }
  return e.hit
    ? t("token '{0}', position {1}, induction source '{2}' at token {3} ({4}, attention {5}, hit)", tok, i, src, e.source, head, att)
    : t("token '{0}', position {1}, induction source '{2}' at token {3} ({4}, attention {5})", tok, i, src, e.source, head, att);
}
