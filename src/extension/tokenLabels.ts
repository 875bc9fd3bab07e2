// Character labels of an analysis's tokens, computed once per result (hovers ask for them often).
import { labelString, type TextTokenLabel } from '../engine/labels';
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
 *  SentencePiece tokenizer prepends, or "(empty)". */
export function labelMarkdown(l: TextTokenLabel): string {
  if (!l.text && !l.partOf) return l.marker ? `${codeSpan(l.marker)} (added by the tokenizer)` : '(empty)';
  if (!l.partOf) return codeSpan(l.text);
  return l.text ? `${codeSpan(l.text)} + part of ${codeSpan(l.partOf)}` : `part of ${codeSpan(l.partOf)}`;
}

export { labelString };
