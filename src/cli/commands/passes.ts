// `sparoa passes`: the registered passes and named pipelines.
import type { CommandModule } from "yargs";
import "../../../passes/index.ts";
import { listPasses, listPipelines } from "../../../passes/registry.ts";

export const passesCommand: CommandModule<object, { json: boolean }> = {
  command: "passes",
  describe: "list the available passes and named pipelines",
  builder: (y) => y.option("json", { type: "boolean", default: false, describe: "machine-readable output" })
    .example("$0 passes", "names and one-line descriptions")
    .example("$0 passes --json | jq '.passes[].name'", "for scripts"),
  handler: (argv) => {
    const passes = listPasses();
    const pipelines = listPipelines();
    if (argv.json) {
      process.stdout.write(JSON.stringify({ passes, pipelines }, null, 2) + "\n");
      return;
    }
    const w = Math.max(...passes.map((p) => p.name.length), ...pipelines.map((p) => p.name.length));
    process.stdout.write("Passes:\n" + passes.map((p) => `  ${p.name.padEnd(w)}  ${p.description}`).join("\n") + "\n");
    process.stdout.write("\nPipelines:\n" + pipelines.map((p) => `  ${p.name.padEnd(w)}  ${p.pipeline}  (${p.description})`).join("\n") + "\n");
  },
};
