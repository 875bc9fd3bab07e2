// Untrusted text inside markdown: no vscode import, so it is unit-tested directly.

/** A token's text as a markdown code span that no content can break out of: the fence is
 * longer than any run of backticks inside, and control characters are shown escaped. */
export function codeSpan(text: string): string {
  const shown = text.replace(/\n/g, '\\n').replace(/\r/g, '\\r').replace(/\t/g, '\\t');
  let fence = '`';
  while (shown.includes(fence)) fence += '`';
  const pad = shown.startsWith('`') || shown.endsWith('`') || shown.startsWith(' ') || shown.endsWith(' ') ? ' ' : '';
  return `${fence}${pad}${shown}${pad}${fence}`;
}
