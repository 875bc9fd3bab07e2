/** An error a user can act on: its message names the file and what is wrong. */
export class EngineError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'EngineError';
  }
}

/** Thrown when a newer request made this one obsolete; callers drop it silently. */
export class StaleRequestError extends Error {
  constructor() {
    super('superseded by a newer request');
    this.name = 'StaleRequestError';
  }
}
