// Testing a circuit by path ablation (definitions: "Path ablation"): the text's loss per position
// and the receiver head's probe induction score, before and with the path from the sender to the
// receiver's queries, keys or values ablated.
import { analyze, type Analysis } from './analysis';
import type { InferenceBackend } from './backend';
import { throwIfCancelled, type CancellationToken } from './cancellation';
import { EngineError } from './errors';
import { runProbe } from './probe';
import type { ModelSession } from './session';
import type { PathSpec } from '../protocol/pathSpec';

export interface PathTestResult {
  path: PathSpec;
  analysis: Analysis;
  /** The same text analysed with the path ablated (its events and losses). */
  after: Analysis;
  loss: { before: (number | null)[]; after: (number | null)[] };
  meanLoss: { before: number; after: number };
  receiverInductionScore: { before: number; after: number };
}

/** The model's forward passes with `path` ablated. */
export function withPath(backend: InferenceBackend, path: PathSpec): InferenceBackend {
  return { forward: (req) => backend.forward({ ...req, path }), dispose: () => Promise.resolve() };
}

const mean = (xs: (number | null)[]) => {
  const v = xs.filter((x): x is number => x !== null);
  return v.length ? v.reduce((s, x) => s + x, 0) / v.length : NaN;
};

/** The checks a path must pass before any graph is built for it. */
export function checkPath(p: PathSpec, nLayers: number, nHeads: number): void {
  for (const [what, h] of [['sender', p.sender], ['receiver', p.receiver]] as const) {
    if (!(h.layer >= 0 && h.layer < nLayers && h.head >= 0 && h.head < nHeads)) {
      throw new EngineError(`${what} L${h.layer}H${h.head} is not a head of this model (${nLayers} layers × ${nHeads} heads)`);
    }
  }
  if (p.receiver.layer <= p.sender.layer) {
    throw new EngineError(`the receiver L${p.receiver.layer}H${p.receiver.head} must be in a later layer than the sender L${p.sender.layer}H${p.sender.head}`);
  }
}

export async function runPathTest(
  session: ModelSession, text: string, path: PathSpec,
  opts: { maxTokens?: number; headMask?: Float32Array; inductionThreshold?: number; token?: CancellationToken } = {},
): Promise<PathTestResult> {
  const d = session.model.dims;
  checkPath(path, d.nLayers, d.nHeads);
  const probe = await session.probe();
  const o = { keepAttentions: false, maxTokens: opts.maxTokens, headMask: opts.headMask, inductionThreshold: opts.inductionThreshold, token: opts.token };
  const a = await session.analyze(text, o);
  const ablated = withPath(session.backend, path);
  const after = await analyze(text, session.model.tokenizer, ablated, d, probe.heads, o);
  throwIfCancelled(opts.token);
  const probeAfter = await runProbe(ablated, d.nLayers, d.nHeads, d.dVocab, d.bos, d.tokenVocab);
  const score = (heads: typeof probe.heads) => heads.find((h) => h.layer === path.receiver.layer && h.head === path.receiver.head)!.induction;
  return {
    path, analysis: a, after, loss: { before: a.loss, after: after.loss },
    meanLoss: { before: mean(a.loss), after: mean(after.loss) },
    receiverInductionScore: { before: score(probe.heads), after: score(probeAfter.heads) },
  };
}
