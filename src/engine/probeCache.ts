// Probe scores cached per model file hash and BOS token, in memory and optionally in a folder on
// disk. The BOS is part of the key: scores probed with a BOS first are never reused for a probe
// without one (or with another BOS), e.g. after a tokenizer that adds no BOS is recognised as such.
import * as fs from 'fs';
import * as path from 'path';
import type { ProbeResult } from './probe';

/** The cache key of a model's probe: its hash and the BOS its probe rows start with (or none). */
export function probeCacheKey(hash: string, bos: number | null): string {
  return `${hash.slice(0, 32)}-${bos === null ? 'nobos' : `bos${bos}`}`;
}

export class ProbeCache {
  private readonly memory = new Map<string, ProbeResult>();
  constructor(private readonly dir: string | null = null) {}

  get(hash: string, bos: number | null): ProbeResult | undefined {
    const key = probeCacheKey(hash, bos);
    const hit = this.memory.get(key);
    if (hit || !this.dir) return hit;
    try {
      const parsed = JSON.parse(fs.readFileSync(this.file(key), 'utf8')) as ProbeResult;
      if (Array.isArray(parsed.heads)) {
        this.memory.set(key, parsed);
        return parsed;
      }
    } catch {
      // no cache entry, or a damaged one: recompute
    }
    return undefined;
  }

  set(hash: string, bos: number | null, result: ProbeResult): void {
    const key = probeCacheKey(hash, bos);
    this.memory.set(key, result);
    if (!this.dir) return;
    try {
      fs.mkdirSync(this.dir, { recursive: true });
      fs.writeFileSync(this.file(key), JSON.stringify(result));
    } catch {
      // a read-only cache folder only costs a recomputation next time
    }
  }

  private file(key: string): string {
    return path.join(this.dir!, `probe-${key}.json`);
  }
}
