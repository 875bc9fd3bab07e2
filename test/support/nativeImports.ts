// The libraries a native binary asks its loader for, read from the file itself: ELF DT_NEEDED
// entries, Mach-O LC_LOAD_DYLIB (and weak / re-exported) commands, the PE import table and, apart,
// its delay-load import table (DLLs loaded on the first call into them, not with the binary).
// 64-bit little-endian binaries only: what onnxruntime-node ships.

export interface NativeImports {
  format: 'elf' | 'macho' | 'pe';
  /** Loaded with the binary, by file name (Mach-O: the name after @rpath/ or @loader_path/). */
  needed: string[];
  /** PE only: loaded on the first call into them. */
  delayed: string[];
  /** ELF RUNPATH/RPATH, Mach-O LC_RPATH. */
  searchPaths: string[];
}

const cString = (b: Buffer, at: number): string => b.toString('latin1', at, b.indexOf(0, at));

export function nativeImports(b: Buffer): NativeImports {
  if (b.readUInt32BE(0) === 0x7f454c46) return elf(b);
  if (b.readUInt32LE(0) === 0xfeedfacf) return macho(b);
  if (b.readUInt16LE(0) === 0x5a4d) return pe(b);
  throw new Error('not a 64-bit ELF, Mach-O or PE file');
}

function elf(b: Buffer): NativeImports {
  if (b[4] !== 2 || b[5] !== 1) throw new Error('ELF: not 64-bit little-endian');
  const shoff = Number(b.readBigUInt64LE(0x28));
  const shentsize = b.readUInt16LE(0x3a);
  const section = (i: number) => {
    const at = shoff + i * shentsize;
    return { type: b.readUInt32LE(at + 4), offset: Number(b.readBigUInt64LE(at + 0x18)), size: Number(b.readBigUInt64LE(at + 0x20)), link: b.readUInt32LE(at + 0x28) };
  };
  const out: NativeImports = { format: 'elf', needed: [], delayed: [], searchPaths: [] };
  for (let i = 0; i < b.readUInt16LE(0x3c); i++) {
    const s = section(i);
    if (s.type !== 6) continue; // SHT_DYNAMIC
    const strtab = section(s.link).offset;
    for (let at = s.offset; at < s.offset + s.size; at += 16) {
      const tag = Number(b.readBigInt64LE(at));
      const value = Number(b.readBigUInt64LE(at + 8));
      if (tag === 0) break;
      if (tag === 1) out.needed.push(cString(b, strtab + value)); // DT_NEEDED
      if (tag === 15 || tag === 29) out.searchPaths.push(cString(b, strtab + value)); // DT_RPATH, DT_RUNPATH
    }
  }
  return out;
}

function macho(b: Buffer): NativeImports {
  const out: NativeImports = { format: 'macho', needed: [], delayed: [], searchPaths: [] };
  let at = 32;
  for (let i = 0; i < b.readUInt32LE(16); i++) {
    const cmd = b.readUInt32LE(at);
    const str = () => cString(b, at + b.readUInt32LE(at + 8));
    // LC_LOAD_DYLIB, LC_LOAD_WEAK_DYLIB, LC_REEXPORT_DYLIB
    if (cmd === 0xc || cmd === 0x80000018 || cmd === 0x8000001f) out.needed.push(str().replace(/^@(rpath|loader_path)\//, ''));
    if (cmd === 0x8000001c) out.searchPaths.push(str()); // LC_RPATH
    at += b.readUInt32LE(at + 4);
  }
  return out;
}

function pe(b: Buffer): NativeImports {
  const sig = b.readUInt32LE(0x3c);
  if (b.readUInt32LE(sig) !== 0x4550) throw new Error('PE: no PE signature');
  const opt = sig + 24;
  if (b.readUInt16LE(opt) !== 0x20b) throw new Error('PE: not PE32+');
  const sections = Array.from({ length: b.readUInt16LE(sig + 6) }, (_, i) => {
    const at = opt + b.readUInt16LE(sig + 20) + 40 * i;
    return { va: b.readUInt32LE(at + 12), size: Math.max(b.readUInt32LE(at + 8), b.readUInt32LE(at + 16)), raw: b.readUInt32LE(at + 20) };
  });
  const offset = (rva: number) => {
    const s = sections.find((x) => rva >= x.va && rva < x.va + x.size);
    if (!s) throw new Error(`PE: address ${rva} is in no section`);
    return rva - s.va + s.raw;
  };
  const directory = (i: number) => b.readUInt32LE(opt + 112 + 8 * i);
  const names = (rva: number, stride: number, nameAt: number) => {
    const list: string[] = [];
    for (let at = rva ? offset(rva) : -1; at >= 0 && b.readUInt32LE(at + nameAt); at += stride) list.push(cString(b, offset(b.readUInt32LE(at + nameAt))));
    return list;
  };
  // Import descriptors: 20 bytes, name at +12; delay-load descriptors: 32 bytes, name at +4.
  return { format: 'pe', needed: names(directory(1), 20, 12), delayed: names(directory(13), 32, 4), searchPaths: [] };
}
