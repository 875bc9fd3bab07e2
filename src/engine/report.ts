// The JSON report of an analysis: what the CLI prints with --json and the panel's Export JSON
// writes (the documents named in the issues).
import type { Analysis } from './analysis';
import type { PathTestResult } from './pathTest';
import type { ModelSession } from './session';

export function modelJson(s: ModelSession) {
  const d = s.model.dims;
  return { id: s.id, nLayers: d.nLayers, nHeads: d.nHeads, nCtx: d.nCtx };
}

/** The analysed tokens: id, text, and their UTF-16 span in the text. */
function tokensJson(s: ModelSession, a: Analysis) {
  return Array.from(a.tokens.ids, (id, i) => ({ id, text: s.model.tokenizer.tokenText(id), start: a.tokens.starts[i], end: a.tokens.ends[i] }));
}

/** `path-ablation --json`: the documented fields, in order. */
export function pathAblationJson(s: ModelSession, r: PathTestResult) {
  const head = (h: { layer: number; head: number }) => ({ layer: h.layer, head: h.head });
  return {
    model: modelJson(s), sender: head(r.path.sender), receiver: head(r.path.receiver), path: r.path.path, mode: r.path.mode,
    tokens: tokensJson(s, r.analysis), loss: r.loss, meanLoss: r.meanLoss, receiverInductionScore: r.receiverInductionScore,
  };
}

export function analysisJson(s: ModelSession, a: Analysis, topK: number) {
  const tok = s.model.tokenizer;
  const text = (id: number) => tok.tokenText(id);
  const out: Record<string, unknown> = {
    model: modelJson(s),
    tokens: tokensJson(s, a),
    heads: a.heads.map((h) => ({ layer: h.layer, head: h.head, induction: h.induction, previousToken: h.previousToken, duplicateToken: h.duplicateToken })),
    inductionHeads: a.inductionHeads,
    events: a.events.map((e) => ({
      query: e.query, source: e.source, successorId: e.successorId, attention: e.attention,
      head: { layer: e.head.layer, head: e.head.head }, prob: e.prob, rank: e.rank, hit: e.hit,
      // n_layers × n_heads, index layer * n_heads + head; null for a model run from an ONNX file.
      dla: a.eventDla?.has(e.query) ? Array.from(a.eventDla.get(e.query)!) : null,
    })),
    loss: a.loss,
    ablationGain: a.ablationGain ?? a.loss.map(() => null),
  };
  if (topK > 0) {
    out.predictions = a.predictions.map((ps) => ps.slice(0, topK).map((p) => ({ id: p.id, text: text(p.id), prob: p.prob })));
  }
  return out;
}

/** The `n` heads with the largest direct logit attribution to an event's B, largest first. */
export function topAttributions(a: Analysis, query: number, n = 3): { layer: number; head: number; value: number }[] {
  const v = a.eventDla?.get(query);
  if (!v) return [];
  const H = a.dims.nHeads;
  return Array.from(v, (value, i) => ({ layer: Math.floor(i / H), head: i % H, value })).sort((x, y) => y.value - x.value).slice(0, n);
}

