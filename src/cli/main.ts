// The `sparoa` command line. Each command lives in commands/<name>.ts.
import yargs from "yargs";
import { hideBin } from "yargs/helpers";
import { inspectCommand } from "./commands/inspect.ts";
import { convertCommand } from "./commands/convert.ts";
import { passesCommand } from "./commands/passes.ts";
import { analyzeCommand } from "./commands/analyze.ts";
import { optimizeCommand } from "./commands/optimize.ts";
import { reportAndExit } from "./errors.ts";

const commands = [inspectCommand, convertCommand, passesCommand, analyzeCommand, optimizeCommand];

try {
  let cli = yargs(hideBin(process.argv))
    .scriptName("sparoa")
    .usage("$0 <command> [options]\n\nSparsity- and intensity-aware CPU/GPU placement for ONNX models.");
  for (const c of commands) cli = cli.command(c as never);
  await cli
    .demandCommand(1, "name a command (see the list above)")
    .strict()
    .recommendCommands()
    .help()
    .alias("h", "help")
    .version()
    .wrap(Math.min(110, process.stdout.columns ?? 100))
    .fail((message, error) => { reportAndExit(error ?? new Error(message)); })
    .parseAsync();
} catch (e) {
  reportAndExit(e);
}
