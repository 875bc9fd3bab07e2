// One cancellation model for every request (in the spirit of vscode-jsonrpc's): a source per
// request, cancelled by the next one; work checks its token between stages and the worker gets
// an explicit cancel message. No vscode import: the engine, worker client and CLI share it.
import { CancelledError } from './errors';

export interface Disposable {
  dispose(): void;
}

export interface CancellationToken {
  readonly isCancellationRequested: boolean;
  /** Runs `listener` once when cancelled (at once if already cancelled). */
  onCancellationRequested(listener: () => void): Disposable;
}

const NONE: CancellationToken = { isCancellationRequested: false, onCancellationRequested: () => ({ dispose: () => undefined }) };

export const CancellationToken = {
  None: NONE,
};

export class CancellationTokenSource {
  private cancelled = false;
  private listeners = new Set<() => void>();
  readonly token: CancellationToken;

  constructor() {
    const isCancelled = () => this.cancelled;
    const listen = (listener: () => void): Disposable => {
      if (this.cancelled) {
        listener();
        return { dispose: () => undefined };
      }
      this.listeners.add(listener);
      return { dispose: () => this.listeners.delete(listener) };
    };
    this.token = {
      get isCancellationRequested() {
        return isCancelled();
      },
      onCancellationRequested: listen,
    };
  }

  cancel(): void {
    if (this.cancelled) return;
    this.cancelled = true;
    const ls = [...this.listeners];
    this.listeners.clear();
    for (const l of ls) l();
  }

  dispose(): void {
    this.listeners.clear();
  }
}

/** Throws CancelledError when the token is cancelled (work checks between stages). */
export function throwIfCancelled(token: CancellationToken | undefined): void {
  if (token?.isCancellationRequested) throw new CancelledError();
}
