// A JSON file read for the engine: a message naming the file when it is unreadable or malformed.
import * as fs from 'fs';
import { EngineError } from './errors';

export function readJsonFile(file: string): unknown {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    throw new EngineError(`${file}: cannot be read (${(e as Error).message})`);
  }
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new EngineError(`${file}: not valid JSON: ${(e as Error).message}`);
  }
}
