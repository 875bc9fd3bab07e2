// The one way the engine reads files of a model folder, which may come from anywhere: only regular
// files (symlinks followed, as the Hugging Face cache links snapshots into blobs/), checked before
// they are opened (opening a FIFO blocks; /dev/zero never ends), and read up to the size stat
// reported, never "until EOF", under a cap that fits each format.
import * as fs from 'fs';
import { CancelledError, EngineError, quoted } from './errors';

/** Size caps per format, far above what real models ship (a 70 B model's shard index is ~60 KB,
 *  Llama 3's tokenizer.json 9 MB, Gemma's 34 MB). */
export const MAX_BYTES = {
  manifest: 1_000_000,
  config: 1_000_000,
  shardIndex: 16_000_000,
  tokenizer: 64_000_000,
  /** The safetensors spec caps the header at 100 MB. */
  safetensorsHeader: 100_000_000,
  /** ONNX and safetensors data: only the file's own size. */
  none: Infinity,
} as const;

// O_NONBLOCK: should the path be swapped for a FIFO between stat and open, open still returns.
const OPEN_FLAGS = fs.constants.O_RDONLY | (fs.constants.O_NONBLOCK ?? 0);

/** Whether anything (even a FIFO or a device) is at the path; a regular file is checked on read. */
export function isPresent(file: string): boolean {
  return fs.statSync(file, { throwIfNoEntry: false }) !== undefined;
}

/** The stat of a regular file (through symlinks), or an EngineError naming what is there instead. */
export function statRegularFile(file: string): fs.Stats {
  let st: fs.Stats;
  try {
    st = fs.statSync(file);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new EngineError(code === 'ENOENT' ? `${file}: does not exist` : `${file}: cannot be read (${(e as Error).message})`);
  }
  if (!st.isFile()) throw new EngineError(`${file}: is not a regular file (it is ${kindOf(st)})`);
  return st;
}

function kindOf(st: fs.Stats): string {
  if (st.isDirectory()) return 'a directory';
  if (st.isFIFO()) return 'a FIFO';
  if (st.isCharacterDevice() || st.isBlockDevice()) return 'a device';
  if (st.isSocket()) return 'a socket';
  return 'not a file';
}

/** Opens a regular file and checks the open descriptor is the file that was stat'ed. */
function openRegular(file: string): { fd: number; size: number } {
  const before = statRegularFile(file);
  let fd: number;
  try {
    fd = fs.openSync(file, OPEN_FLAGS);
  } catch (e) {
    throw new EngineError(`${file}: cannot be read (${(e as Error).message})`);
  }
  const st = fs.fstatSync(fd);
  if (!st.isFile() || st.ino !== before.ino || st.dev !== before.dev) {
    fs.closeSync(fd);
    throw new EngineError(`${file}: changed while being opened`);
  }
  return { fd, size: st.size };
}

/** Fills `buf` from `position` on, or fails: the file must not have shrunk since its stat. */
function readExactly(fd: number, file: string, buf: Buffer, position: number): void {
  let done = 0;
  while (done < buf.length) {
    const n = fs.readSync(fd, buf, done, buf.length - done, position + done);
    if (n === 0) throw new EngineError(`${file}: changed while being read (ended after ${position + done} bytes)`);
    done += n;
  }
}

/** Reads a large regular file in chunks, yielding between them so a cancel can arrive: `onBytes`
 *  hears the bytes read so far, and `cancelled` is asked between chunks (true: stop and free). */
export async function readRegularFileInChunks(file: string, onBytes: (bytes: number) => void, cancelled: () => boolean): Promise<Buffer> {
  const CHUNK = 64 * 2 ** 20;
  const { fd, size } = openRegular(file);
  try {
    let buf: Buffer;
    try {
      buf = Buffer.allocUnsafe(size);
    } catch {
      throw new EngineError(`${file}: is ${size.toLocaleString('en-US')} bytes, too large to read into memory`);
    }
    for (let at = 0; at < size; at += CHUNK) {
      if (cancelled()) throw new CancelledError();
      readExactly(fd, file, buf.subarray(at, Math.min(size, at + CHUNK)), at);
      onBytes(Math.min(size, at + CHUNK));
      await new Promise((r) => setImmediate(r));
    }
    return buf;
  } finally {
    fs.closeSync(fd);
  }
}

/** A regular file's contents, refused when larger than `maxBytes`. */
export function readRegularFile(file: string, maxBytes: number): Buffer {
  const { fd, size } = openRegular(file);
  try {
    if (size > maxBytes) throw new EngineError(`${file}: is ${size.toLocaleString('en-US')} bytes, more than the ${maxBytes.toLocaleString('en-US')} this kind of file may have`);
    let buf: Buffer;
    try {
      buf = Buffer.allocUnsafe(size);
    } catch {
      throw new EngineError(`${file}: is ${size.toLocaleString('en-US')} bytes, too large to read into memory`);
    }
    readExactly(fd, file, buf, 0);
    return buf;
  } finally {
    fs.closeSync(fd);
  }
}

/** Bytes [start, start + length) of a regular file (refused if they pass its end), and its size. */
export function readFileRange(file: string, start: number, length: number): { bytes: Buffer; fileSize: number } {
  const { fd, size } = openRegular(file);
  try {
    if (start + length > size) throw new EngineError(`${file}: is ${size} bytes, too short for bytes ${start} to ${start + length}`);
    const bytes = Buffer.alloc(length);
    readExactly(fd, file, bytes, start);
    return { bytes, fileSize: size };
  } finally {
    fs.closeSync(fd);
  }
}

/** A name read from a file that must be a file in the model folder itself: not a path (no / or \,
 *  not . or .., no drive or stream colon), no control characters. Returns it, or fails naming `what`. */
export function checkPlainFileName(name: unknown, what: string): string {
  const plain = typeof name === 'string' && name.length > 0 && name !== '.' && name !== '..'
    && !/[/\\:\u0000-\u001f\u007f-\u009f]/.test(name);
  if (!plain) throw new EngineError(`${what} must be the name of a file in the model folder, not a path (got ${quoted(name ?? null)})`);
  return name;
}
