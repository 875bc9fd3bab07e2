// Reader for the safetensors format: u64 little-endian header length, a JSON header naming each
// tensor's dtype, shape and byte range, then the raw data. F32, F16 and BF16 are read as float32.
import { EngineError, quoted } from './errors';
import { MAX_BYTES, readFileRange, readRegularFile, statRegularFile } from './safeFile';

export interface Tensor {
  shape: number[];
  /** Row-major float32 data. */
  data: Float32Array;
}

export type TensorMap = Map<string, Tensor>;

/** Bytes per element of each dtype the safetensors spec defines. */
export const DTYPE_BYTES: Readonly<Record<string, number>> = {
  BOOL: 1, U8: 1, I8: 1, F8_E5M2: 1, F8_E4M3: 1, I16: 2, U16: 2, F16: 2, BF16: 2,
  I32: 4, U32: 4, F32: 4, F64: 8, I64: 8, U64: 8,
};

export interface HeaderEntry {
  dtype: string;
  shape: number[];
  /** Byte range relative to the start of the file's data. */
  data_offsets: [number, number];
}

/** A validated header: every entry well formed, the tensors tiling [0, dataBytes) with no hole
 *  or overlap. Whether the file holds dataBytes after the header is checkDataArea's question. */
export interface SafetensorsHeader {
  file: string;
  tensors: Map<string, HeaderEntry>;
  /** Where the data starts in the file: 8 + the header's length. */
  dataStart: number;
  /** Bytes of data the tensors declare. */
  dataBytes: number;
  fileSize: number;
}

/** The header of a safetensors file, read and validated without reading the data. */
export function readSafetensorsHeader(file: string): SafetensorsHeader {
  const size = statRegularFile(file).size;
  const prefix = size < 8 ? new Uint8Array(0) : readFileRange(file, 0, 8).bytes;
  const n = headerLength(prefix, size, file);
  const { bytes, fileSize } = readFileRange(file, 8, n);
  return parseHeader(bytes, fileSize, file);
}

export function readSafetensors(file: string): TensorMap {
  return parseSafetensors(readRegularFile(file, MAX_BYTES.none), file);
}

export function parseSafetensors(buf: Uint8Array, file = 'safetensors'): TensorMap {
  const n = headerLength(buf.subarray(0, 8), buf.length, file);
  const h = parseHeader(buf.subarray(8, 8 + n), buf.length, file);
  checkDataArea(h);
  const out: TensorMap = new Map();
  for (const [name, e] of h.tensors) {
    const [s, end] = e.data_offsets;
    const count = e.shape.reduce((a, b) => a * b, 1);
    out.set(name, { shape: e.shape, data: toFloat32(buf.subarray(h.dataStart + s, h.dataStart + end), e.dtype, count, `${file}: tensor ${quoted(name)}`) });
  }
  return out;
}

/** The header length N from the first 8 bytes (u64 little-endian): 2 <= N <= 100 MB, 8 + N <= size. */
function headerLength(prefix: Uint8Array, fileSize: number, file: string): number {
  if (prefix.length < 8) throw new EngineError(`${file}: too short to be a safetensors file (${fileSize} bytes)`);
  const n = new DataView(prefix.buffer, prefix.byteOffset, 8).getBigUint64(0, true);
  if (n < 2n || n > BigInt(MAX_BYTES.safetensorsHeader)) {
    throw new EngineError(`${file}: not a safetensors file (header length ${n}, which must be between 2 and ${MAX_BYTES.safetensorsHeader.toLocaleString('en-US')})`);
  }
  if (8n + n > BigInt(fileSize)) throw new EngineError(`${file}: header length ${n} exceeds the file (${fileSize} bytes)`);
  return Number(n);
}

/** Validates the JSON header against the spec (see SafetensorsHeader). */
function parseHeader(bytes: Uint8Array, fileSize: number, file: string): SafetensorsHeader {
  const fail = (what: string): never => {
    throw new EngineError(`${file}: ${what}`);
  };
  let raw: unknown;
  try {
    raw = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
  } catch {
    fail('safetensors header is not valid JSON');
  }
  if (!isObject(raw)) fail('safetensors header is not a JSON object');
  const tensors = new Map<string, HeaderEntry>();
  for (const [name, e] of Object.entries(raw as Record<string, unknown>)) {
    if (name === '__metadata__') {
      if (!isObject(e) || !Object.values(e).every((v) => typeof v === 'string')) fail('"__metadata__" must be an object of strings');
      continue;
    }
    const bad = (what: string): never => fail(`tensor ${quoted(name)}: ${what}`);
    if (!isObject(e)) bad('its entry is not an object');
    const { dtype, shape, data_offsets: offsets } = e as Record<string, unknown>;
    if (typeof dtype !== 'string' || !Object.hasOwn(DTYPE_BYTES, dtype)) bad(`unknown dtype ${quoted(dtype ?? null)}`);
    if (!Array.isArray(shape) || !shape.every(isCount)) bad('"shape" must be an array of non-negative integers');
    if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every(isCount)) bad('"data_offsets" must be [begin, end], non-negative integers');
    const [begin, end] = offsets as [number, number];
    if (begin > end) bad(`"data_offsets" [${begin}, ${end}] end before they begin`);
    const count = (shape as number[]).reduce((a, b) => a * b, 1);
    const size = count * DTYPE_BYTES[dtype as string];
    if (!Number.isSafeInteger(size)) bad(`shape [${(shape as number[]).join(', ')}] has too many elements`);
    if (end - begin !== size) bad(`${end - begin} bytes for ${count} ${String(dtype)} values (${size} bytes)`);
    tensors.set(name, { dtype: dtype as string, shape: shape as number[], data_offsets: [begin, end] });
  }
  // Sorted by offset, each tensor must begin where the previous one ended.
  const sorted = [...tensors].sort(([, a], [, b]) => a.data_offsets[0] - b.data_offsets[0] || a.data_offsets[1] - b.data_offsets[1]);
  let cursor = 0;
  let previous = '';
  for (const [name, { data_offsets: [begin, end] }] of sorted) {
    if (begin < cursor) fail(`tensor ${quoted(name)} (data bytes ${begin} to ${end}) overlaps tensor ${quoted(previous)}, which ends at ${cursor}`);
    if (begin > cursor) fail(`data bytes ${cursor} to ${begin} belong to no tensor (a hole before tensor ${quoted(name)})`);
    cursor = end;
    previous = name;
  }
  return { file, tensors, dataStart: 8 + bytes.length, dataBytes: cursor, fileSize };
}

/** The file holds exactly the data its header declares: nothing past its end, nothing after. */
export function checkDataArea(h: SafetensorsHeader): void {
  const area = h.fileSize - h.dataStart;
  if (h.dataBytes > area) {
    throw new EngineError(`${h.file}: the tensors end at data byte ${h.dataBytes}, past the end of the file (its data holds ${area} bytes)`);
  }
  if (h.dataBytes < area) throw new EngineError(`${h.file}: ${area - h.dataBytes} bytes after the last tensor belong to no tensor`);
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isCount = (v: unknown): boolean => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;

/** The dtypes the lens converts to float32, and their sizes. */
const CONVERTED: Readonly<Record<string, number>> = { F32: 4, F16: 2, BF16: 2 };

export function toFloat32(bytes: Uint8Array, dtype: string, count: number, what: string): Float32Array {
  const size = Object.hasOwn(CONVERTED, dtype) ? CONVERTED[dtype] : 0;
  if (!size) throw new EngineError(`${what} has dtype ${quoted(dtype)}; only F32, F16 and BF16 are supported`);
  if (bytes.length !== count * size) throw new EngineError(`${what}: ${bytes.length} bytes for ${count} ${quoted(dtype)} values`);
  const out = new Float32Array(count);
  // Typed-array views are native-endian: x86 and ARM are little-endian, as safetensors is.
  if (dtype === 'F32') {
    new Uint8Array(out.buffer).set(bytes);
    return out;
  }
  // Two-byte values: a view when aligned (safetensors aligns its data), else a copy.
  const u16 = bytes.byteOffset % 2 === 0
    ? new Uint16Array(bytes.buffer, bytes.byteOffset, count)
    : new Uint16Array(Uint8Array.from(bytes).buffer, 0, count); // a copy: Buffer#slice would share the file's whole buffer
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
