// Character labels of an analysis's tokens, computed once per result (hovers ask for them often).
import { labelString, type TextTokenLabel } from '../engine/labels';
import { untranslated, type Translate } from '../protocol/l10n';
import { codeSpan } from './markdownText';
import type { DocumentAnalysis } from './analysisController';

const cache = new WeakMap<DocumentAnalysis['analysis'], TextTokenLabel[]>();

export function tokenLabels(d: DocumentAnalysis): TextTokenLabel[] {
  let labels = cache.get(d.analysis);
  if (!labels) {
    labels = d.session.model.tokenizer.labels(d.text, d.analysis.tokens);
    cache.set(d.analysis, labels);
  }
  return labels;
}

/** A token label as markdown: its characters in a code span, "part of `é`", the "▁" a
 *  SentencePiece tokenizer prepends, or "(empty)"; `t` is vscode.l10n.t in the extension. */
export function labelMarkdown(l: TextTokenLabel, t: Translate = untranslated): string {
  if (!l.text && !l.partOf) return l.marker ? t('{0} (added by the tokenizer)', codeSpan(l.marker)) : t('(empty)');
  if (!l.partOf) return codeSpan(l.text);
  return l.text ? t('{0} + part of {1}', codeSpan(l.text), codeSpan(l.partOf)) : t('part of {0}', codeSpan(l.partOf));
}

export { labelString };
