// The `sparoa` command line. Each command lives in commands/<name>.ts and is listed in
// commands.ts; only the command being run is imported (see there), the others are registered by
// name and description so `sparoa --help` and "did you mean" still know them.
import yargs from "yargs";
import { hideBin } from "yargs/helpers";
import { COMMANDS, commandName } from "./commands.ts";
import { CliError, reportAndExit } from "./errors.ts";
import { explainParseFailure } from "./parse-messages.ts";
import { armInputGuard } from "../../ir/onnx/file-guard.ts";

const NO_COMMAND = "name a command (see the list above)";

// Nothing a command writes may replace the files it read (ir/onnx/file-guard.ts).
armInputGuard();

// `sparoa inspect big.onnx | head`: a closed pipe ends the command quietly, as for any Unix tool.
process.stdout.on("error", (e: NodeJS.ErrnoException) => { if (e.code === "EPIPE") process.exit(0); throw e; });

try {
  const args = hideBin(process.argv);
  const wanted = args.find((a) => !a.startsWith("-"));
  let cli = yargs(args)
    .scriptName("sparoa")
    .usage("$0 <command> [options]\n\nSparsity- and intensity-aware CPU/GPU placement for ONNX models.")
    .option("verbose", { type: "boolean", global: true, describe: "show stack traces of internal errors" })
    .example("$0 optimize fixtures/two-branch.onnx --device orin-nano --input-shape x=64x256 -o out --check", "place, partition and package a model for a Jetson Orin Nano")
    .example("$0 bench out", "run the package against plain onnxruntime")
    .example("$0 inspect fixtures/tiny-cnn.onnx", "print a model's IR")
    .example("$0 convert model.onnx -o out/model.onnx --external-data", "re-save with weights in a side file")
    .example("$0 passes", "list passes and named pipelines")
    .example("$0 <command> --help", "options and examples of one command");
  for (const entry of COMMANDS) {
    if (commandName(entry) === wanted) cli = cli.command((await entry.load()) as never);
    else cli = cli.command(entry.command, entry.describe, () => {}, () => {});
  }
  await cli
    .demandCommand(1, NO_COMMAND)
    .strict()
    .recommendCommands()
    .help()
    .alias("h", "help")
    .version()
    .wrap(Math.min(110, process.stdout.columns ?? 100))
    .fail((message, error) => {
      // A bare `sparoa` gets the list of commands, not only a line pointing at a list it did not print.
      if (message === NO_COMMAND) cli.showHelp("error");
      // yargs keeps one instance and swaps in the running command's options, so `cli` knows them now.
      reportAndExit(error ?? new CliError(explainParseFailure(message, args, cli)));
    })
    .parseAsync();
} catch (e) {
  reportAndExit(e);
}
