// "Test the circuit" (Circuits tab): a path ablation on the analysed text, chosen here and run by
// the host. The K-composition test picks the strongest previous-token head as sender and the
// strongest induction head as receiver, path k; any sender, receiver, path, mode and norm can be
// chosen. The result gives the receiver's induction score and the text's loss before and after,
// and how many painted events disappear (which the editor can then paint alone).
import type { PanelPathResult } from '../../src/protocol/panel';
import type { PathSpec } from '../../src/protocol/pathSpec';
import { $, el } from '../dom';
import { fmt } from '../format';
import { t } from '../l10n';
import { send } from '../messages';
import type { State } from '../state';

const head = (h: { layer: number; head: number }) => `L${h.layer}H${h.head}`;

/** The words for the protocol's modes and norms, in the selects and in the result. */
const modeLabel = (m: PathSpec['mode']) => (m === 'mean' ? t('mean') : t('zero'));
const normLabel = (n: PathSpec['norm']) => (n === 'frozen' ? t('frozen') : t('recompute'));

/** A labelled <select> of `options` ([value, text]); keyboard-accessible as any native select. */
function select(id: string, label: string, options: [string, string][], value: string): HTMLElement {
  const box = el('label', 'path-field', `${label} `);
  const s = el('select');
  s.id = id;
  for (const [v, text] of options) {
    const o = el('option', undefined, text);
    o.value = v;
    s.appendChild(o);
  }
  s.value = value;
  box.appendChild(s);
  return box;
}

function chosen(): PathSpec {
  const v = (id: string) => $<HTMLSelectElement>(id).value;
  const h = (id: string) => {
    const [layer, hd] = v(id).split('.').map(Number);
    return { layer, head: hd };
  };
  return { sender: h('path-sender'), receiver: h('path-receiver'), path: v('path-path') as PathSpec['path'], mode: v('path-mode') as PathSpec['mode'], norm: v('path-norm') as PathSpec['norm'] };
}

export function renderPathTest(s: Readonly<State>) {
  const box = $('path-test');
  const a = s.analysis;
  if (!a || a.model.nLayers < 2) {
    box.replaceChildren();
    return;
  }
  const heads = Array.from({ length: a.model.nLayers * a.model.nHeads }, (_, i): [string, string] => {
    const h = { layer: Math.floor(i / a.model.nHeads), head: i % a.model.nHeads };
    return [`${h.layer}.${h.head}`, head(h)];
  });
  const k = a.kComposition;
  const frag = document.createDocumentFragment();
  frag.appendChild(el('h3', undefined, t('Test the circuit')));
  frag.appendChild(el('p', 'note', t('Path ablation: the receiver head\'s queries, keys or values are computed from the residual stream without the sender head\'s output; every other head sees it unchanged.')));
  const form = el('div', 'path-form');
  form.append(
    select('path-sender', t('Sender'), heads, k ? `${k.previousHead.layer}.${k.previousHead.head}` : '0.0'),
    select('path-receiver', t('Receiver'), heads, k ? `${k.inductionHead.layer}.${k.inductionHead.head}` : '1.0'),
    select('path-path', t('Path'), [['q', t('queries (q)')], ['k', t('keys (k)')], ['v', t('values (v)')]], 'k'),
    select('path-mode', t('Mode'), (['zero', 'mean'] as const).map((m): [string, string] => [m, modeLabel(m)]), 'zero'),
    select('path-norm', t('Norm'), (['recompute', 'frozen'] as const).map((n): [string, string] => [n, normLabel(n)]), 'recompute'),
  );
  frag.appendChild(form);
  const buttons = el('div', 'path-buttons');
  const kTest = el('vscode-button' as 'button', undefined, t('K-composition test'));
  kTest.id = 'path-kcomp';
  kTest.title = k ? t('Sender {0} (strongest previous-token head), receiver {1} (strongest induction head), path k', head(k.previousHead), head(k.inductionHead)) : '';
  kTest.addEventListener('click', () => k && send({ type: 'testPath', path: { sender: k.previousHead, receiver: k.inductionHead, path: 'k', mode: 'zero', norm: 'recompute' } }));
  const run = el('vscode-button' as 'button', undefined, t('Run the chosen path'));
  run.id = 'path-run';
  (run as unknown as { secondary: boolean }).secondary = true;
  run.addEventListener('click', () => {
    const p = chosen();
    if (p.receiver.layer <= p.sender.layer) return renderResult(null, t('The receiver must be in a later layer than the sender.'));
    send({ type: 'testPath', path: p });
  });
  buttons.append(kTest, run);
  frag.appendChild(buttons);
  const out = el('div', 'path-result');
  out.id = 'path-result';
  out.setAttribute('aria-live', 'polite');
  frag.appendChild(out);
  box.replaceChildren(frag);
  renderResult(s.pathResult, s.pathError);
}

/** The last test's numbers (or why it failed). */
export function renderResult(r: PanelPathResult | null, error: string | null) {
  const out = document.getElementById('path-result');
  if (!out) return;
  if (error) return out.replaceChildren(el('p', 'error', error));
  if (!r) return out.replaceChildren();
  const p = r.path;
  const loss = r.meanLoss.after - r.meanLoss.before;
  const lines = [
    t('{0} → {1}, path {2} ({3}, {4} norm):', head(p.sender), head(p.receiver), p.path, modeLabel(p.mode), normLabel(p.norm)),
    t('receiver\'s induction score {0} → {1}', fmt(r.receiverInductionScore.before, 2), fmt(r.receiverInductionScore.after, 2)),
    t('mean loss on the text {0} → {1} nats ({2})', fmt(r.meanLoss.before, 2), fmt(r.meanLoss.after, 2), `${loss >= 0 ? '+' : ''}${fmt(loss, 2)}`),
    t('{0} of the {1} painted events disappear', r.disappeared, r.events),
  ];
  const frag = document.createDocumentFragment();
  const list = el('ul', 'path-lines');
  for (const l of lines) list.appendChild(el('li', undefined, l));
  frag.appendChild(list);
  if (r.disappeared > 0) {
    const paint = el('vscode-button' as 'button', undefined, t('Paint them on the editor'));
    paint.id = 'path-paint';
    paint.title = t('The editor shows only these events until the filter is toggled or the text is analysed again');
    paint.addEventListener('click', () => send({ type: 'paintDisappeared' }));
    frag.appendChild(paint);
  }
  out.replaceChildren(frag);
}
