// `sparoa inspect MODEL`: read a model into the IR, optionally run passes, print it.
import type { Argv, CommandModule } from "yargs";
import { invalidModelError, loadInputModel } from "../input-model.ts";
import { printModel } from "../../../ir/print/text.ts";
import { modelToJson } from "../../../ir/print/json.ts";
import { modelToDot } from "../../../ir/print/dot.ts";
import { verifyModel } from "../../../ir/verify.ts";
import { runPipeline, withPipelineFlags, type PipelineFlags } from "../pipeline-options.ts";
import { writeAtomic } from "../output.ts";
import { CliError } from "../errors.ts";

interface InspectArgs extends PipelineFlags { model: string; format: "text" | "json" | "dot"; output?: string; verify: boolean }

export const inspectCommand: CommandModule<object, InspectArgs> = {
  command: "inspect <model>",
  describe: "print a model's IR (text, JSON or Graphviz DOT), optionally after a pass pipeline",
  builder: (y) => withPipelineFlags(y as Argv<object>)
    .positional("model", { type: "string", demandOption: true, describe: "an .onnx file" })
    .option("format", { alias: "f", choices: ["text", "json", "dot"] as const, default: "text" as const, describe: "output form" })
    .option("output", { alias: "o", type: "string", describe: "write to a file instead of stdout" })
    .option("verify", { type: "boolean", default: true, describe: "run the verifier; an invalid model exits 2 and is not written to -o (--no-verify to skip)" })
    .example("$0 inspect fixtures/tiny-cnn.onnx", "print the IR as text")
    .example("$0 inspect model.onnx --format dot -o model.dot && dot -Tsvg model.dot -o model.svg", "draw the graph")
    .example("$0 inspect model.onnx --passes cleanup --print-ir-after-all --time-passes", "watch a pipeline work")
    .example("$0 inspect model.onnx --passes dce --dump-dir dumps/", "one text + .onnx dump per pass") as unknown as Argv<InspectArgs>,
  handler: async (argv) => {
    // Without passes an invalid model is still printed (that is what one inspects); passes only run on a valid one.
    const model = loadInputModel(argv.model, { spec: "warn", verify: argv.verify, deferStructural: (argv.passes ?? "").trim() === "" });
    await runPipeline(model, argv);
    const text = argv.format === "json" ? JSON.stringify(modelToJson(model), null, 2) + "\n"
      : argv.format === "dot" ? modelToDot(model) : printModel(model);
    const problems = argv.verify ? verifyModel(model) : [];
    // A broken model is still printed to stdout (that is what one inspects), but never written to -o.
    if (problems.length === 0 && argv.output) writeAtomic(argv.output, text);
    else if (!argv.output) process.stdout.write(text);
    if (problems.length > 0) throw invalidModelError(argv.model, problems, "; --no-verify to print anyway");
  },
};
