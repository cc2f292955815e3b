// The one base class of sparoa's errors. It lives in ir/, the lowest layer, so every layer's
// errors can derive from it; the CLI prints any error as one line, and `userFacing` says whether
// that line is the whole story (a bad file, flag or field, named in the message) or a fault of
// sparoa itself, whose stack `--verbose` shows. Errors that are not SparoaErrors are faults.

export interface SparoaErrorOptions {
  cause?: unknown;
  /** The process exit code when this error ends a command (default 1; 2: the model itself is invalid). */
  exitCode?: number;
  /** Whether the message is meant for the user as it is (default true). */
  userFacing?: boolean;
}

export class SparoaError extends Error {
  /** True: the message names what the user must change; false: an internal fault or signal. */
  readonly userFacing: boolean;
  readonly exitCode: number;

  constructor(message: string, options: SparoaErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.userFacing = options.userFacing ?? true;
    this.exitCode = options.exitCode ?? 1;
  }
}

/** Whether `error`'s message is meant for the user as it is (else it is a fault of sparoa: a bug). */
export function isUserFacing(error: unknown): boolean {
  return error instanceof SparoaError && error.userFacing;
}

/** The exit code a command ends with for `error`: the error's own, else 1. */
export function exitCodeOf(error: unknown): number {
  return error instanceof SparoaError ? error.exitCode : 1;
}
