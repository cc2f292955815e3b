// `sparoa convert MODEL -o OUT`: re-save a model through the IR, choosing where tensor data lives.
import { mkdirSync } from "node:fs";
import { dirname, resolve } from "node:path";
import type { Argv, CommandModule } from "yargs";
import { saveModel } from "../../../ir/onnx/file.ts";
import { invalidModelError, loadInputModel } from "../../io/input-model.ts";
import { formatBytes } from "../../../ir/print/text.ts";
import { withPipelineFlags } from "../pipeline-options.ts";
import { runPipeline, type PipelineFlags } from "../../optimize/run-pipeline.ts";
import { assertNotInput, prepareOutputPath } from "../../io/output.ts";
import { CliError } from "../errors.ts";
import { verifyModel } from "../../../ir/verify.ts";
import { bindShapesFromFlags, printNotes, withShapeFlags, type ShapeFlags } from "../shape-options.ts";

interface ConvertArgs extends PipelineFlags, ShapeFlags {
  model: string; output: string; verify: boolean; "external-data": boolean; "external-data-threshold"?: string; "external-data-file"?: string; json: boolean;
}

/** "1024", "4k", "1.5MB" -> bytes. */
export function parseByteSize(text: string, flag: string): number {
  const m = /^(\d+(?:\.\d+)?)\s*([kmg]?)i?b?$/i.exec(text.trim());
  if (!m) throw new CliError(`--${flag}: '${text}' is not a size (examples: 1024, 64k, 1.5MB)`);
  const scale = { "": 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3 }[m[2]!.toLowerCase() as "" | "k" | "m" | "g"];
  return Math.round(Number(m[1]) * scale);
}

export const convertCommand: CommandModule<object, ConvertArgs> = {
  command: "convert <model>",
  describe: "write a model back out through the IR (optionally after passes), inline or with external data",
  builder: (y) => withShapeFlags(withPipelineFlags(y as Argv<object>), "write the model with a leading symbolic (batch) dimension fixed to N (default: left symbolic unless --input-shape is given)")
    .positional("model", { type: "string", demandOption: true })
    .option("output", { alias: "o", type: "string", demandOption: true, describe: "output .onnx path" })
    .option("external-data", { type: "boolean", default: false, describe: "store large initializers in a side file (threshold 1 KB unless given)" })
    .option("external-data-threshold", { type: "string", describe: "initializers of at least this size go to the side file (e.g. 1024, 64k, 1MB)" })
    .option("external-data-file", { type: "string", describe: "side file name, in the output's folder (default OUT.data)" })
    .option("json", { type: "boolean", default: false, describe: "print a JSON summary" })
    .option("verify", { type: "boolean", default: true, describe: "refuse to write a model the verifier rejects (--no-verify to write anyway)" })
    .example("$0 convert big.onnx -o out/big.onnx --external-data", "move initializers of 1 KB or more to out/big.onnx.data")
    .example("$0 convert split.onnx -o merged.onnx --external-data-threshold 1GB", "bring external tensors back inline")
    .example("$0 convert model.onnx -o clean.onnx --passes cleanup", "save after topo-sort + dce") as unknown as Argv<ConvertArgs>,
  handler: async (argv) => {
    assertNotInput(argv.model, argv.output);
    prepareOutputPath(argv.output, "-o");
    // Verified before any pass runs (a cycle must not reach them), and again after them.
    const model = loadInputModel(argv.model, { spec: "warn", verify: argv.verify });
    // Converting keeps the model's interface unless asked: only the flags bind shapes here.
    if (argv["input-shape"] !== undefined || argv.batch !== undefined) printNotes(bindShapesFromFlags(model, argv));
    await runPipeline(model, argv);
    if (argv.verify) {
      const problems = verifyModel(model);
      if (problems.length > 0) throw invalidModelError(argv.model, problems);
    }
    let threshold = argv["external-data-threshold"] !== undefined ? parseByteSize(argv["external-data-threshold"], "external-data-threshold") : undefined;
    if (argv["external-data"] && threshold === undefined) threshold = 1024;
    mkdirSync(dirname(resolve(argv.output)), { recursive: true });
    const result = saveModel(model, argv.output, { externalDataThreshold: threshold, externalDataFile: argv["external-data-file"] });
    if (argv.json) process.stdout.write(JSON.stringify({ output: argv.output, ...result }, null, 2) + "\n");
    else process.stdout.write(`wrote ${argv.output} (${formatBytes(result.bytes)})${result.externalFile ? `, ${result.externalTensors} tensors in ${result.externalFile}` : ""}\n`);
  },
};
