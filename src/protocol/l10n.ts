// How a localizable message is filled in, shared by the host's pure helpers and the panel:
// `{0}`, `{1}`… are replaced by the arguments, as vscode.l10n.t does. The English text is the
// message's key in a translation bundle (l10n/bundle.l10n.json, scripts/build/l10n.mjs).

/** vscode.l10n.t's shape: a message (string literal) and its arguments. */
export type Translate = (message: string, ...args: (string | number)[]) => string;

/** `text` with `{i}` replaced by `args[i]` (placeholders without an argument stay as written). */
export function fillIn(text: string, args: readonly (string | number)[]): string {
  return text.replace(/\{(\d+)\}/g, (whole, i: string) => (Number(i) < args.length ? String(args[Number(i)]) : whole));
}

/** The English message itself: for code that runs outside VS Code (unit tests). */
export const untranslated: Translate = (message, ...args) => fillIn(message, args);
