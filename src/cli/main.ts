// The `sparoa` command line. Each command lives in commands/<name>.ts.
import yargs from "yargs";
import { hideBin } from "yargs/helpers";
import { inspectCommand } from "./commands/inspect.ts";
import { convertCommand } from "./commands/convert.ts";
import { passesCommand } from "./commands/passes.ts";
import { analyzeCommand } from "./commands/analyze.ts";
import { CliError, reportAndExit } from "./errors.ts";
import { profileCommand } from "./commands/profile.ts";
import { planCommand } from "./commands/plan.ts";
import { runCommand } from "./commands/run.ts";
import { benchCommand } from "./commands/bench.ts";
import { optimizeCommand } from "./commands/optimize.ts";
import { armInputGuard } from "../../ir/onnx/file-guard.ts";
import { zooCommand } from "./commands/zoo.ts";

// In the order a user meets them (the main job first); one per line so additions merge cleanly.
const commands = [
  optimizeCommand,
  analyzeCommand,
  planCommand,
  runCommand,
  benchCommand,
  inspectCommand,
  convertCommand,
  passesCommand,
  profileCommand,
  zooCommand,
];

// Nothing a command writes may replace the files it read (ir/onnx/file-guard.ts).
armInputGuard();

// `sparoa inspect big.onnx | head`: a closed pipe ends the command quietly, as for any Unix tool.
process.stdout.on("error", (e: NodeJS.ErrnoException) => { if (e.code === "EPIPE") process.exit(0); throw e; });

try {
  let cli = yargs(hideBin(process.argv))
    .scriptName("sparoa")
    .usage("$0 <command> [options]\n\nSparsity- and intensity-aware CPU/GPU placement for ONNX models.")
    .option("verbose", { type: "boolean", global: true, describe: "show stack traces of internal errors" })
    .example("$0 optimize fixtures/two-branch.onnx --device orin-nano --input-shape x=64x256 -o out --check", "place, partition and package a model for a Jetson Orin Nano")
    .example("$0 bench out", "run the package against plain onnxruntime")
    .example("$0 inspect fixtures/tiny-cnn.onnx", "print a model's IR")
    .example("$0 convert model.onnx -o out/model.onnx --external-data", "re-save with weights in a side file")
    .example("$0 passes", "list passes and named pipelines")
    .example("$0 <command> --help", "options and examples of one command");
  for (const c of commands) cli = cli.command(c as never);
  await cli
    .demandCommand(1, "name a command (see the list above)")
    .strict()
    .recommendCommands()
    .help()
    .alias("h", "help")
    .version()
    .wrap(Math.min(110, process.stdout.columns ?? 100))
    .fail((message, error) => { reportAndExit(error ?? new CliError(message)); })
    .parseAsync();
} catch (e) {
  reportAndExit(e);
}
