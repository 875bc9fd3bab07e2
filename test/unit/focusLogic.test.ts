// The panel's hover/lock rules (webview/focusLogic.ts): hovering previews a token only while
// nothing is locked, a click locks it and a second click unlocks it, the arrow keys move the focus
// (and the lock) and stop at both ends, Enter and Space toggle the lock.
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { nextFocus, strongestEventQuery, tokenAriaLabel, type Focus, type FocusInput } from '../../webview/focusLogic';
import type { PanelAnalysis, PanelEvent } from '../../src/protocol/panel';

const FREE: Focus = { focused: 3, locked: -1 };
const LOCKED: Focus = { focused: 3, locked: 3 };
const key = (k: string, count = 10): FocusInput => ({ type: 'key', key: k, count });
/** The focus part of a step. */
const focus = (cur: Focus, input: FocusInput): Focus => {
  const { focused, locked } = nextFocus(cur, input);
  return { focused, locked };
};

test('hover previews a token while nothing is locked, without revealing it', () => {
  const step = nextFocus(FREE, { type: 'hover', index: 7 });
  assert.deepEqual(step, { focused: 7, locked: -1, reveal: false, scroll: false, consumed: false });
});

test('hover changes nothing while a token is locked', () => {
  assert.deepEqual(focus(LOCKED, { type: 'hover', index: 7 }), LOCKED);
  assert.equal(nextFocus(LOCKED, { type: 'hover', index: 7 }).reveal, false);
});

test('hover off the tokens (index -1) changes nothing', () => {
  assert.deepEqual(focus(FREE, { type: 'hover', index: -1 }), FREE);
});

test('a click locks the token and reveals it in the editor', () => {
  const step = nextFocus(FREE, { type: 'click', index: 5 });
  assert.deepEqual(step, { focused: 5, locked: 5, reveal: true, scroll: false, consumed: false });
});

test('a click on another token while locked moves the lock there', () => {
  const step = nextFocus(LOCKED, { type: 'click', index: 8 });
  assert.deepEqual(focus(LOCKED, { type: 'click', index: 8 }), { focused: 8, locked: 8 });
  assert.equal(step.reveal, true);
});

test('a click on the locked token unlocks it and keeps it shown, without revealing', () => {
  const step = nextFocus(LOCKED, { type: 'click', index: 3 });
  assert.deepEqual(step, { focused: 3, locked: -1, reveal: false, scroll: false, consumed: false });
});

test('a row of the Events view locks its token and never unlocks it', () => {
  assert.deepEqual(nextFocus(FREE, { type: 'lock', index: 6 }), { focused: 6, locked: 6, reveal: true, scroll: false, consumed: false });
  // The locked token chosen again stays locked (a click would unlock it).
  assert.deepEqual(nextFocus(LOCKED, { type: 'lock', index: 3 }), { focused: 3, locked: 3, reveal: true, scroll: false, consumed: false });
});

test('arrow keys move the focus by 1 (left/right) and 10 (up/down) and scroll it into view', () => {
  assert.deepEqual(focus(FREE, key('ArrowRight')), { focused: 4, locked: -1 });
  assert.deepEqual(focus(FREE, key('ArrowLeft')), { focused: 2, locked: -1 });
  assert.deepEqual(focus({ focused: 12, locked: -1 }, key('ArrowUp', 30)), { focused: 2, locked: -1 });
  assert.deepEqual(focus(FREE, key('ArrowDown', 30)), { focused: 13, locked: -1 });
  for (const k of ['ArrowRight', 'ArrowLeft', 'ArrowUp', 'ArrowDown']) {
    const step = nextFocus(FREE, key(k));
    assert.equal(step.scroll, true, k);
    assert.equal(step.consumed, true, k);
    assert.equal(step.reveal, false, k);
  }
});

test('arrow keys stop at the first and the last token', () => {
  assert.equal(nextFocus({ focused: 0, locked: -1 }, key('ArrowLeft')).focused, 0);
  assert.equal(nextFocus(FREE, key('ArrowUp')).focused, 0);
  assert.equal(nextFocus({ focused: 9, locked: -1 }, key('ArrowRight')).focused, 9);
  assert.equal(nextFocus({ focused: 5, locked: -1 }, key('ArrowDown')).focused, 9);
  // The ends hold while locked too.
  assert.deepEqual(focus({ focused: 9, locked: 9 }, key('ArrowDown')), { focused: 9, locked: 9 });
  assert.deepEqual(focus({ focused: 0, locked: 0 }, key('ArrowLeft')), { focused: 0, locked: 0 });
});

test('with no focus yet, arrows start from the first token', () => {
  assert.deepEqual(focus({ focused: -1, locked: -1 }, key('ArrowRight')), { focused: 1, locked: -1 });
  assert.deepEqual(focus({ focused: -1, locked: -1 }, key('ArrowLeft')), { focused: 0, locked: -1 });
});

test('arrow keys move the lock along when a token is locked', () => {
  assert.deepEqual(focus(LOCKED, key('ArrowRight')), { focused: 4, locked: 4 });
  assert.deepEqual(focus(LOCKED, key('ArrowUp')), { focused: 0, locked: 0 });
});

test('Enter and Space toggle the lock on the focused token', () => {
  for (const k of ['Enter', ' ']) {
    const on = nextFocus(FREE, key(k));
    assert.deepEqual(on, { focused: 3, locked: 3, reveal: false, scroll: false, consumed: true }, k);
    assert.deepEqual(focus(on, key(k)), FREE, k);
  }
});

test('R reveals the focused token without changing the focus; other keys do nothing', () => {
  for (const k of ['r', 'R']) assert.deepEqual(nextFocus(LOCKED, key(k)), { focused: 3, locked: 3, reveal: true, scroll: false, consumed: false }, k);
  for (const k of ['a', 'Tab', 'Escape', 'PageDown']) assert.deepEqual(nextFocus(FREE, key(k)), { focused: 3, locked: -1, reveal: false, scroll: false, consumed: false }, k);
});

test('a new text keeps the lock while the token exists, else shows the start token', () => {
  assert.deepEqual(focus(LOCKED, { type: 'newText', count: 10, start: 6 }), LOCKED);
  assert.deepEqual(focus(LOCKED, { type: 'newText', count: 3, start: 1 }), { focused: 1, locked: -1 });
  assert.deepEqual(focus(FREE, { type: 'newText', count: 10, start: 6 }), { focused: 6, locked: -1 });
});

test('the input state is never changed', () => {
  const cur = { focused: 3, locked: 3 };
  nextFocus(cur, key('ArrowRight'));
  nextFocus(cur, { type: 'click', index: 3 });
  assert.deepEqual(cur, { focused: 3, locked: 3 });
});

const event = (query: number, matters: boolean): PanelEvent => ({
  query, source: 0, successorId: 1, attention: 0.5, head: { layer: 1, head: 0 }, prob: 0.5, rank: 1, hit: true, gain: 1, matters,
});

test('the Tokens view starts at the strongest event that matters, else the strongest, else token 0', () => {
  const events = [event(4, false), event(6, true), event(9, true)];
  assert.equal(strongestEventQuery(events, Int32Array.from([0, 2, 1])), 9);
  assert.equal(strongestEventQuery([event(4, false), event(6, false)], Int32Array.from([1, 0])), 6);
  assert.equal(strongestEventQuery([event(4, false)], null), 4);
  assert.equal(strongestEventQuery([], Int32Array.from([])), 0);
});

test('Home and End go to the first and the last token (moving a lock along)', () => {
  for (const [k, i] of [['Home', 0], ['End', 9]] as const) {
    const step = nextFocus(FREE, key(k));
    assert.deepEqual(step, { focused: i, locked: -1, reveal: false, scroll: true, consumed: true }, k);
    assert.deepEqual(focus(LOCKED, key(k)), { focused: i, locked: i }, k);
  }
  assert.equal(nextFocus(FREE, key('End', 0)).consumed, false, 'no tokens: nothing to move to');
});

test("a token's accessible name reads the token, its position, the top prediction and the induction source", () => {
  // "A B C A": token 3 (" A") attends to token 1 (" B") through L1H5 and predicts " B".
  const text = 'x A B A';
  const a = {
    text,
    tokens: { ids: Int32Array.from([1, 2, 3, 2]), starts: Int32Array.from([0, 1, 3, 5]), ends: Int32Array.from([1, 3, 5, 7]) },
    topK: { k: 2, ids: Int32Array.from([2, 4, 3, -1, 2, 1, 3, 2]), probs: Float32Array.from([0.5, 0.2, 0.3, 0, 0.4, 0.1, 0.42, 0.3]) },
    vocabText: { 1: 'x', 2: ' A', 3: ' B', 4: ' C' },
    events: [{ query: 3, source: 2, successorId: 3, attention: 0.81, head: { layer: 1, head: 5 }, prob: 0.42, rank: 1, hit: false, gain: 1.2, matters: true }],
  } as unknown as PanelAnalysis;
  assert.equal(tokenAriaLabel(a, 3), "token '·A', position 3, next token '·B' 0.42, induction source '·B' at token 2 (L1H5, attention 0.81)");
  assert.equal(tokenAriaLabel(a, 0), "token 'x', position 0, next token '·A' 0.50, no induction source");
});
