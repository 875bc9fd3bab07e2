// The Pattern view's head over the analyzed tokens, for an analysis that kept no attentions
// (attention on demand): its windows run again with their attentions, the same ids and head mask,
// and only the asked layer's [n_heads, seq, seq] slice of each is kept (for the next head of that
// layer), never every layer's.
import type { Analysis, AnalysisWindow } from './analysis';
import { windowIds, windowSeq } from './attentionIndex';
import type { InferenceBackend } from './backend';
import { throwIfCancelled, type CancellationToken } from './cancellation';
import { headPattern } from './panelViews';
import type { HeadRef, Matrix } from '../protocol/panel';

/** Per analysis: the last layer fetched, as windows whose attentions hold that layer alone. */
const fetched = new WeakMap<Analysis, { layer: number; windows: AnalysisWindow[] }>();

export async function patternOnDemand(a: Analysis, h: HeadRef, backend: InferenceBackend, token?: CancellationToken): Promise<Matrix> {
  if (a.windows.every((w) => w.attentions)) return headPattern(a, h);
  let layer = fetched.get(a);
  if (layer?.layer !== h.layer) {
    const { nHeads: H } = a.dims;
    const windows: AnalysisWindow[] = [];
    for (const w of a.windows) {
      throwIfCancelled(token);
      const ids = windowIds(a.dims, a.tokens.ids, w);
      const out = await backend.forward({ ids, batch: 1, seq: ids.length, headMask: a.headMask ?? undefined, wantAttentions: true, token });
      const S = windowSeq(a.dims, w);
      const slice = out.attentions!.slice(h.layer * H * S * S, (h.layer + 1) * H * S * S); // [H, S, S]
      windows.push({ start: w.start, end: w.end, ownStart: w.ownStart, ownEnd: w.ownEnd, attentions: slice });
    }
    layer = { layer: h.layer, windows };
    fetched.set(a, layer);
  }
  // The kept slices read as a one-layer model's attentions.
  return headPattern({ ...a, dims: { ...a.dims, nLayers: 1 }, windows: layer.windows }, { layer: 0, head: h.head });
}
