// A path ablation (sender head, receiver head, the receiver's input that loses the sender's
// output), shared by the engine, the worker protocol and the panel.
import type { HeadRef } from './headRef';

export type PathName = 'q' | 'k' | 'v';

export interface PathSpec {
  sender: HeadRef;
  receiver: HeadRef;
  path: PathName;
  /** zero: the sender's output removed; mean: replaced by its mean over the positions. */
  mode: 'zero' | 'mean';
  /** recompute: the norm before attention recomputed on the changed stream; frozen: taken as
   *  linear with the unablated scale (TransformerLens's direct path patching). */
  norm: 'recompute' | 'frozen';
}
