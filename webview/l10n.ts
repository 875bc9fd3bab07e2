// The panel's localizable strings. The webview cannot call vscode.l10n, so the host embeds VS
// Code's bundle for the display language in the page (panel.ts, <script id="l10n-bundle">) and
// main.ts hands it here before anything is drawn. Messages are looked up as vscode.l10n.t looks
// them up (the English text is the key) and `{0}`, `{1}`… are filled in the same way;
// `node scripts/build/l10n.mjs` collects every t('…') of the webview into l10n/bundle.l10n.json.

import { fillIn } from '../src/protocol/l10n';

let bundle: Record<string, string> = {};

/** Keeps the string entries of `contents` (a bundle.l10n.<lang>.json object); anything else is
 *  dropped, so a malformed bundle falls back to English instead of breaking the panel. */
export function setBundle(contents: unknown): void {
  bundle = {};
  if (!contents || typeof contents !== 'object' || Array.isArray(contents)) return;
  for (const [k, v] of Object.entries(contents as Record<string, unknown>)) {
    if (typeof v === 'string') bundle[k] = v;
    // vscode.l10n bundles may hold { message, comment } entries.
    else if (v && typeof v === 'object' && typeof (v as { message?: unknown }).message === 'string') bundle[k] = (v as { message: string }).message;
  }
}

/** Reads the bundle the host embedded in the page, if any (none for English). */
export function readBundleFromPage(doc: Document): unknown {
  const text = doc.getElementById('l10n-bundle')?.textContent;
  if (!text) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** The translation of `message` (its English text), with `{i}` replaced by `args[i]`. */
export function t(message: string, ...args: (string | number)[]): string {
  return fillIn(bundle[message] ?? message, args);
}
