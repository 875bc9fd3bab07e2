// The panel's page and the words the host writes into it: index.html with a strict CSP (a nonce
// for its two scripts, nothing inline), the localization bundle for webview/l10n.ts, and the
// reason the Pattern view opened on a head.
import * as crypto from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import * as vscode from 'vscode';
import type { HeadChoice } from '../engine/panelViews';
import type { HeadRef } from '../protocol/panel';

export function panelPage(webview: vscode.Webview, extensionUri: vscode.Uri): string {
  const nonce = crypto.randomBytes(16).toString('base64');
  const root = vscode.Uri.joinPath(extensionUri, 'dist', 'webview');
  const src = (f: string) => webview.asWebviewUri(vscode.Uri.joinPath(root, f)).toString();
  const csp = [`default-src 'none'`, `img-src ${webview.cspSource} data:`, `style-src ${webview.cspSource} 'nonce-${nonce}'`,
    `script-src 'nonce-${nonce}'`, `font-src ${webview.cspSource}`].join('; ');
  const fill: Record<string, string> = { csp, nonce, style: src('style.css'), elements: src('elements.js'), main: src('main.js') };
  // VS Code's bundle for the display language (none for English): JSON in a script element that
  // is never run, `<` escaped so no text in it can close the element.
  const bundle = `<script type="application/json" id="l10n-bundle">${JSON.stringify(vscode.l10n.bundle ?? {}).replace(/</g, '\\u003c')}</script>`;
  // The display language, so screen readers read the panel with its rules (a BCP 47 tag, checked).
  const lang = /^[A-Za-z]{2,8}(-[A-Za-z0-9]{1,8})*$/.test(vscode.env.language) ? vscode.env.language : 'en';
  return fs.readFileSync(path.join(root.fsPath, 'index.html'), 'utf8')
    .replace('<html lang="en">', `<html lang="${lang}">`)
    .replace(/\{\{(csp|nonce|style|elements|main)\}\}/g, (_, k: string) => fill[k])
    .replace('</head>', `${bundle}\n</head>`);
}

/** The head the Pattern view opens on, with the reason its title gives. */
export function whyChosen(c: HeadChoice): { head: HeadRef; why: string } {
  return {
    head: c.head,
    why: c.basis === 'text'
      ? vscode.l10n.t('the induction head most active on this text: mean attention {0} on the text\'s {1} induction events', c.meanAttention.toFixed(2), c.events)
      : vscode.l10n.t('the best induction score on the probe ({0}); the text has no induction events', c.score.toFixed(2)),
  };
}

/** A panel view's name as its tab shows it (the panel sends the view's id). */
export function viewName(view: string): string {
  switch (view) {
    case 'tokens': return vscode.l10n.t('Tokens');
    case 'events': return vscode.l10n.t('Events');
    case 'heads': return vscode.l10n.t('Heads');
    case 'pattern': return vscode.l10n.t('Pattern');
    case 'circuits': return vscode.l10n.t('Circuits');
    default: return view;
  }
}
