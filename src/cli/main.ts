// induction-lens CLI: the engine's analysis as a table or as JSON.
import * as fs from 'fs';
import * as path from 'path';
import { EngineError } from '../engine/errors';
import { openModel } from '../engine/model';
import { OrtModel } from '../worker/ortModel';
import { ModelSession } from '../engine/session';
import { textBudget } from '../engine/analysis';
import { analysisJson, pathAblationJson } from '../engine/report';
import { circuitsText, headsTable, analysisTable } from './format';
import { circuitsUnavailableReason, computeCircuits } from '../engine/circuits';
import { readSafetensors } from '../engine/safetensors';
import { runPathTest } from '../engine/pathTest';
import type { HeadRef } from '../protocol/headRef';
import type { PathName, PathSpec } from '../protocol/pathSpec';

/** The same default as the extension's inductionLens.maxTokens setting, and the same maximum. */
export const DEFAULT_MAX_TOKENS = 2048;
export const MAX_MAX_TOKENS = 8192;

const USAGE = `usage:
  induction-lens analyze FILE [--model DIR] [--json] [--top-k K] [--induction-threshold X] [--max-tokens N]
  induction-lens heads [--model DIR] [--json]
  induction-lens circuits [--model DIR] --json
  induction-lens path-ablation FILE --sender L0H2 --receiver L1H7 --path q|k|v [--mode zero|mean] [--norm recompute|frozen] [--model DIR] --json`;

class UsageError extends Error {}

interface Args {
  command: string;
  file?: string;
  model: string;
  json: boolean;
  topK: number;
  threshold: number;
  maxTokens: number;
  sender?: HeadRef;
  receiver?: HeadRef;
  path?: PathName;
  mode: PathSpec['mode'];
  norm: PathSpec['norm'];
}

/** "L1H7" -> { layer: 1, head: 7 }. */
function headArg(v: string, flag: string): HeadRef {
  const m = /^L(\d{1,4})H(\d{1,4})$/i.exec(v);
  if (!m) throw new UsageError(`${flag} must name a head as L<layer>H<head>, e.g. L1H7 (got "${v}")`);
  return { layer: Number(m[1]), head: Number(m[2]) };
}

function oneOf<T extends string>(v: string, flag: string, values: readonly T[]): T {
  if (!(values as readonly string[]).includes(v)) throw new UsageError(`${flag} must be one of ${values.join(', ')} (got "${v}")`);
  return v as T;
}

export function defaultModelDir(): string {
  return path.join(__dirname, '..', 'media', 'models', 'attn-only-2l');
}

export function parseArgs(argv: string[]): Args {
  const [command, ...rest] = argv;
  if (!command || !['analyze', 'heads', 'circuits', 'path-ablation'].includes(command)) {
    throw new UsageError(command ? `unknown command "${command}"` : 'missing command');
  }
  const args: Args = { command, model: defaultModelDir(), json: false, topK: 0, threshold: 0.4, maxTokens: DEFAULT_MAX_TOKENS, mode: 'zero', norm: 'recompute' };
  const value = (i: number, flag: string) => {
    if (i >= rest.length || rest[i].startsWith('--')) throw new UsageError(`${flag} needs a value`);
    return rest[i];
  };
  for (let i = 0; i < rest.length; i++) {
    const a = rest[i];
    if (a === '--json') args.json = true;
    else if (a === '--model') args.model = value(++i, a);
    else if (a === '--top-k') {
      const k = Number(value(++i, a));
      if (!Number.isInteger(k) || k < 1 || k > 100) throw new UsageError('--top-k must be an integer from 1 to 100');
      args.topK = k;
    } else if (a === '--induction-threshold') {
      const t = Number(value(++i, a));
      if (!Number.isFinite(t) || t < 0 || t > 1) throw new UsageError('--induction-threshold must be a number from 0 to 1');
      args.threshold = t;
    } else if (a === '--max-tokens') {
      const n = Number(value(++i, a));
      if (!Number.isInteger(n) || n < 16 || n > MAX_MAX_TOKENS) throw new UsageError(`--max-tokens must be an integer from 16 to ${MAX_MAX_TOKENS}`);
      args.maxTokens = n;
    } else if (a === '--sender') args.sender = headArg(value(++i, a), a);
    else if (a === '--receiver') args.receiver = headArg(value(++i, a), a);
    else if (a === '--path') args.path = oneOf(value(++i, a), a, ['q', 'k', 'v'] as const);
    else if (a === '--mode') args.mode = oneOf(value(++i, a), a, ['zero', 'mean'] as const);
    else if (a === '--norm') args.norm = oneOf(value(++i, a), a, ['recompute', 'frozen'] as const);
    else if (a.startsWith('--')) throw new UsageError(`unknown flag ${a}`);
    else if ((command === 'analyze' || command === 'path-ablation') && args.file === undefined) args.file = a;
    else throw new UsageError(`unexpected argument "${a}"`);
  }
  if ((command === 'analyze' || command === 'path-ablation') && args.file === undefined) throw new UsageError(`${command} needs a FILE`);
  if (command === 'path-ablation') {
    if (!args.sender || !args.receiver || !args.path) throw new UsageError('path-ablation needs --sender, --receiver and --path');
    if (!args.json) throw new UsageError('path-ablation prints JSON only: add --json');
  }
  if (command === 'circuits' && !args.json) throw new UsageError('circuits prints JSON only: add --json');
  return args;
}

/**
 * Reads the start of a text file as UTF-8: at most `maxBytes` (a huge file is never read whole),
 * refusing what is not a regular file, binary content and other encodings. `cut` says whether
 * the file went on past what was read.
 */
export function readTextFile(file: string, maxBytes = Infinity): { text: string; cut: boolean } {
  let buf: Buffer;
  let size: number;
  try {
    const st = fs.statSync(file);
    if (!st.isFile()) throw new EngineError(`${file}: is not a regular file`);
    size = st.size;
    const fd = fs.openSync(file, 'r');
    try {
      buf = Buffer.alloc(Math.min(size, maxBytes));
      buf = buf.subarray(0, fs.readSync(fd, buf, 0, buf.length, 0));
    } finally {
      fs.closeSync(fd);
    }
  } catch (e) {
    if (e instanceof EngineError) throw e;
    throw new EngineError(`${file}: cannot be read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  if (buf.includes(0)) throw new EngineError(`${file}: looks binary (contains NUL bytes)`);
  const cut = buf.length < size;
  let text: string;
  try {
    // A cut may end inside a character: `stream` leaves its first bytes out instead of failing.
    text = new TextDecoder('utf-8', { fatal: true }).decode(buf, { stream: cut });
  } catch {
    throw new EngineError(`${file}: is not valid UTF-8 text`);
  }
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  if (text.trim().length === 0) throw new EngineError(`${file}: is empty (nothing to analyze)`);
  return { text, cut };
}

async function run(args: Args): Promise<string> {
  const model = openModel(args.model);
  if (args.command === 'circuits') {
    const why = circuitsUnavailableReason(model.folder.manifest);
    if (why || !model.folder.weightsPath) throw new EngineError(`${args.model}: ${why ?? 'no weights file'}`);
    const weights = readSafetensors(model.folder.weightsPath);
    return circuitsText(computeCircuits(weights, model.folder.manifest)) + '\n';
  }
  // Read no more of the file than the analysis can use (3 UTF-8 bytes per UTF-16 unit at most).
  const file = args.command === 'analyze' || args.command === 'path-ablation' ? readTextFile(args.file!, 3 * textBudget(model.tokenizer, args.maxTokens)) : null;
  const text = file?.text ?? '';
  const backend = await OrtModel.load(model.folder);
  const session = new ModelSession(model, backend);
  try {
    const probe = await session.probe();
    if (args.command === 'heads') return headsTable(session, probe, args.threshold, args.json);
    if (args.command === 'path-ablation') {
      const spec: PathSpec = { sender: args.sender!, receiver: args.receiver!, path: args.path!, mode: args.mode, norm: args.norm };
      return JSON.stringify(pathAblationJson(session, await runPathTest(session, text, spec, { maxTokens: args.maxTokens }))) + '\n';
    }
    const a = await session.analyze(text, { inductionThreshold: args.threshold, topK: Math.max(args.topK, 1), keepAttentions: false, maxTokens: args.maxTokens, attribution: true });
    if (a.cutBy || file?.cut) {
      process.stderr.write(`induction-lens: analyzed the first ${a.tokens.ids.length} tokens (${a.analyzedLength} characters) of ${args.file}; the rest was cut (--max-tokens ${args.maxTokens})\n`);
    }
    await session.ablate(a);
    return args.json ? JSON.stringify(analysisJson(session, a, args.topK)) + '\n' : analysisTable(session, a, text, args.topK);
  } finally {
    await session.dispose();
  }
}

export async function main(argv: string[]): Promise<number> {
  if (argv.length === 0 || argv[0] === '--help' || argv[0] === '-h' || argv[0] === 'help') {
    (argv.length === 0 ? process.stderr : process.stdout).write(`${USAGE}\n`);
    return argv.length === 0 ? 2 : 0;
  }
  let args: Args;
  try {
    args = parseArgs(argv);
  } catch (e) {
    process.stderr.write(`induction-lens: ${(e as Error).message} (see induction-lens --help)\n`);
    return 2;
  }
  try {
    const out = await run(args);
    process.stdout.write(out);
    return 0;
  } catch (e) {
    const msg = e instanceof EngineError ? e.message : `unexpected error: ${(e as Error).message}`;
    process.stderr.write(`induction-lens: ${msg.replace(/\s*\n\s*/g, ' ')}\n`);
    return 2;
  }
}
