// The `sparoa` command run inside this process: the same command modules, flags and error
// classification as bin/sparoa.js, without the second of start-up per call, so tables of hostile
// cases (test/cli/hardening.test.ts, the fuzz runner) stay fast. Output is captured, not printed.
import yargs from "yargs";
import { armInputGuard, resetInputGuard } from "../../ir/onnx/file-guard.ts";
import { exitCodeOf, isUserFacing } from "../../ir/sparoa-error.ts";
import { CliError } from "../../src/cli/errors.ts";
import { analyzeCommand } from "../../src/cli/commands/analyze.ts";
import { benchCommand } from "../../src/cli/commands/bench.ts";
import { convertCommand } from "../../src/cli/commands/convert.ts";
import { inspectCommand } from "../../src/cli/commands/inspect.ts";
import { optimizeCommand } from "../../src/cli/commands/optimize.ts";
import { passesCommand } from "../../src/cli/commands/passes.ts";
import { planCommand } from "../../src/cli/commands/plan.ts";
import { profileCommand } from "../../src/cli/commands/profile.ts";
import { runCommand } from "../../src/cli/commands/run.ts";

export interface InProcessResult {
  code: number;
  stdout: string;
  stderr: string;
  /** The error that ended the command, if any. */
  error?: unknown;
  /** True when that error is not a user-facing one (a bug: bin/sparoa.js would print its stack under --verbose). */
  internal: boolean;
}

const COMMANDS = [optimizeCommand, analyzeCommand, planCommand, runCommand, benchCommand, inspectCommand, convertCommand, passesCommand, profileCommand];

let busy = false;

/** Runs `sparoa ...args` in this process (one call at a time: stdout/stderr are swapped while it runs). */
export async function runSparoaInProcess(args: readonly string[]): Promise<InProcessResult> {
  if (busy) throw new Error("runSparoaInProcess: one call at a time");
  busy = true;
  let stdout = "";
  let stderr = "";
  const out = process.stdout.write.bind(process.stdout);
  const err = process.stderr.write.bind(process.stderr);
  process.stdout.write = ((chunk: string | Uint8Array) => { stdout += chunk.toString(); return true; }) as typeof process.stdout.write;
  process.stderr.write = ((chunk: string | Uint8Array) => { stderr += chunk.toString(); return true; }) as typeof process.stderr.write;
  resetInputGuard();
  armInputGuard();
  try {
    let cli = yargs([...args]).scriptName("sparoa").exitProcess(false)
      .option("verbose", { type: "boolean", global: true });
    for (const c of COMMANDS) cli = cli.command(c as never);
    await cli.demandCommand(1, "name a command").strict().help().version()
      .fail((message, error) => { throw error ?? new CliError(message); })
      .parseAsync();
    return { code: 0, stdout, stderr, internal: false };
  } catch (error) {
    const first = (error instanceof Error ? error.message : String(error)).split("\n")[0];
    stderr += `sparoa: error: ${first}\n`;
    return { code: exitCodeOf(error), stdout, stderr, error, internal: !isUserFacing(error) };
  } finally {
    process.stdout.write = out;
    process.stderr.write = err;
    resetInputGuard();
    busy = false;
  }
}
