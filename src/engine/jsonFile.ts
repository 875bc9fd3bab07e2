// A JSON file read for the engine: a message naming the file when it is unreadable or malformed.
import { EngineError } from './errors';
import { readRegularFile } from './safeFile';

/** Parses a regular file of at most `maxBytes` (one of safeFile's MAX_BYTES). */
export function readJsonFile(file: string, maxBytes: number): unknown {
  const text = readRegularFile(file, maxBytes).toString('utf8');
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new EngineError(`${file}: not valid JSON: ${(e as Error).message}`);
  }
}
