// Reader for the safetensors format: u64 little-endian header length, a JSON header naming each
// tensor's dtype, shape and byte range, then the raw data. F32, F16 and BF16 are read as float32.
import * as fs from 'fs';
import { EngineError } from './errors';

export interface Tensor {
  shape: number[];
  /** Row-major float32 data. */
  data: Float32Array;
}

export type TensorMap = Map<string, Tensor>;

export function readSafetensors(file: string): TensorMap {
  let buf: Buffer;
  try {
    buf = fs.readFileSync(file);
  } catch (e) {
    throw new EngineError(`${file}: cannot be read (${(e as Error).message})`);
  }
  return parseSafetensors(buf, file);
}

export function parseSafetensors(buf: Uint8Array, file = 'safetensors'): TensorMap {
  if (buf.length < 8) throw new EngineError(`${file}: too short to be a safetensors file`);
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const headerLen = Number(view.getBigUint64(0, true));
  if (headerLen > buf.length - 8) throw new EngineError(`${file}: header length ${headerLen} exceeds the file`);
  let header: Record<string, { dtype: string; shape: number[]; data_offsets: [number, number] }>;
  try {
    header = JSON.parse(new TextDecoder().decode(buf.subarray(8, 8 + headerLen)));
  } catch {
    throw new EngineError(`${file}: header is not valid JSON`);
  }
  const base = 8 + headerLen;
  const out: TensorMap = new Map();
  for (const [name, info] of Object.entries(header)) {
    if (name === '__metadata__') continue;
    const [s, e] = info.data_offsets;
    const count = info.shape.reduce((a, b) => a * b, 1);
    const bytes = buf.subarray(base + s, base + e);
    if (base + e > buf.length) throw new EngineError(`${file}: tensor ${name} lies past the end of the file`);
    out.set(name, { shape: info.shape, data: toFloat32(bytes, info.dtype, count, `${file}: tensor ${name}`) });
  }
  return out;
}

export function toFloat32(bytes: Uint8Array, dtype: string, count: number, what: string): Float32Array {
  const size = { F32: 4, F16: 2, BF16: 2 }[dtype];
  if (!size) throw new EngineError(`${what} has dtype ${dtype}; only F32, F16 and BF16 are supported`);
  if (bytes.length !== count * size) throw new EngineError(`${what}: ${bytes.length} bytes for ${count} ${dtype} values`);
  const out = new Float32Array(count);
  // Typed-array views are native-endian: x86 and ARM are little-endian, as safetensors is.
  if (dtype === 'F32') {
    new Uint8Array(out.buffer).set(bytes);
    return out;
  }
  // Two-byte values: a view when aligned (safetensors aligns its data), else a copy.
  const u16 = bytes.byteOffset % 2 === 0
    ? new Uint16Array(bytes.buffer, bytes.byteOffset, count)
    : new Uint16Array(bytes.slice().buffer, 0, count);
  if (dtype === 'BF16') {
    const bits = new Uint32Array(out.buffer);
    for (let i = 0; i < count; i++) bits[i] = u16[i] << 16;
  } else {
    const table = halfTable();
    for (let i = 0; i < count; i++) out[i] = table[u16[i]];
  }
  return out;
}

let HALF_TABLE: Float32Array | null = null;

/** float32 value of every IEEE half-precision bit pattern (256 KB, built once). */
function halfTable(): Float32Array {
  if (!HALF_TABLE) {
    HALF_TABLE = new Float32Array(65536);
    for (let h = 0; h < 65536; h++) HALF_TABLE[h] = halfToFloat(h);
  }
  return HALF_TABLE;
}

function halfToFloat(h: number): number {
  const s = h & 0x8000 ? -1 : 1;
  const e = (h >> 10) & 0x1f;
  const m = h & 0x3ff;
  if (e === 0) return s * m * 2 ** -24;
  if (e === 31) return m ? NaN : s * Infinity;
  return s * (1 + m / 1024) * 2 ** (e - 15);
}
