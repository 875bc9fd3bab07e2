// The safetensors files of a Hugging Face folder: model.safetensors, or shards listed in
// model.safetensors.index.json. Headers are read alone (sizes, names) before any data is loaded.
import * as fs from 'fs';
import * as path from 'path';
import { EngineError } from '../errors';
import { readJsonFile } from '../jsonFile';
import { toFloat32, type Tensor } from '../safetensors';

export interface HeaderEntry {
  dtype: string;
  shape: number[];
  /** Byte range relative to the start of the file's data. */
  data_offsets: [number, number];
}

export interface WeightFiles {
  /** Absolute paths of the safetensors files, in a stable order. */
  files: string[];
  /** Tensor name -> its dtype, shape and place, across all files. */
  tensors: Map<string, HeaderEntry & { file: string; dataStart: number }>;
  /** Values in all tensors. */
  parameterCount: number;
  /** Bytes on disk of all files. */
  bytes: number;
}

/** Saved buffers that are not parameters and that the graph never reads: GPT-2's and GPT-NeoX's
 *  causal masks, rotary frequency tables. */
const BUFFER = /(\.attn\.bias|\.attention\.bias|masked_bias|rotary_emb\.inv_freq)$/;

export function findWeightFiles(dir: string): WeightFiles {
  const single = path.join(dir, 'model.safetensors');
  const index = path.join(dir, 'model.safetensors.index.json');
  let files: string[];
  if (fs.existsSync(single)) files = [single];
  else if (fs.existsSync(index)) {
    const map = (readJsonFile(index) as { weight_map?: Record<string, string> } | null)?.weight_map;
    if (!map || typeof map !== 'object') throw new EngineError(`${index}: has no "weight_map"`);
    files = [...new Set(Object.values(map))].sort().map((f) => path.join(dir, f));
    for (const f of files) if (!fs.existsSync(f)) throw new EngineError(`${index}: lists ${path.basename(f)}, which is missing`);
  } else {
    const bin = ['pytorch_model.bin', 'model.bin'].find((f) => fs.existsSync(path.join(dir, f)));
    throw new EngineError(
      bin
        ? `${dir}: has ${bin} but no model.safetensors; only safetensors weights can be read (convert with transformers' save_pretrained(safe_serialization=True))`
        : `${dir}: model.safetensors is missing`,
    );
  }
  const tensors: WeightFiles['tensors'] = new Map();
  let parameterCount = 0;
  let bytes = 0;
  for (const f of files) {
    bytes += fs.statSync(f).size;
    const { header, dataStart } = readHeader(f);
    for (const [name, e] of Object.entries(header)) {
      tensors.set(name, { ...e, file: f, dataStart });
      if (!BUFFER.test(name)) parameterCount += e.shape.reduce((a, b) => a * b, 1);
    }
  }
  return { files, tensors, parameterCount, bytes };
}

/** The JSON header of one safetensors file and where its data starts, without reading the data. */
export function readHeader(file: string): { header: Record<string, HeaderEntry>; dataStart: number } {
  const fd = fs.openSync(file, 'r');
  try {
    const len = Buffer.alloc(8);
    if (fs.readSync(fd, len, 0, 8, 0) < 8) throw new EngineError(`${file}: too short to be a safetensors file`);
    const n = Number(len.readBigUInt64LE(0));
    if (n > 100_000_000 || n > fs.fstatSync(fd).size - 8) throw new EngineError(`${file}: not a safetensors file (header length ${n})`);
    const buf = Buffer.alloc(n);
    fs.readSync(fd, buf, 0, n, 8);
    let header: Record<string, HeaderEntry>;
    try {
      header = JSON.parse(buf.toString('utf8'));
    } catch {
      throw new EngineError(`${file}: safetensors header is not valid JSON`);
    }
    delete (header as Record<string, unknown>).__metadata__;
    return { header, dataStart: 8 + n };
  } finally {
    fs.closeSync(fd);
  }
}

/** Reads tensors by name, converting each to float32 only when asked for (checkpoints also hold
 *  buffers such as causal masks, sometimes in dtypes the lens never reads). */
export class TensorReader {
  private readonly buffers = new Map<string, Buffer>();

  constructor(private readonly w: WeightFiles) {}

  has(name: string): boolean {
    return this.w.tensors.has(name);
  }

  get(name: string): Tensor {
    const e = this.w.tensors.get(name);
    if (!e) throw new EngineError(`the weights have no tensor "${name}"`);
    const buf = this.file(e.file);
    const [s, end] = e.data_offsets.map((o) => e.dataStart + o);
    if (end > buf.length) throw new EngineError(`${e.file}: tensor ${name} lies past the end of the file`);
    const count = e.shape.reduce((a, b) => a * b, 1);
    return { shape: e.shape, data: toFloat32(buf.subarray(s, end), e.dtype, count, `${e.file}: tensor ${name}`) };
  }

  /** Drops the file buffers once the graph holds its own copies. */
  release(): void {
    this.buffers.clear();
  }

  private file(file: string): Buffer {
    let buf = this.buffers.get(file);
    if (!buf) {
      try {
        buf = fs.readFileSync(file);
      } catch (e) {
        throw new EngineError(`${file}: cannot be read (${(e as Error).message})`);
      }
      this.buffers.set(file, buf);
    }
    return buf;
  }
}
