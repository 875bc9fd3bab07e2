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
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out = new Float32Array(count);
  if (dtype === 'F32') for (let i = 0; i < count; i++) out[i] = dv.getFloat32(i * 4, true);
  else if (dtype === 'BF16') {
    const u = new Uint32Array(1);
    const f = new Float32Array(u.buffer);
    for (let i = 0; i < count; i++) {
      u[0] = dv.getUint16(i * 2, true) << 16;
      out[i] = f[0];
    }
  } else for (let i = 0; i < count; i++) out[i] = halfToFloat(dv.getUint16(i * 2, true));
  return out;
}

function halfToFloat(h: number): number {
  const s = h & 0x8000 ? -1 : 1;
  const e = (h >> 10) & 0x1f;
  const m = h & 0x3ff;
  if (e === 0) return s * m * 2 ** -24;
  if (e === 31) return m ? NaN : s * Infinity;
  return s * (1 + m / 1024) * 2 ** (e - 15);
}
