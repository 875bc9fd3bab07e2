// Owns the inference worker and the session of the configured model: loaded on first use, and
// again when its files change on disk or the worker was restarted.
import * as path from 'path';
import * as vscode from 'vscode';
import { CancellationTokenSource } from '../engine/cancellation';
import { CancelledError, EngineError } from '../engine/errors';
import { assembleModel, summarize, type OpenedModel } from '../engine/modelParts';
import { ProbeCache } from '../engine/probeCache';
import { ModelSession } from '../engine/session';
import { WorkerPool } from '../worker/workerPool';
import { folderStamp } from './folderStamp';

export class ModelManager implements vscode.Disposable {
  private pool: WorkerPool | null = null;
  /** The configured model's session; `loading` cancels its load when another replaces it. */
  private current: { dir: string; stamp: string; session: Promise<ModelSession>; loading: CancellationTokenSource } | null = null;
  /** The folder stamp each session was loaded from. */
  private readonly stamps = new WeakMap<ModelSession, string>();
  private readonly cache: ProbeCache;
  /** Extra latency per forward pass, for tests of stale results (never set by users). */
  forwardDelayMs = 0;
  /** Tests: make the worker exit just before the next forward pass, as a crash would (needs a
   *  worker started with test hooks: IL_E2E_TEST_HOOKS=1 in the environment). */
  crashWorkerOnNextForward = false;

  constructor(private readonly context: vscode.ExtensionContext, private readonly log: vscode.LogOutputChannel) {
    this.cache = new ProbeCache(context.globalStorageUri.fsPath);
  }

  get bundledModelDir(): string {
    return path.join(this.context.extensionPath, 'media', 'models', 'attn-only-2l');
  }

  /** The folder a model setting names. Relative paths are resolved against the first workspace
   *  folder, and only in a trusted workspace: an untrusted one must not choose the model. */
  resolveDir(setting: string): string {
    if (!setting) return this.bundledModelDir;
    if (path.isAbsolute(setting)) return setting;
    if (!vscode.workspace.isTrusted) {
      throw new ModelSettingError(vscode.l10n.t('the model path {0} is relative, and relative paths are resolved against the workspace, which is not trusted: use an absolute path or trust the workspace', JSON.stringify(setting)));
    }
    const ws = vscode.workspace.workspaceFolders?.[0];
    if (!ws) throw new ModelSettingError(vscode.l10n.t('the model path {0} is relative and no folder is open: use an absolute path', JSON.stringify(setting)));
    return path.join(ws.uri.fsPath, setting);
  }

  get workerPool(): WorkerPool {
    if (!this.pool) {
      // Test hooks only for the real-VS-Code tests' code-server (never in a user's VS Code).
      this.pool = new WorkerPool(path.join(this.context.extensionPath, 'dist', 'worker.js'), { testHooks: process.env.IL_E2E_TEST_HOOKS === '1' });
      this.pool.onCrash = (message) => {
        // The model lived in the dead worker: the next request loads it again, with progress.
        this.current = null;
        this.log.error(message);
        void vscode.window.showWarningMessage(vscode.l10n.t('Induction Lens: {0}.', message));
      };
    }
    return this.pool;
  }

  isLoaded(dir: string): boolean {
    return this.current?.dir === dir && this.current.stamp === folderStamp(dir);
  }

  /** The stamp of the files a session was loaded from. */
  stampOf(s: ModelSession): string {
    return this.stamps.get(s) ?? '';
  }

  /** Whether the files a session was loaded from are still those on disk. */
  isUpToDate(s: ModelSession): boolean {
    return this.stamps.get(s) === folderStamp(s.model.folder.dir);
  }

  /** The session for a model folder, loading it (with progress) the first time, and again when
   *  its files changed on disk, so analysis and circuits always come from the same weights. */
  session(dir: string): Promise<ModelSession> {
    const stamp = folderStamp(dir);
    if (this.current?.dir === dir && this.current.stamp === stamp) return this.current.session;
    if (this.current?.dir === dir) this.log.info(`the files of ${dir} changed on disk: loading the model again`);
    const previous = this.current;
    const source = new CancellationTokenSource();
    const session = vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: vscode.l10n.t('Induction Lens'), cancellable: true },
      async (progress, userToken) => {
        const stop = userToken.onCancellationRequested(() => source.cancel());
        const name = path.basename(dir);
        try {
          progress.report({ message: vscode.l10n.t('opening {0}…', name) });
          const t0 = Date.now();
          // The worker reads and checks the folder; the host builds the model from what it sent.
          const model = assembleModel(await this.workerPool.open(dir));
          const backend = await this.workerPool.backend(dir, undefined, stamp, source.token, (p) => progress.report({ message: stageText(name, p) }));
          const s = new ModelSession(model, this.delayed(backend), this.cache);
          this.stamps.set(s, stamp);
          progress.report({ message: vscode.l10n.t('{0}: scoring heads on the repeated-random-token probe…', name) });
          await s.probe();
          this.log.info(`loaded ${loadSummary(model)} from ${dir} in ${Date.now() - t0} ms`);
          return s;
        } catch (e) {
          // A load the user cancelled: the worker stopped and freed it; say so plainly.
          if (e instanceof CancelledError && userToken.isCancellationRequested) throw new LoadCancelledError(vscode.l10n.t('loading {0} was cancelled', name));
          throw e;
        } finally {
          stop.dispose();
        }
      },
    );
    this.current = { dir, stamp, session: Promise.resolve(session), loading: source };
    this.current.session.catch((e) => {
      if (this.current?.session === session) this.current = null;
      if (e instanceof LoadCancelledError) this.log.info(e.message);
      else this.log.error(`model load failed: ${(e as Error).message}`);
    });
    if (previous) {
      // A load still running is stopped (the worker handles one request at a time, so it would
      // hold this one up, and both models would be in memory); a finished one is disposed.
      previous.loading.cancel();
      previous.session.then((s) => s.dispose()).catch(() => undefined);
    }
    return this.current.session;
  }

  private delayed<T extends { forward: ModelSession['backend']['forward'] }>(backend: T): T {
    const original = backend.forward.bind(backend);
    backend.forward = async (req) => {
      const delay = this.forwardDelayMs;
      if (delay > 0) await new Promise((r) => setTimeout(r, delay));
      if (this.crashWorkerOnNextForward) {
        // Queued before the forward pass: the worker exits at a clean point, never while
        // onnxruntime runs in it, and the pass in flight fails as it would after a crash.
        this.crashWorkerOnNextForward = false;
        this.workerPool.request({ type: 'crashForTest', how: 'exit' }).catch(() => undefined);
      }
      return original(req);
    };
    return backend;
  }

  dispose(): void {
    this.current?.session.then((s) => s.dispose()).catch(() => undefined);
    this.current = null;
    void this.pool?.terminate();
    this.pool = null;
  }
}

/** The user cancelled a model load (not a failure: nothing to fix). */
export class LoadCancelledError extends EngineError {}

/** inductionLens.modelPath cannot be used as written: the error offers Open Settings. */
export class ModelSettingError extends EngineError {}

/** What the progress notification says during a load stage. */
function stageText(name: string, p: { stage: 'reading' | 'building' | 'session'; done?: number; total?: number }): string {
  const mb = (n = 0) => Math.round(n / 1e6).toLocaleString(vscode.env.language);
  if (p.stage === 'reading') return vscode.l10n.t('{0}: reading weights, {1} of {2} MB…', name, mb(p.done), mb(p.total));
  return p.stage === 'building' ? vscode.l10n.t('{0}: building the graph…', name) : vscode.l10n.t('{0}: creating the onnxruntime session…', name);
}

export function describeError(e: unknown): string {
  return e instanceof EngineError ? e.message : vscode.l10n.t('unexpected error: {0}', (e as Error)?.message ?? String(e));
}

/** What a load log line names: the model's id, shape and size (the worker's `summarize`). */
function loadSummary(model: OpenedModel): string {
  const d = model.dims;
  let kind: string;
  try {
    kind = summarize(model.folder).kind;
  } catch {
    kind = 'unknown kind';
  }
  return `${model.folder.manifest.id} (${kind}; ${d.nLayers} layers × ${d.nHeads} heads, d_model ${d.dModel}, context ${d.nCtx}, vocabulary ${d.dVocab})`;
}
