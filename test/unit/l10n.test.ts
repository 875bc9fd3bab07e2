// Localization: every string package.json contributes comes from package.nls.json, every runtime
// string of the host and the panel is in l10n/bundle.l10n.json (scripts/build/l10n.mjs), and a
// translation bundle replaces the panel's English with placeholders filled in.
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { fillIn } from '../../src/protocol/l10n';
import { labelMarkdown } from '../../src/extension/tokenLabels';
import { setBundle, t } from '../../webview/l10n';
import { ROOT } from '../support/fixtures';

const readJson = (f: string) => JSON.parse(fs.readFileSync(path.join(ROOT, f), 'utf8')) as Record<string, unknown>;
/** Fields of package.json whose strings a user reads. */
const SHOWN = new Set(['displayName', 'description', 'markdownDescription', 'title', 'category', 'enumDescriptions', 'markdownEnumDescriptions', 'label']);

/** [json path, string] of every shown string in `v`. */
function shownStrings(v: unknown, at: string, shown: boolean): [string, string][] {
  if (typeof v === 'string') return shown ? [[at, v]] : [];
  if (Array.isArray(v)) return v.flatMap((x, i) => shownStrings(x, `${at}[${i}]`, shown));
  if (v && typeof v === 'object') return Object.entries(v).flatMap(([k, x]) => shownStrings(x, `${at}.${k}`, SHOWN.has(k)));
  return [];
}

test('package.json: every contributed string a user reads is a %key% of package.nls.json, and every key is used', () => {
  const pkg = readJson('package.json');
  const nls = readJson('package.nls.json');
  const strings = shownStrings({ displayName: pkg.displayName, description: pkg.description, capabilities: pkg.capabilities, contributes: pkg.contributes }, 'package', true);
  assert.ok(strings.length > 40, `only ${strings.length} strings found`);
  const used = new Set<string>();
  for (const [at, s] of strings) {
    const m = /^%([\w.-]+)%$/.exec(s);
    assert.ok(m, `${at}: "${s.slice(0, 40)}" is not localizable (use a %key% of package.nls.json)`);
    assert.equal(typeof nls[m[1]], 'string', `${at}: ${s} is not in package.nls.json`);
    assert.ok((nls[m[1]] as string).trim().length > 0, `${at}: empty text`);
    used.add(m[1]);
  }
  assert.deepEqual(Object.keys(nls).filter((k) => !used.has(k)), [], 'package.nls.json keys nothing uses');
  assert.equal(pkg.l10n, './l10n', 'package.json names the runtime bundle folder');
});

test('l10n/bundle.l10n.json holds every runtime string of the host and the panel, and no screen call passes a literal', () => {
  const out = execFileSync(process.execPath, [path.join(ROOT, 'scripts/build/l10n.mjs'), '--check'], { cwd: ROOT, encoding: 'utf8' });
  const bundle = readJson('l10n/bundle.l10n.json');
  assert.match(out, new RegExp(`${Object.keys(bundle).length} runtime strings, bundle current`));
  // Spot checks from both sides: a notification of the host, a label of the panel.
  assert.equal(bundle['Induction Lens: open a text editor first.'], 'Induction Lens: open a text editor first.');
  assert.ok(Object.keys(bundle).length > 100, `${Object.keys(bundle).length} strings`);
});

test('placeholders are filled as vscode.l10n.t fills them; a translation bundle replaces the panel\'s English', () => {
  assert.equal(fillIn('{0} of {1} events', [3, 7]), '3 of 7 events');
  assert.equal(fillIn('{1} before {0}, {0} again; {2} kept', ['a', 'b']), 'b before a, a again; {2} kept');
  try {
    setBundle({ 'Loss {0} nats': 'Verlust {0} nats', 'Tokens': { message: 'Token', comment: 'tab' }, 'bad': 7 });
    assert.equal(t('Loss {0} nats', '1.25'), 'Verlust 1.25 nats');
    assert.equal(t('Tokens'), 'Token');
    assert.equal(t('bad'), 'bad', 'a non-string entry falls back to English');
    assert.equal(t('Not translated {0}', 1), 'Not translated 1');
    setBundle('not a bundle');
    assert.equal(t('Loss {0} nats', 2), 'Loss 2 nats');
  } finally {
    setBundle(undefined);
  }
});

test('host helpers take vscode.l10n.t and default to English outside VS Code', () => {
  const label = { text: '', partOf: 'é' };
  assert.equal(labelMarkdown(label), 'part of `é`');
  assert.equal(labelMarkdown(label, (m, ...a) => fillIn(m.replace('part of', 'Teil von'), a)), 'Teil von `é`');
});
