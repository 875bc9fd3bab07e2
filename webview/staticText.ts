// The static text of index.html, through t(): the page carries the English so that it reads right
// before this script runs, and main.ts calls localizeStaticText() once the bundle is loaded.
import { t } from './l10n';

/** Sets `text` as the text content of the elements matching `selector`. */
function text(selector: string, value: string) {
  document.querySelectorAll(selector).forEach((e) => (e.textContent = value));
}

/** Sets attribute `name` of the elements matching `selector`. */
function attr(selector: string, name: string, value: string) {
  document.querySelectorAll(selector).forEach((e) => e.setAttribute(name, value));
}

export function localizeStaticText() {
  document.title = t('Induction Lens');
  text('#title', t('Induction Lens'));
  text('#export-png', t('Export PNG'));
  attr('#export-png', 'title', t('Save the current view as a PNG image'));
  text('#export-json', t('Export JSON'));
  attr('#export-json', 'title', t('Save the analysis as JSON'));
  text('vscode-tab-header[data-view="tokens"]', t('Tokens'));
  text('vscode-tab-header[data-view="events"]', t('Events'));
  text('vscode-tab-header[data-view="heads"]', t('Heads'));
  text('vscode-tab-header[data-view="pattern"]', t('Pattern'));
  text('vscode-tab-header[data-view="circuits"]', t('Circuits'));
  attr('#tokens', 'aria-label', t('Analyzed tokens; arrow keys, Home and End move, Enter or Space locks, R reveals in the editor'));
  attr('#pattern', 'aria-label', t('Attention pattern heatmap: rows are queries, columns are keys'));
}
