/** An error a user can act on: its message names the file and what is wrong. Messages quote text
 *  read from untrusted model files, so control characters are escaped here, once for every path
 *  to a terminal, a notification or a log. */
export class EngineError extends Error {
  constructor(message: string) {
    super(escapeControls(message));
    this.name = 'EngineError';
  }
}

/** Thrown when a request was cancelled (a newer one superseded it); callers drop it silently. */
export class CancelledError extends Error {
  constructor() {
    super('cancelled: a newer request superseded this one');
    this.name = 'CancelledError';
  }
}

/** C0 and C1 controls, DEL, and the line/paragraph separators, as \uXXXX. */
export function escapeControls(s: string): string {
  return s.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** A value read from a file, for a message: JSON-quoted and cut to about `max` characters. */
export function quoted(value: unknown, max = 120): string {
  const s = JSON.stringify(value) ?? String(value);
  return s.length > max ? `${s.slice(0, max)}…` : s;
}
