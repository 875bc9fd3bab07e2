// induction-lens CLI: the engine's analysis as a table or as JSON.
import * as fs from 'fs';
import * as path from 'path';
import { EngineError } from '../engine/errors';
import { openModel } from '../engine/model';
import { OrtModel } from '../worker/ortModel';
import { ModelSession } from '../engine/session';
import { analysisJson, circuitsText, headsTable, analysisTable } from './format';
import { circuitsUnavailableReason, computeCircuits } from '../engine/circuits';
import { readSafetensors } from '../engine/safetensors';

const USAGE = `usage:
  induction-lens analyze FILE [--model DIR] [--json] [--top-k K] [--induction-threshold X]
  induction-lens heads [--model DIR] [--json]
  induction-lens circuits [--model DIR] --json`;

class UsageError extends Error {}

interface Args {
  command: string;
  file?: string;
  model: string;
  json: boolean;
  topK: number;
  threshold: number;
}

export function defaultModelDir(): string {
  return path.join(__dirname, '..', 'media', 'models', 'attn-only-2l');
}

export function parseArgs(argv: string[]): Args {
  const [command, ...rest] = argv;
  if (!command || !['analyze', 'heads', 'circuits'].includes(command)) {
    throw new UsageError(command ? `unknown command "${command}"` : 'missing command');
  }
  const args: Args = { command, model: defaultModelDir(), json: false, topK: 0, threshold: 0.4 };
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
    } else if (a.startsWith('--')) throw new UsageError(`unknown flag ${a}`);
    else if (command === 'analyze' && args.file === undefined) args.file = a;
    else throw new UsageError(`unexpected argument "${a}"`);
  }
  if (command === 'analyze' && args.file === undefined) throw new UsageError('analyze needs a FILE');
  if (command === 'circuits' && !args.json) throw new UsageError('circuits prints JSON only: add --json');
  return args;
}

/** Reads a text file as UTF-8, refusing binary content and other encodings. */
export function readTextFile(file: string): string {
  let buf: Buffer;
  try {
    buf = fs.readFileSync(file);
  } catch (e) {
    throw new EngineError(`${file}: cannot be read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  if (buf.includes(0)) throw new EngineError(`${file}: looks binary (contains NUL bytes)`);
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(buf);
  } catch {
    throw new EngineError(`${file}: is not valid UTF-8 text`);
  }
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  if (text.trim().length === 0) throw new EngineError(`${file}: is empty (nothing to analyse)`);
  return text;
}

async function run(args: Args): Promise<string> {
  const model = openModel(args.model);
  if (args.command === 'circuits') {
    const why = circuitsUnavailableReason(model.folder.manifest);
    if (why || !model.folder.weightsPath) throw new EngineError(`${args.model}: ${why ?? 'no weights file'}`);
    const weights = readSafetensors(model.folder.weightsPath);
    return circuitsText(computeCircuits(weights, model.folder.manifest)) + '\n';
  }
  const text = args.command === 'analyze' ? readTextFile(args.file!) : '';
  const backend = await OrtModel.load(model.folder);
  const session = new ModelSession(model, backend);
  try {
    const probe = await session.probe();
    if (args.command === 'heads') return headsTable(session, probe, args.threshold, args.json);
    const a = await session.analyze(text, { inductionThreshold: args.threshold, topK: Math.max(args.topK, 1), keepAttentions: false });
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

if (require.main === module) {
  main(process.argv.slice(2)).then((code) => {
    process.exitCode = code;
  });
}
