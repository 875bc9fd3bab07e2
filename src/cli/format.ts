// Output formats of the CLI: readable tables and the JSON documents named in the issues (the
// analysis report itself is src/engine/report.ts, shared with the panel's Export JSON).
import type { Analysis } from '../engine/analysis';
import { markInvisible } from '../protocol/visibleText';
import type { CircuitsReport } from '../engine/circuits';
import type { ProbeResult } from '../engine/probe';
import type { ModelSession } from '../engine/session';
import { modelJson } from '../engine/report';

/** A token in the table: quoted, with invisible characters marked (an empty token reads ""). */
const show = (t: string) => JSON.stringify(markInvisible(t));
const f3 = (x: number) => x.toFixed(3);

export function analysisTable(s: ModelSession, a: Analysis, text: string, topK: number): string {
  const tok = s.model.tokenizer;
  const lines: string[] = [];
  const d = s.model.dims;
  lines.push(`model ${s.id}: ${d.nLayers} layers x ${d.nHeads} heads, context ${d.nCtx}; ${a.tokens.ids.length} tokens`);
  lines.push(`induction heads (probe score >= threshold): ${a.inductionHeads.map((h) => `L${h.layer}H${h.head}`).join(', ') || 'none'}`);
  const valid = a.loss.filter((x): x is number => x !== null);
  const mean = valid.reduce((p, c) => p + c, 0) / Math.max(1, valid.length);
  lines.push(`mean loss ${f3(mean)} nats over ${valid.length} predictions; ${a.events.length} induction events, ${a.events.filter((e) => e.hit).length} hits`);
  lines.push('');
  lines.push('query  pos      token            source  successor        head   attn   prob   rank  hit');
  const lineCol = lineColumns(text);
  for (const e of a.events) {
    const [ln, col] = lineCol(a.tokens.starts[e.query]);
    lines.push(
      [String(e.query).padStart(5), `${ln}:${col}`.padEnd(8), show(tok.tokenText(a.tokens.ids[e.query])).padEnd(16),
        String(e.source).padStart(6), show(tok.tokenText(e.successorId)).padEnd(16), `L${e.head.layer}H${e.head.head}`.padEnd(6),
        f3(e.attention), f3(e.prob), String(e.rank).padStart(5), e.hit ? ' yes' : ' no'].join(' '),
    );
  }
  if (topK > 0) {
    lines.push('', 'pos   token            loss    ablation  top predictions');
    for (let i = 0; i < a.tokens.ids.length; i++) {
      const l = a.loss[i];
      const g = a.ablationGain?.[i];
      lines.push(`${String(i).padStart(5)} ${show(tok.tokenText(a.tokens.ids[i])).padEnd(16)} ${l === null ? '   -  ' : f3(l).padStart(6)}  ${g === null || g === undefined ? '    -   ' : f3(g).padStart(8)}  ${a.predictions[i].slice(0, topK).map((p) => `${show(tok.tokenText(p.id))} ${f3(p.prob)}`).join(', ')}`);
    }
  }
  return lines.join('\n') + '\n';
}

export function headsTable(s: ModelSession, p: ProbeResult, threshold: number, json: boolean): string {
  if (json) {
    return JSON.stringify({
      model: modelJson(s),
      heads: p.heads,
      inductionHeads: p.heads.filter((h) => h.induction >= threshold).map((h) => ({ layer: h.layer, head: h.head })),
      lossFirstCopy: p.lossFirstCopy,
      lossSecondCopy: p.lossSecondCopy,
    }) + '\n';
  }
  const lines = [`model ${s.id}: repeated-random-token probe (L = 50, batch 8)`, 'head    induction  prev-token  duplicate'];
  for (const h of p.heads) {
    lines.push(`L${h.layer}H${h.head}`.padEnd(8) + f3(h.induction).padStart(9) + f3(h.previousToken).padStart(12) + f3(h.duplicateToken).padStart(11) + (h.induction >= threshold ? '  induction head' : ''));
  }
  lines.push(`in-context loss: first copy ${f3(p.lossFirstCopy)} nats, second copy ${f3(p.lossSecondCopy)} nats`);
  return lines.join('\n') + '\n';
}

export function circuitsText(c: CircuitsReport): string {
  return JSON.stringify({
    copying: c.copying,
    kComposition: { scores: c.kComposition.scores, baseline: c.kComposition.baseline },
    previousTokenQK: { head: c.previousTokenQK.head, subDiagonalMass: c.previousTokenQK.subDiagonalMass },
  });
}

/** Maps a UTF-16 offset to 1-based line:column. */
function lineColumns(text: string): (offset: number) => [number, number] {
  const starts = [0];
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) === 10) starts.push(i + 1);
  return (off) => {
    let lo = 0, hi = starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (starts[mid] <= off) lo = mid;
      else hi = mid - 1;
    }
    return [lo + 1, off - starts[lo] + 1];
  };
}
