// Paths and reference values shared by the unit tests (fixtures from training/make_fixtures.py).
import * as fs from 'fs';
import * as path from 'path';

/** Repository root, from dist-test/<suite>/ where the bundled tests run. */
export const ROOT = path.resolve(__dirname, '..', '..');
export const MODEL_DIR = path.join(ROOT, 'media', 'models', 'attn-only-2l');
export const FIXTURE_DIR = path.join(ROOT, 'test', 'fixtures', 'attn-only-2l');

export interface Reference {
  modelHash: string;
  probe: { tokens: number[][]; heads: { layer: number; head: number; induction: number; previousToken: number; duplicateToken: number }[]; lossFirstCopy: number; lossSecondCopy: number };
  inductionThreshold: number;
  text: string;
  analysis: {
    ids: number[];
    loss: (number | null)[];
    top5: { id: number; prob: number }[][];
    events: { query: number; source: number; successorId: number; attention: number; head: { layer: number; head: number }; prob: number; rank: number; hit: boolean }[];
    ablationGain: (number | null)[];
    inductionHeads: { layer: number; head: number }[];
  };
  parity: { ids: number[]; removedHead: { layer: number; head: number }; logitsShape: number[]; attentionsShape: number[] };
  circuits: { copying: { layer: number; head: number; eigenCopyingScore: number; top1Accuracy: number }[]; kComposition: number[][]; subDiagonalMassPerHead: number[] };
}

export function reference(): Reference {
  return JSON.parse(fs.readFileSync(path.join(FIXTURE_DIR, 'reference.json'), 'utf8'));
}

export function f32(name: string): Float32Array {
  const b = fs.readFileSync(path.join(FIXTURE_DIR, name));
  return new Float32Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength));
}

export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`length ${a.length} != ${b.length}`);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}
