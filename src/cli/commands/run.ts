// `sparoa run PKG --input NAME=FILE`: run a package (or annotated/plain model) once on the
// bundled runtime and write its outputs as .npy files or JSON.
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import type { Argv, CommandModule } from "yargs";
import type * as ort from "onnxruntime-node";
import { npyBytes } from "../../io/npy.ts";
import { fromOrtTensor } from "../../../ort/tensor-bridge.ts";
import { describeRouteSummary } from "../../runtime/routes.ts";
import { prepareOutputPath, writeAtomic } from "../../io/output.ts";
import { OrtEngine, type PlacementCheck } from "../../runtime/ort-engine.ts";
import { describeDrift, driftReport } from "../../runtime/drift.ts";
import { checkDriftRatio, DRIFT_RATIO_OPTION, measuredPartitionTimes } from "../drift-option.ts";
import { openRuntime, withRuntimeFlags, type RuntimeFlags } from "../runtime-options.ts";
import { prepareFeeds, readInputs } from "../tensor-args.ts";

interface RunArgs extends RuntimeFlags { package: string; input?: string[]; output?: string; json: boolean; "drift-ratio": number }

function outputJson(t: ort.Tensor): { dtype: string; shape: number[]; data: (number | string)[] } {
  const data = t.data as ArrayLike<number | bigint>;
  return { dtype: t.type, shape: t.dims.map(Number), data: Array.from(data, (v) => (typeof v === "bigint" ? v.toString() : Number.isFinite(v) ? v : String(v))) };
}

/** Output names can hold '/', ':' and the like; file names cannot. */
export function safeFileName(name: string): string {
  return name.replace(/[^A-Za-z0-9_.-]/g, "_") || "output";
}

export const runCommand: CommandModule<object, RunArgs> = {
  command: "run <package>",
  describe: "run a package (folder with manifest.json), a processor-annotated model or a plain model once on the bundled runtime",
  builder: (y) => withRuntimeFlags(y as Argv<object>)
    .positional("package", { type: "string", demandOption: true, describe: "package folder, or an .onnx model" })
    .option("input", { alias: "i", type: "string", array: true, describe: "NAME=FILE (.npy or TensorProto .pb); generated from --seed when none is given" })
    .option("output", { alias: "o", type: "string", describe: "folder for one NAME.npy per output" })
    .option("json", { type: "boolean", default: false, describe: "print processors, timings and outputs as JSON" })
    .option("drift-ratio", DRIFT_RATIO_OPTION)
    .example("$0 run out/ --input x=x.npy -o results/", "write results/<output>.npy")
    .example("$0 run out/ --processor-map gpu=cuda --json", "gpu partitions on CUDA; outputs as JSON")
    .example("$0 run model.onnx --batch 4 --trace run.json", "seeded inputs of batch 4, Chrome trace of the run")
    .example("$0 run out/ --engine ort --json", "one onnxruntime session with layer_ann settings; its profile checked against the plan") as unknown as Argv<RunArgs>,
  handler: async (argv) => {
    checkDriftRatio(argv["drift-ratio"]);
    prepareOutputPath(argv.output, "-o", true);
    prepareOutputPath(argv.trace, "--trace");
    const given = readInputs(argv.input);
    const runtime = await openRuntime(argv.package, argv, { profile: true });
    try {
      const prepared = prepareFeeds(runtime.manifest, given, argv);
      const feeds = prepared.feeds;
      const t0 = performance.now();
      const outputs: Record<string, ort.Tensor> = await runtime.run(feeds);
      const ms = performance.now() - t0;
      const placement = runtime instanceof OrtEngine ? runtime.placementCheck() : undefined;
      const drift = driftReport(runtime.manifest, measuredPartitionTimes(runtime), argv["drift-ratio"]);
      if (argv.output) {
        mkdirSync(argv.output, { recursive: true });
        for (const [name, t] of Object.entries(outputs)) writeAtomic(join(argv.output, `${safeFileName(name)}.npy`), npyBytes(fromOrtTensor(name, t)));
      }
      if (argv.trace) runtime.trace!.write(argv.trace);
      if (argv.json) {
        process.stdout.write(JSON.stringify({
          package: argv.package, engine: argv.engine ?? "workers", inputs: { generated: prepared.generated, seed: prepared.generated ? argv.seed : undefined, shapes: prepared.shapes }, processors: runtime.describeProcessors(),
          ...(runtime instanceof OrtEngine ? { layerAssignmentSettings: runtime.settings, placementCheck: placement ?? null } : {}), partitions: runtime.manifest.partitions.length, routes: runtime.routeSummary(), ms, drift,
          outputs: Object.fromEntries(Object.entries(outputs).map(([n, t]) => [n, argv.output ? { dtype: t.type, shape: t.dims.map(Number), file: join(argv.output!, `${safeFileName(n)}.npy`) } : outputJson(t)])),
        }) + "\n");
        return;
      }
      for (const line of runtime.describeProcessors()) process.stdout.write(`processor ${line}\n`);
      process.stdout.write(`${prepared.line}\n`);
      if (runtime instanceof OrtEngine) process.stdout.write(`ran the annotated model as one onnxruntime session in ${ms.toFixed(2)} ms\n${describePlacementCheck(placement)}`);
      else process.stdout.write(`ran ${runtime.manifest.partitions.length} partition(s) in ${ms.toFixed(2)} ms; ${describeRouteSummary(runtime.routeSummary())}\n`);
      for (const line of describeDrift(drift)) process.stdout.write(`${line}\n`);
      for (const [name, t] of Object.entries(outputs)) {
        const head = Array.from((t.data as ArrayLike<number>)).slice(0, 6).map((v) => (typeof v === "number" ? Number(v.toPrecision(5)) : String(v)));
        const where = argv.output ? ` -> ${join(argv.output, `${safeFileName(name)}.npy`)}` : "";
        process.stdout.write(`  ${name}: ${t.type}[${t.dims.join(",")}] ${head.join(" ")}${t.size > 6 ? " ..." : ""}${where}\n`);
      }
      if (argv.trace) process.stdout.write(`trace: ${argv.trace} (open in ui.perfetto.dev)\n`);
    } finally {
      await runtime.close();
    }
  },
};


/** What onnxruntime's profile says about the plan, in a few lines. */
function describePlacementCheck(c: PlacementCheck | undefined): string {
  if (!c) return "placement: onnxruntime wrote no profile\n";
  const lines = [`placement (onnxruntime profile): ${c.agree} of ${c.planned} nodes ran where planned, ${c.mismatches.length} elsewhere, ${c.notInProfile} folded or fused away${c.added.length ? `, ${c.added.length} node(s) onnxruntime added (${c.added.filter((a) => a.from).length} named after a planned node's output and checked as that node)` : ""}`];
  for (const m of c.mismatches.slice(0, 10)) lines.push(`  mismatch: ${m.node} (${m.op}) planned ${m.processor} -> ${m.expected}, ran on ${m.actual}`);
  if (c.mismatches.length > 10) lines.push(`  ... ${c.mismatches.length - 10} more (--json lists all)`);
  return lines.join("\n") + "\n";
}
