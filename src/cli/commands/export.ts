// `sparoa export PKG --format triton -o REPO`: a Triton Inference Server model repository from a
// package (docs/deploy.md); `sparoa export REPO --validate` checks an existing repository.
import type { Argv, CommandModule } from "yargs";
import { exportTriton } from "../../deploy/triton-export.ts";
import { validateRepository } from "../../deploy/triton-validate.ts";
import { CliError } from "../errors.ts";

interface ExportArgs { package: string; format: "triton"; output?: string; name?: string; "max-batch-size": number; "assume-batch": boolean; instances: number; validate: boolean; json: boolean }

export const exportCommand: CommandModule<object, ExportArgs> = {
  command: "export <package>",
  describe: "write a package as a Triton Inference Server model repository (one model per partition + an ensemble), or --validate one",
  builder: (y) => (y as Argv<object>)
    .positional("package", { type: "string", demandOption: true, describe: "package folder (or annotated .onnx); with --validate, a repository folder" })
    .option("format", { choices: ["triton"] as const, default: "triton" as const, describe: "what to write" })
    .option("output", { alias: "o", type: "string", describe: "repository folder to create (must be new or empty)" })
    .option("name", { type: "string", describe: "the ensemble's model name (default: the source model's file name)" })
    .option("max-batch-size", { type: "number", default: 8, describe: "max_batch_size when every tensor starts with the model's batch dimension (else 0)" })
    .option("assume-batch", { type: "boolean", default: false, describe: "take every tensor's dynamic leading dimension as the batch dimension, even under different symbols" })
    .option("instances", { type: "number", default: 1, describe: "instance_group count of each partition model" })
    .option("validate", { type: "boolean", default: false, describe: "check the repository folder given instead of exporting: schema, model files, ensemble wiring" })
    .option("json", { type: "boolean", default: false, describe: "print what was written (or validated) as JSON" })
    .example("$0 export out/ --format triton -o repo/", "repo/<model>/config.pbtxt, repo/<model>_p0_cpu/1/model.onnx, ...")
    .example("$0 export repo/ --validate", "check a repository (e.g. after editing a config.pbtxt)") as unknown as Argv<ExportArgs>,
  handler: async (argv) => {
    if (argv.validate) {
      const v = validateRepository(argv.package);
      if (argv.json) process.stdout.write(JSON.stringify({ repository: argv.package, ok: true, ensembles: v.ensembles, models: [...v.models.keys()] }) + "\n");
      else process.stdout.write(`${argv.package}: ${v.models.size} model config(s) parse against the schema; ensemble wiring checked (${v.ensembles.join(", ") || "no ensemble"})\n`);
      return;
    }
    if (!argv.output) throw new CliError("--output: name the repository folder to create (-o REPO)");
    for (const k of ["max-batch-size", "instances"] as const) if (!(Number.isInteger(argv[k]) && argv[k] >= (k === "instances" ? 1 : 0))) throw new CliError(`--${k}: must be a whole number${k === "instances" ? " >= 1" : " >= 0"}`);
    const repo = await exportTriton(argv.package, argv.output, { name: argv.name, maxBatchSize: argv["max-batch-size"], instances: argv.instances, assumeBatch: argv["assume-batch"] });
    if (argv.json) {
      process.stdout.write(JSON.stringify({ repository: argv.output, ensemble: repo.ensemble, maxBatchSize: repo.maxBatchSize, batchNote: repo.batchNote ?? null, models: repo.models }, null, 2) + "\n");
      return;
    }
    process.stdout.write(`wrote ${argv.output}/: ensemble '${repo.ensemble}' over ${repo.models.length} partition model(s) (${repo.models.map((m) => `${m.name} ${m.kind}`).join(", ")})\n`);
    process.stdout.write(`  max_batch_size ${repo.maxBatchSize}${repo.batchNote ? ` (${repo.batchNote})` : ""}; every config.pbtxt validated against src/deploy/triton-model-config.proto\n`);
    process.stdout.write(`  serve: docker run --rm -p8000:8000 -p8001:8001 -v "$(realpath ${argv.output})":/models nvcr.io/nvidia/tritonserver:<yy.mm>-py3 tritonserver --model-repository=/models (docs/deploy.md)\n`);
  },
};
