// User-facing failures: one line on stderr naming what is wrong, and a non-zero exit code.
// Whether an error is meant for the user, and its exit code, are the error's own (SparoaError in
// ir/sparoa-error.ts); this file only prints it.
import { exitCodeOf, isUserFacing, SparoaError } from "../../ir/sparoa-error.ts";

/** A command-line mistake (a flag, a missing argument): the message is meant for the user as it is. */
export class CliError extends SparoaError {
  constructor(message: string, exitCode = 1) {
    super(message, { exitCode });
  }
}

/** `--verbose` anywhere on the command line (or SPAROA_DEBUG=1) adds the stack trace. */
function verbose(): boolean {
  return process.argv.includes("--verbose") || Boolean(process.env.SPAROA_DEBUG);
}

export function reportAndExit(error: unknown): never {
  const e = error instanceof Error ? error : new Error(String(error));
  const firstLine = e.message.split("\n")[0];
  process.stderr.write(`sparoa: error: ${firstLine}\n`);
  if (verbose() && !isUserFacing(e)) process.stderr.write(`${e.stack}\n`);
  process.exit(exitCodeOf(error));
}
