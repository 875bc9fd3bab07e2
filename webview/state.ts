// The panel's one state object. Views read it and never change it; handlers change it with
// `update`, which tells the subscribers (main.ts) which fields changed so that they redraw only
// what depends on them.
import type { PanelAnalysis, PanelCircuits, PanelPathResult, PanelPattern } from '../src/protocol/panel';

/** Tab index → view name, in the order of the tab headers in index.html. */
export const VIEWS = ['tokens', 'events', 'heads', 'pattern', 'circuits'];

export interface State {
  /** The analysis on screen; null before the first one and after the host cleared it. */
  analysis: PanelAnalysis | null;
  /** The selected head's attention pattern; null until the host sends it for this analysis. */
  pattern: PanelPattern | null;
  /** The weight-based circuits; null until computed, or when `circuitsReason` says why not. */
  circuits: PanelCircuits | null;
  circuitsReason: string | null;
  /** The token shown in the Tokens view (-1: none) and the token locked by a click (-1: none). */
  focused: number;
  locked: number;
  /** The open tab (one of VIEWS). */
  view: string;
  /** Events view: whether rows that do not matter are listed too (null until the first
   *  analysis), and for which file that choice was made. */
  eventsShowAll: boolean | null;
  eventsShowAllFile: string | null;
  /** The last "Test the circuit" result for this analysis, or why it failed. */
  pathResult: PanelPathResult | null;
  pathError: string | null;
}

export type StateKey = keyof State;
export type Subscriber = (s: Readonly<State>, changed: ReadonlySet<StateKey>) => void;

const current: State = {
  analysis: null,
  pattern: null,
  circuits: null,
  circuitsReason: null,
  focused: -1,
  locked: -1,
  view: 'tokens',
  eventsShowAll: null,
  eventsShowAllFile: null,
  pathResult: null,
  pathError: null,
};
const subscribers: Subscriber[] = [];

/** The current state (read-only: change it with `update`). */
export const state: Readonly<State> = current;

/** Merges `patch` into the state and, if any field changed, calls every subscriber once with the
 *  fields that changed. */
export function update(patch: Partial<State>): void {
  const changed = new Set<StateKey>();
  for (const key of Object.keys(patch) as StateKey[]) {
    if (!Object.is(current[key], patch[key])) changed.add(key);
  }
  if (!changed.size) return;
  Object.assign(current, patch);
  for (const s of subscribers) s(current, changed);
}

/** Calls `s` after every update that changed something; returns a function that stops it. */
export function subscribe(s: Subscriber): () => void {
  subscribers.push(s);
  return () => {
    const i = subscribers.indexOf(s);
    if (i >= 0) subscribers.splice(i, 1);
  };
}
