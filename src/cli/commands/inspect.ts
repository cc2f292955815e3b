// `sparoa inspect MODEL`: read a model into the IR, optionally run passes, print it.
import type { Argv, CommandModule } from "yargs";
import type { Model } from "../../../ir/model.ts";
import { invalidModelError, loadInputModel } from "../../io/input-model.ts";
import { printModel } from "../../../ir/print/text.ts";
import { modelToJson } from "../../../ir/print/json.ts";
import { graphDot } from "../../report/graph-dot.ts";
import { verifyModel } from "../../../ir/verify.ts";
import { withPipelineFlags } from "../pipeline-options.ts";
import { runPipeline, type PipelineFlags } from "../../optimize/run-pipeline.ts";
import { prepareOutputPath, writeAtomic } from "../../io/output.ts";
import { CliError } from "../errors.ts";
import { InputShapeError } from "../../../passes/shape-inference.ts";
import { bindShapesFromFlags, printNotes, withShapeFlags, type ShapeFlags } from "../shape-options.ts";

interface InspectArgs extends PipelineFlags, ShapeFlags { model: string; format: "text" | "json" | "dot"; output?: string; verify: boolean; "all-nodes": boolean }

export const inspectCommand: CommandModule<object, InspectArgs> = {
  command: "inspect <model>",
  describe: "print a model's IR (text, JSON or Graphviz DOT), optionally after a pass pipeline",
  builder: (y) => withShapeFlags(withPipelineFlags(y as Argv<object>), "size of a leading symbolic (batch) dimension; with --passes it defaults to 1, without them the IR is printed as declared")
    .positional("model", { type: "string", demandOption: true, describe: "an .onnx file" })
    .option("format", { alias: "f", choices: ["text", "json", "dot"] as const, default: "text" as const, describe: "output form; dot is Graphviz: render it with the dot layout, `dot -Tsvg m.dot -o m.svg` (clusters need dot; sfdp/neato ignore them)" })
    .option("all-nodes", { type: "boolean", default: false, describe: "--format dot: also draw constants, shape arithmetic and view-only nodes (hidden or folded onto edges by default)" })
    .option("output", { alias: "o", type: "string", describe: "write to a file instead of stdout" })
    .option("verify", { type: "boolean", default: true, describe: "run the verifier; an invalid model exits 2 and is not written to -o (--no-verify to skip)" })
    .example("$0 inspect fixtures/tiny-cnn.onnx", "print the IR as text")
    .example("$0 inspect model.onnx --format dot -o model.dot && dot -Tsvg model.dot -o model.svg", "draw the graph (Graphviz, dot layout; one cluster per partition of a package's annotated model)")
    .example("$0 inspect model.onnx --passes cleanup --print-ir-after-all --time-passes", "watch a pipeline work")
    .example("$0 inspect model.onnx --passes dce --dump-dir dumps/", "one text + .onnx dump per pass")
    .example("$0 inspect resnet.onnx --passes shape-inference,cost --batch 8", "FLOPs and bytes per node at batch 8") as unknown as Argv<InspectArgs>,
  handler: async (argv) => {
    prepareOutputPath(argv.output, "-o");
    // Without passes an invalid model is still printed (that is what one inspects); passes only run on a valid one.
    const model = loadInputModel(argv.model, { spec: "warn", verify: argv.verify, deferStructural: (argv.passes ?? "").trim() === "" });
    printNotes(bindForInspect(model, argv));
    await runPipeline(model, argv);
    const text = argv.format === "json" ? JSON.stringify(modelToJson(model), null, 2) + "\n"
      : argv.format === "dot" ? graphDot(model, argv["all-nodes"]) : printModel(model);
    const problems = argv.verify ? verifyModel(model) : [];
    // A broken model is still printed to stdout (that is what one inspects), but never written to -o.
    if (problems.length === 0 && argv.output) writeAtomic(argv.output, text);
    else if (!argv.output) process.stdout.write(text);
    if (problems.length > 0) throw invalidModelError(argv.model, problems, "; --no-verify to print anyway");
  },
};

/**
 * Shape flags bind strictly, as on every command. Without them the IR is shown as declared,
 * unless passes run: then a symbolic batch is bound to 1 (so cost has sizes), and other dynamic
 * dimensions are left as they are, with a note, since inspecting such a model is legitimate.
 */
function bindForInspect(model: Model, argv: InspectArgs): string[] {
  if (argv["input-shape"] !== undefined || argv.batch !== undefined) return bindShapesFromFlags(model, argv);
  // No passes, or a pipeline that binds shapes itself (shape-inference{input-shape=...}): as declared.
  if (!argv.passes || argv.passes.includes("input-shape=")) return [];
  try {
    return bindShapesFromFlags(model, argv);
  } catch (e) {
    if (!(e instanceof InputShapeError)) throw e;
    const [what, flag] = e.message.split("; pass ");
    return [`${what}; it stays symbolic, so sizes that depend on it are unknown to the passes${flag ? ` (bind it with ${flag})` : ""}`];
  }
}
