// One model ready for analysis: the opened folder, an inference backend and its probe scores.
import { analyze, computeAblation, type Analysis, type AnalyzeOptions } from './analysis';
import type { InferenceBackend } from './backend';
import { throwIfCancelled, type CancellationToken } from './cancellation';
import { runProbe, type ProbeResult } from './probe';
import type { ProbeCache } from './probeCache';
import type { OpenedModel } from './model';
import { attributions } from './attributionOnDemand';
import { patternOnDemand } from './patternOnDemand';
import type { HeadRef, Matrix } from '../protocol/panel';

export class ModelSession {
  private probeResult: Promise<ProbeResult> | null = null;

  constructor(
    readonly model: OpenedModel,
    readonly backend: InferenceBackend,
    private readonly cache: ProbeCache | null = null,
  ) {}

  get id(): string {
    return this.model.folder.manifest.id;
  }

  /** Probe scores of every head, computed once per model file and BOS (cached by both). */
  probe(): Promise<ProbeResult> {
    if (!this.probeResult) {
      const d = this.model.dims;
      const cached = this.cache?.get(this.model.hash, d.bos);
      this.probeResult = cached
        ? Promise.resolve(cached)
        : runProbe(this.backend, d.nLayers, d.nHeads, d.dVocab, d.bos, d.tokenVocab).then((r) => {
            this.cache?.set(this.model.hash, d.bos, r);
            return r;
          });
      this.probeResult.catch(() => (this.probeResult = null));
    }
    return this.probeResult;
  }

  async analyze(text: string, opts: AnalyzeOptions = {}): Promise<Analysis> {
    const probe = await this.probe();
    throwIfCancelled(opts.token);
    return analyze(text, this.model.tokenizer, this.backend, this.model.dims, probe.heads, opts);
  }

  ablate(a: Analysis, baseMask?: Float32Array, token?: CancellationToken): Promise<(number | null)[]> {
    return computeAblation(a, this.backend, baseMask, token);
  }

  /** Direct logit attributions of the events at `queries` (all when omitted), run for those the
   *  analysis lacks; they land in a.eventDla. */
  attributions(a: Analysis, queries?: number[]): Promise<void> {
    return attributions(a, this.backend, queries);
  }

  /** One head's pattern over an analysis of this model: from its kept attentions, or run again. */
  pattern(a: Analysis, h: HeadRef, token?: CancellationToken): Promise<Matrix> {
    return patternOnDemand(a, h, this.backend, token);
  }

  dispose(): Promise<void> {
    return this.backend.dispose();
  }
}
