// Untrusted text inside markdown: no vscode import, so it is unit-tested directly.
import { untranslated, type Translate } from '../protocol/l10n';
import { markInvisible } from '../protocol/visibleText';

/** A token's text as a markdown code span that no content can break out of: the fence is
 * longer than any run of backticks inside, control characters are shown escaped, invisible ones
 * as ⟨U+XXXX⟩, and an empty token as "(empty)" (`t`: vscode.l10n.t in the extension). */
export function codeSpan(text: string, t: Translate = untranslated): string {
  if (text.length === 0) return t('(empty)'); // a bare `` would render as two backticks
  const shown = markInvisible(text).replace(/\n/g, '\\n').replace(/\r/g, '\\r').replace(/\t/g, '\\t');
  let fence = '`';
  while (shown.includes(fence)) fence += '`';
  const pad = shown.startsWith('`') || shown.endsWith('`') || shown.startsWith(' ') || shown.endsWith(' ') ? ' ' : '';
  return `${fence}${pad}${shown}${pad}${fence}`;
}
