// User-facing failures: one line on stderr naming what is wrong, and a non-zero exit code.

/** An error whose message is meant for the user as it is (no stack trace). */
export class CliError extends Error {
  constructor(message: string, readonly exitCode = 1) {
    super(message);
  }
}

/** Known error types whose message already names the file/node/field. */
const USER_FACING = new Set(["CliError", "ProfileError", "UnavailableProviderError", "HardwareStateError", "ModelFileError", "PipelineError", "PassError", "VerifyError", "ExternalDataError", "CycleError", "InputShapeError", "CalibrationInputError", "OutputGuardError", "InvalidModelError", "FileReadError", "BoundaryTypeError", "GeneratedInputError", "PassOptionError", "AnalysisMismatchError"]);

/** `--verbose` anywhere on the command line (or SPAROA_DEBUG=1) adds the stack trace. */
function verbose(): boolean {
  return process.argv.includes("--verbose") || Boolean(process.env.SPAROA_DEBUG);
}

/** Whether `error` is one whose message is meant for the user (else it is an internal error: a bug). */
export function isUserFacing(error: unknown): boolean {
  return error instanceof Error && USER_FACING.has(error.constructor.name);
}

export function reportAndExit(error: unknown): never {
  const e = error instanceof Error ? error : new Error(String(error));
  const firstLine = e.message.split("\n")[0];
  process.stderr.write(`sparoa: error: ${firstLine}\n`);
  if (verbose() && !USER_FACING.has(e.constructor.name)) process.stderr.write(`${e.stack}\n`);
  process.exit(exitCodeOf(error));
}

/** CliError's code, or an `exitCode` a lower layer's error carries (InvalidModelError: 2), else 1. */
export function exitCodeOf(error: unknown): number {
  if (error instanceof CliError) return error.exitCode;
  const code = (error as { exitCode?: unknown } | null)?.exitCode;
  return typeof code === "number" ? code : 1;
}
