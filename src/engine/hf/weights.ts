// The safetensors files of a Hugging Face folder: model.safetensors, or shards listed in
// model.safetensors.index.json. Headers are read alone (sizes, names) before any data is loaded.
import * as path from 'path';
import { EngineError, quoted } from '../errors';
import { readJsonFile } from '../jsonFile';
import { checkPlainFileName, isPresent, MAX_BYTES, readRegularFile, readRegularFileInChunks } from '../safeFile';
import { checkDataArea, readSafetensorsHeader, toFloat32, type HeaderEntry, type SafetensorsHeader, type Tensor } from '../safetensors';

export type { HeaderEntry } from '../safetensors';

export interface WeightFiles {
  /** Absolute paths of the safetensors files, in a stable order. */
  files: string[];
  /** Each file's validated header, in the order of `files`. */
  headers: SafetensorsHeader[];
  /** Tensor name -> its dtype, shape and place, across all files. */
  tensors: Map<string, HeaderEntry & { file: string; dataStart: number }>;
  /** Values in all tensors. */
  parameterCount: number;
  /** Bytes on disk of all files. */
  bytes: number;
}

/** Saved buffers that are not parameters and that the graph never reads: GPT-2's and GPT-NeoX's
 *  causal masks, rotary frequency tables. */
export const BUFFER = /(\.attn\.bias|\.attention\.bias|masked_bias|rotary_emb\.inv_freq)$/;

export function findWeightFiles(dir: string): WeightFiles {
  const single = path.join(dir, 'model.safetensors');
  const index = path.join(dir, 'model.safetensors.index.json');
  let files: string[];
  if (isPresent(single)) files = [single];
  else if (isPresent(index)) files = shardFiles(dir, index);
  else {
    const bin = ['pytorch_model.bin', 'model.bin'].find((f) => isPresent(path.join(dir, f)));
    throw new EngineError(
      bin
        ? `${dir}: has ${bin} but no model.safetensors; only safetensors weights can be read (convert with transformers' save_pretrained(safe_serialization=True))`
        : `${dir}: model.safetensors is missing`,
    );
  }
  const tensors: WeightFiles['tensors'] = new Map();
  const headers = files.map(readSafetensorsHeader);
  let parameterCount = 0;
  let bytes = 0;
  for (const h of headers) {
    bytes += h.fileSize;
    for (const [name, e] of h.tensors) {
      const other = tensors.get(name);
      if (other) throw new EngineError(`${dir}: tensor ${quoted(name)} is in both ${path.basename(other.file)} and ${path.basename(h.file)}`);
      tensors.set(name, { ...e, file: h.file, dataStart: h.dataStart });
      if (!BUFFER.test(name)) parameterCount += e.shape.reduce((a, b) => a * b, 1);
    }
  }
  return { files, headers, tensors, parameterCount, bytes };
}

/** The shard files named by the index's weight_map: plain names of files in the folder. */
function shardFiles(dir: string, index: string): string[] {
  const raw = readJsonFile(index, MAX_BYTES.shardIndex) as { weight_map?: unknown } | null;
  const map = raw && typeof raw === 'object' ? raw.weight_map : undefined;
  if (!map || typeof map !== 'object' || Array.isArray(map)) throw new EngineError(`${index}: has no "weight_map" object`);
  const names = new Set<string>();
  for (const [tensor, file] of Object.entries(map)) names.add(checkPlainFileName(file, `${index}: weight_map[${quoted(tensor)}]`));
  if (!names.size) throw new EngineError(`${index}: "weight_map" lists no files`);
  for (const f of names) if (!isPresent(path.join(dir, f))) throw new EngineError(`${index}: lists ${quoted(f)}, which is missing`);
  return [...names].sort().map((f) => path.join(dir, f));
}

/** Each file holds exactly the data its header declares (run before any data is read). */
export function checkWeightData(w: WeightFiles): void {
  for (const h of w.headers) checkDataArea(h);
}

/** Reads tensors by name, converting each to float32 only when asked for (checkpoints also hold
 *  buffers such as causal masks, sometimes in dtypes the lens never reads). */
export class TensorReader {
  private readonly buffers = new Map<string, Buffer>();

  constructor(private readonly w: WeightFiles) {
    checkWeightData(w);
  }

  has(name: string): boolean {
    return this.w.tensors.has(name);
  }

  get(name: string): Tensor {
    const e = this.w.tensors.get(name);
    if (!e) throw new EngineError(`the weights have no tensor ${quoted(name)}`);
    const buf = this.file(e.file);
    const [s, end] = e.data_offsets.map((o) => e.dataStart + o);
    if (end > buf.length) throw new EngineError(`${e.file}: tensor ${quoted(name)} lies past the end of the file`);
    const count = e.shape.reduce((a, b) => a * b, 1);
    return { shape: e.shape, data: toFloat32(buf.subarray(s, end), e.dtype, count, `${e.file}: tensor ${quoted(name)}`) };
  }

  /** Drops the file buffers once the graph holds its own copies. */
  release(): void {
    this.buffers.clear();
  }

  /** Reads every weight file ahead of building, in chunks: `onProgress(done, total)` in bytes;
   *  a cancel between chunks stops it and drops what was read. */
  async preload(onProgress: (done: number, total: number) => void, cancelled: () => boolean): Promise<void> {
    let before = 0;
    try {
      for (const f of this.w.files) {
        if (this.buffers.has(f)) continue;
        before += this.keep(f, await readRegularFileInChunks(f, (n) => onProgress(before + n, this.w.bytes), cancelled)).length;
      }
    } catch (e) {
      this.release();
      throw e;
    }
  }

  private file(file: string): Buffer {
    return this.buffers.get(file) ?? this.keep(file, readRegularFile(file, MAX_BYTES.none));
  }

  /** Keeps a file's bytes once they match the size its header was read with. */
  private keep(file: string, buf: Buffer): Buffer {
    if (buf.length !== this.w.headers.find((h) => h.file === file)?.fileSize) throw new EngineError(`${file}: changed since its header was read`);
    this.buffers.set(file, buf);
    return buf;
  }
}
