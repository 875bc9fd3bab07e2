// Direct logit attribution of events the analysis did not compute it for (the extension's
// analysis leaves it out: the hover asks for the event it shows, Export JSON for every event):
// each window holding such events runs again once with their (query row, B) pairs, the same ids
// and head mask, and the results are kept on the analysis.
import type { Analysis } from './analysis';
import { positionIn, windowIds, windowOf } from './attentionIndex';
import type { InferenceBackend } from './backend';

/** Fills a.eventDla for the events at `queries` (every event when omitted); events of a model run
 *  from an ONNX file stay without. */
export async function attributions(a: Analysis, backend: InferenceBackend, queries?: number[]): Promise<void> {
  const wanted = queries ? new Set(queries) : null;
  const missing = a.events.filter((e) => (!wanted || wanted.has(e.query)) && !a.eventDla?.has(e.query));
  for (const w of a.windows) {
    const here = missing.filter((e) => windowOf(a, e.query) === w);
    if (!here.length) continue;
    const ids = windowIds(a.dims, a.tokens.ids, w);
    const out = await backend.forward({
      ids, batch: 1, seq: ids.length, headMask: a.headMask ?? undefined, wantAttentions: false,
      rows: Int32Array.from(here, (e) => positionIn(a.dims, w, e.query)), dlaPairs: Int32Array.from(here.flatMap((e, i) => [i, e.successorId])),
    });
    if (!out.dla) return;
    const LH = a.dims.nLayers * a.dims.nHeads;
    const P = here.length;
    here.forEach((e, p) => (a.eventDla ??= new Map()).set(e.query, Float32Array.from({ length: LH }, (_, i) => out.dla![i * P + p])));
  }
}
