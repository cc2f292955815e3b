// `sparoa passes`: the registered passes and named pipelines.
import type { CommandModule } from "yargs";
import { registerBuiltinPasses } from "../../../passes/builtin-passes.ts";
import { listPassAliases, listPasses, listPipelines } from "../../../passes/registry.ts";

/** The pipeline grammar, said where users look for it (`sparoa passes --help`). */
export const PIPELINE_SYNTAX = `$0 passes [--json]

List the passes and named pipelines. A pipeline (--passes on inspect, convert, analyze, plan,
optimize) is a comma-separated list of pass and pipeline names; a pass takes options as
pass{key=value} (several: pass{key=value,key2=value2}; ';' separates the items of a list value,
as in input-shape=x=1x8;y=1x4), e.g. shape-inference{input-shape=x=1x3x224x224},cost.
Quote it in the shell.`;

export const passesCommand: CommandModule<object, { json: boolean }> = {
  command: "passes",
  describe: "list the available passes and named pipelines",
  builder: (y) => y.option("json", { type: "boolean", default: false, describe: "machine-readable output" })
    .usage(PIPELINE_SYNTAX)
    .example("$0 passes", "names and one-line descriptions")
    .example("$0 inspect m.onnx --passes 'shape-inference{input-shape=x=1x3x224x224},cost'", "a pass with an option")
    .example("$0 inspect m.onnx --passes 'activation-sparsity{samples=16,seed=1}'", "several options of one pass")
    .example("$0 passes --json | jq '.passes[].name'", "for scripts"),
  handler: (argv) => {
    registerBuiltinPasses();
    const passes = listPasses();
    const pipelines = listPipelines();
    const aliases = listPassAliases();
    if (argv.json) {
      process.stdout.write(JSON.stringify({ passes, pipelines, aliases }, null, 2) + "\n");
      return;
    }
    const w = Math.max(...passes.map((p) => p.name.length), ...pipelines.map((p) => p.name.length));
    process.stdout.write("Passes:\n" + passes.map((p) => `  ${p.name.padEnd(w)}  ${p.description}`).join("\n") + "\n");
    process.stdout.write("\nPipelines:\n" + pipelines.map((p) => `  ${p.name.padEnd(w)}  ${p.pipeline}  (${p.description})`).join("\n") + "\n");
    if (aliases.length > 0) process.stdout.write("\nOld names (still accepted):\n" + aliases.map((a) => `  ${a.alias.padEnd(w)}  ${a.pass}`).join("\n") + "\n");
  },
};
