// Every tensor the graph builder reads for a spec, with the shape config.json implies, so a
// folder is refused at read time rather than halfway through building the graph. Each family
// lists its own (families/*.ts, beside the block maths that reads them).
import { familyOf } from './families';
import type { ExpectedTensor } from './families/family';
import type { HfSpec } from './spec';

export type { ExpectedTensor };

/** `has` tells which names the weights hold (GPT-2 checkpoints may prefix "transformer."). */
export function expectedTensors(s: HfSpec, has: (name: string) => boolean): ExpectedTensor[] {
  return familyOf(s.family).tensors(s, has);
}
