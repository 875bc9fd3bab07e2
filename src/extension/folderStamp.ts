// The version of a model folder's files, from their sizes and modification times (stat only:
// nothing is opened or read, so it is safe and quick on the extension host's thread). A model
// whose stamp changed is loaded again before the next analysis.
import * as crypto from 'crypto';
import * as fs from 'fs';
import * as path from 'path';

/** Folders list a handful of files; a huge one is stamped by its first entries only. */
const MAX_ENTRIES = 2000;

export function folderStamp(dir: string): string {
  const h = crypto.createHash('sha256');
  let names: string[];
  try {
    names = fs.readdirSync(dir).sort().slice(0, MAX_ENTRIES);
  } catch {
    return 'unreadable';
  }
  for (const name of names) {
    try {
      const st = fs.statSync(path.join(dir, name)); // follows symlinks, as the loader does
      if (st.isFile()) h.update(`${name}\u0000${st.size}\u0000${st.mtimeMs}\n`);
    } catch {
      h.update(`${name}\u0000missing\n`);
    }
  }
  return h.digest('hex').slice(0, 16);
}
