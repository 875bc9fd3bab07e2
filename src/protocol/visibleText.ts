// Token text made visible wherever it is shown (hover, hints, panel, CLI): a token can be only a
// space, a line break or an invisible character (zero-width space, BOM, soft hyphen), which
// would otherwise render as nothing. Pure and import-free: the webview uses it too.

/** Characters that draw nothing: format characters (Cf), controls other than tab/LF/CR, line and
 *  paragraph separators, and the Hangul fillers. */
const INVISIBLE = /[\p{Cf}\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f\u2028\u2029\u115f\u1160\u3164\uffa0]|\u034f/gu;

/** Invisible characters as ⟨U+200B⟩; everything else unchanged. */
export function markInvisible(text: string): string {
  return text.replace(INVISIBLE, (c) => `⟨U+${c.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}⟩`);
}

/** Whitespace as ·, ↵ and ⇥, invisible characters as ⟨U+XXXX⟩, and the empty string as ∅. */
export function visibleText(text: string): string {
  return markInvisible(text).replace(/\r\n|\n|\r/g, '↵').replace(/\t/g, '⇥').replace(/ /g, '·') || '∅';
}
