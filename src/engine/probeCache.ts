// Probe scores cached per model file hash, in memory and optionally in a folder on disk.
import * as fs from 'fs';
import * as path from 'path';
import type { ProbeResult } from './probe';

export class ProbeCache {
  private readonly memory = new Map<string, ProbeResult>();
  constructor(private readonly dir: string | null = null) {}

  get(hash: string): ProbeResult | undefined {
    const hit = this.memory.get(hash);
    if (hit || !this.dir) return hit;
    try {
      const parsed = JSON.parse(fs.readFileSync(this.file(hash), 'utf8')) as ProbeResult;
      if (Array.isArray(parsed.heads)) {
        this.memory.set(hash, parsed);
        return parsed;
      }
    } catch {
      // no cache entry, or a damaged one: recompute
    }
    return undefined;
  }

  set(hash: string, result: ProbeResult): void {
    this.memory.set(hash, result);
    if (!this.dir) return;
    try {
      fs.mkdirSync(this.dir, { recursive: true });
      fs.writeFileSync(this.file(hash), JSON.stringify(result));
    } catch {
      // a read-only cache folder only costs a recomputation next time
    }
  }

  private file(hash: string): string {
    return path.join(this.dir!, `probe-${hash.slice(0, 32)}.json`);
  }
}
