// Hover tooltips read the cached analysis (nothing is baked into decorations). Document text is
// untrusted: it goes into the tooltip through appendText/code spans only, never as markdown.
import * as vscode from 'vscode';
import { tokenAt } from '../engine/overlay';
import { topAttributions } from '../engine/report';
import { codeSpan } from './markdownText';
import type { AnalysisController, DocumentAnalysis } from './analysisController';
import { labelMarkdown, tokenLabels } from './tokenLabels';

export class InductionHoverProvider implements vscode.HoverProvider {
  constructor(private readonly controller: AnalysisController) {}

  async provideHover(doc: vscode.TextDocument, pos: vscode.Position): Promise<vscode.Hover | undefined> {
    const d = this.controller.get(doc.uri.toString());
    if (!d || d.version !== doc.version) return undefined;
    const offset = doc.offsetAt(pos) - d.baseOffset;
    if (offset < 0 || offset >= d.text.length) return undefined;
    const i = tokenAt(d.analysis, offset);
    if (i < 0) return undefined;
    // An event's direct logit attribution is computed when its hover is first shown (one pass of
    // its window); without it (an ONNX-file model, a failure) the hover simply leaves it out.
    await d.session.attributions(d.analysis, [i]).catch(() => undefined);
    if (doc.version !== d.version) return undefined;
    const range = new vscode.Range(doc.positionAt(d.baseOffset + d.analysis.tokens.starts[i]), doc.positionAt(d.baseOffset + d.analysis.tokens.ends[i]));
    return new vscode.Hover(hoverMarkdown(d, i, doc), range);
  }
}

export function hoverMarkdown(d: DocumentAnalysis, i: number, doc: vscode.TextDocument): vscode.MarkdownString {
  const a = d.analysis;
  const tok = d.session.model.tokenizer;
  const md = new vscode.MarkdownString(undefined, true);
  md.supportHtml = false;
  md.isTrusted = { enabledCommands: ['inductionLens.showPanel'] };
  const id = a.tokens.ids[i];
  // Tokens of the text are labelled by their characters there; predictions by their bytes.
  const labels = tokenLabels(d);
  md.appendMarkdown(`${vscode.l10n.t('**Induction Lens** · token {0} id {1} · position {2}', labelMarkdown(labels[i], vscode.l10n.t), id, i)}\n\n`);
  const preds = a.predictions[i] ?? [];
  if (preds.length) {
    md.appendMarkdown(`${vscode.l10n.t('Next token: {0}', preds.slice(0, 5).map((p) => `${codeSpan(tok.tokenText(p.id), vscode.l10n.t)} ${p.prob.toFixed(2)}`).join(' · '))}\n\n`);
  }
  const e = a.events.find((x) => x.query === i);
  if (e) {
    const src = doc.positionAt(d.baseOffset + a.tokens.starts[e.source]);
    const induction = vscode.l10n.t('Induction: {0} → {1} at {2}:{3}, {4} · p(B) {5}, rank {6}', `L${e.head.layer}H${e.head.head}`, labelMarkdown(labels[e.source], vscode.l10n.t), src.line + 1, src.character + 1, e.attention.toFixed(2), e.prob.toFixed(2), e.rank);
    md.appendMarkdown(`${induction}${e.hit ? ` · **${vscode.l10n.t('hit')}**` : ''}\n\n`);
    const top = topAttributions(a, i);
    if (top.length) {
      const heads = top.map((t) => `L${t.layer}H${t.head} ${t.value >= 0 ? '+' : ''}${t.value.toFixed(1)}`).join(', ');
      md.appendMarkdown(`${vscode.l10n.t('Direct logit attribution: {0} logits for {1}', heads, codeSpan(tok.tokenText(e.successorId), vscode.l10n.t))}\n\n`);
    }
  } else {
    md.appendMarkdown(`${vscode.l10n.t('Induction: no earlier occurrence of this token in the analyzed text')}\n\n`);
  }
  const loss = a.loss[i];
  const gain = a.ablationGain?.[i];
  md.appendMarkdown(loss === null ? vscode.l10n.t('Loss — (last token)') : vscode.l10n.t('Loss {0} nats', loss.toFixed(2)));
  md.appendMarkdown(` · ${vscode.l10n.t('ablation gain {0}', gain === null || gain === undefined ? (a.ablationGain ? '—' : '…') : `${gain >= 0 ? '+' : ''}${gain.toFixed(2)}`)}`);
  md.appendMarkdown(` · [${vscode.l10n.t('Open panel')}](command:inductionLens.showPanel)`);
  return md;
}
