// Self-attention of one layer with the path ablation built in: receiver head R's chosen input (its
// queries, keys or values) is computed from the residual stream entering its layer minus sender
// head S's output (zero), or with S's output replaced by its mean over the positions (mean), the
// norm before attention recomputed on that stream (recompute) or taken as linear with the
// unablated scale (frozen). Every other head, and R's other inputs, see the unchanged stream; with
// grouped-query attention R's own keys or values are computed apart from its group's.
import type { Blocks, LayerContext } from './blocks';
import type { Family } from './families/family';


export type { PathName, PathSpec } from '../../protocol/pathSpec';

/** How a family's layer turns its input into q [B, H, T, D], k and v [B, Hkv, T, D]. */
export interface AttentionInput {
  /** The norm before attention (its weight's base name), or none (OLMo 2, attention-only). */
  norm: { kind: 'layer' | 'rms' | 'none'; base?: string };
  project(x: string): { q: string; k: string; v: string };
}

/** Layer l's attention from the residual stream h [B, T, d] (see the file comment). */
export function selfAttention(b: Blocks, family: Family, l: number, h: string, input: AttentionInput, ctx: LayerContext): { merged: string; pattern: string } {
  const norm = (x: string) => input.norm.kind === 'layer' ? b.layerNorm(x, input.norm.base!) : input.norm.kind === 'rms' ? b.rmsNorm(x, input.norm.base!) : x;
  const x = norm(h);
  const p = b.path;
  let alt: { q: string; k: string; v: string } | undefined;
  if (p && l === p.receiver.layer && b.senderOut) {
    const g = b.g;
    // The part of S's output R's input loses: all of it, or its difference from its mean.
    const delta = p.mode === 'zero' ? b.senderOut : g.op('Sub', [b.senderOut, g.op('ReduceMean', [b.senderOut], { axes: [1], keepdims: 1 })]);
    alt = input.project(p.norm === 'recompute' ? norm(g.op('Sub', [h, delta])) : g.op('Sub', [x, frozenNorm(b, input, h, delta)]));
  }
  const { q, k, v } = input.project(x);
  const out = b.attend(l, q, k, v, ctx, alt && p ? { ...alt, path: p.path, head: p.receiver.head } : undefined);
  if (p && l === p.sender.layer) {
    // S's per-position output z_S W_O[S] [B, T, d] (no bias).
    const g = b.g;
    const z = g.op('Gather', [b.zByLayer.get(l)!, g.ints([p.sender.head], [])], { axis: 1 });     // [B, T, D]
    b.senderOut = g.op('MatMul', [z, g.op('Gather', [family.headOutput(b, l), g.ints([p.sender.head], [])], { axis: 0 })]);
  }
  return out;
}

/** The norm before attention applied to `delta` [B, T, d] as a linear map, with the scale (and
 *  for LayerNorm the mean-centring) of the unablated stream h. */
function frozenNorm(b: Blocks, input: AttentionInput, h: string, delta: string): string {
  const g = b.g;
  const kind = input.norm.kind;
  if (kind === 'none') return delta;
  const mean = (v: string) => g.op('ReduceMean', [v], { axes: [-1], keepdims: 1 });
  const centred = kind === 'layer' ? g.op('Sub', [h, mean(h)]) : h;
  const sigma = g.op('Sqrt', [g.op('Add', [mean(g.op('Mul', [centred, centred])), g.scalar(b.s.eps)])]); // [B, T, 1]
  const d = kind === 'layer' ? g.op('Sub', [delta, mean(delta)]) : delta;
  const weight = kind === 'layer' ? b.w(`${input.norm.base!}.weight`, [b.s.dModel]) : b.rmsWeight(input.norm.base!);
  return g.op('Mul', [g.op('Div', [d, sigma]), weight]);
}
