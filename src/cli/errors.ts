// User-facing failures: one line on stderr naming what is wrong, and a non-zero exit code.

/** An error whose message is meant for the user as it is (no stack trace). */
export class CliError extends Error {
  constructor(message: string, readonly exitCode = 1) {
    super(message);
  }
}

/** Known error types whose message already names the file/node/field. */
const USER_FACING = new Set(["CliError", "ProfileError", "ModelFileError", "PipelineError", "PassError", "VerifyError", "ExternalDataError", "CycleError"]);

export function reportAndExit(error: unknown): never {
  const e = error instanceof Error ? error : new Error(String(error));
  const firstLine = e.message.split("\n")[0];
  process.stderr.write(`sparoa: error: ${firstLine}\n`);
  if (!USER_FACING.has(e.constructor.name) && process.env.SPAROA_DEBUG) process.stderr.write(`${e.stack}\n`);
  process.exit(error instanceof CliError ? error.exitCode : 1);
}
