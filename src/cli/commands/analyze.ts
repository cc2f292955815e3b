// `sparoa analyze MODEL`: shapes, cost, weight and activation sparsity of every node, as a
// table (or JSON), with model totals, SparOA quadrant counts and an optional SVG scatter plot.
import { basename } from "node:path";
import type { Argv, CommandModule } from "yargs";
import { loadInputModel } from "../../io/input-model.ts";
import type { PipelineEntry } from "../../../passes/pipeline.ts";
import { registerBuiltinPasses } from "../../../passes/builtin-passes.ts";
import { lookupPass } from "../../../passes/registry.ts";
import { calibrationSamples } from "../../../passes/support/calibrate.ts";
import { CalibrationInputError, parseCalibrationFile } from "../../../passes/support/calibration-inputs.ts";
import { analyzeModel, formatAnalysis, type Analysis } from "../../report/analysis.ts";
import { scatterSvg } from "../../report/scatter-svg.ts";
import { CliError } from "../errors.ts";
import { MAX_SAMPLES } from "../../io/input-model.ts";
import { prepareOutputPath, writeAtomic } from "../../io/output.ts";
import { withPipelineFlags } from "../pipeline-options.ts";
import { runPipeline, type PipelineFlags } from "../../optimize/run-pipeline.ts";
import { bindShapesFromFlags, printNotes, withShapeFlags, type ShapeFlags } from "../shape-options.ts";

interface AnalyzeArgs extends PipelineFlags, ShapeFlags {
  model: string;
  json?: boolean;
  calibration?: string[];
  samples: number;
  seed: number;
  eps?: number;
  "sparsity-threshold"?: number;
  "intensity-threshold"?: number;
  svg?: string;
  labels: number;
  constants?: boolean;
  "chunk-mb"?: number;
}

/** The static analyses `analyze` runs before activation sparsity, in order; those not built yet are skipped. */
const STATIC_ANALYSES = ["shape-inference", "cost", "weight-sparsity"];

export const analyzeCommand: CommandModule<object, AnalyzeArgs> = {
  command: "analyze <model>",
  describe: "per-node shapes, FLOPs, bytes, intensity, weight and activation sparsity, and SparOA quadrants",
  builder: (y) => withShapeFlags(withPipelineFlags(y as Argv<object>))
    .positional("model", { type: "string", demandOption: true, describe: "an .onnx file" })
    .option("json", { type: "boolean", describe: "print the analysis as JSON instead of a table" })
    .option("calibration", { type: "string", array: true, describe: "calibration data for an input, NAME=FILE (.npy or TensorProto .pb; repeat for more samples)" })
    .option("samples", { type: "number", default: 8, describe: "generated calibration samples (normal(0,1) floats, {0,1} integers; at most 10,000)" })
    .option("seed", { type: "number", default: 0, describe: "seed of the generated calibration samples" })
    .option("eps", { type: "number", describe: "also count |x| < EPS as zero (near-zero sparsity)" })
    .option("sparsity-threshold", { type: "number", describe: "quadrant split for sparsity, 0..1 (default: median)" })
    .option("intensity-threshold", { type: "number", describe: "quadrant split for intensity in FLOP/byte (default: median)" })
    .option("svg", { type: "string", describe: "write a scatter plot (log intensity vs sparsity) to FILE" })
    .option("chunk-mb", { type: "number", describe: "most MiB of intermediates fetched per onnxruntime run (lower: less memory, more runs; default max(32, half the weight MiB))" })
    .option("constants", { type: "boolean", default: false, describe: "also list constant nodes (folded from the weights when a session loads) in the table" })
    .option("labels", { type: "number", default: 8, describe: "label this many of the heaviest nodes (by FLOPs) in the plot" })
    .example("$0 analyze model.onnx", "table of every node, totals and quadrant counts")
    .example("$0 analyze model.onnx --svg model.svg --samples 16 --seed 1", "also draw the quadrant plot")
    .example("$0 analyze bert.onnx --input-shape input_ids=1x128 --json", "bind a symbolic dimension; machine-readable output")
    .example("$0 analyze model.onnx --calibration data=img0.npy --calibration data=img1.npy", "calibrate on real inputs") as unknown as Argv<AnalyzeArgs>,
  handler: async (argv) => {
    registerBuiltinPasses(); // it looks the analyses up by name before running them
    prepareOutputPath(argv.svg, "--svg");
    const model = loadInputModel(argv.model, { spec: "refuse" });
    const notes: string[] = [];
    const files = new Map<string, string[]>();
    try {
      for (const text of argv.calibration ?? []) {
        const [name, file] = parseCalibrationFile(text);
        files.set(name, [...(files.get(name) ?? []), file]);
      }
      checkNumber("samples", argv.samples, (n) => Number.isInteger(n) && n >= 1 && n <= MAX_SAMPLES, `a whole number >= 1 and at most ${MAX_SAMPLES}`);
      checkNumber("seed", argv.seed, (n) => Number.isInteger(n) && n >= 0, "a whole number >= 0");
      checkNumber("eps", argv.eps, (n) => n >= 0, "a number >= 0");
      checkNumber("sparsity-threshold", argv["sparsity-threshold"], (n) => n >= 0 && n <= 1, "a fraction in 0..1");
      checkNumber("chunk-mb", argv["chunk-mb"], (n) => n > 0, "a size in MiB > 0");
      checkNumber("intensity-threshold", argv["intensity-threshold"], (n) => n >= 0, "a number >= 0");
      // The same batch=1 default calibration uses, so shapes and costs are concrete too.
      notes.push(...bindShapesFromFlags(model, argv));
      // Check the calibration data before any pass runs, so a bad file fails fast.
      calibrationSamples(model, { files, samples: argv.samples, seed: argv.seed });
    } catch (e) {
      if (e instanceof CalibrationInputError) throw new CliError(e.message);
      throw e;
    }

    const activation: Record<string, string> = { samples: String(argv.samples), seed: String(argv.seed), "if-unrunnable": "warn" };
    if (files.size > 0) activation.inputs = [...files].flatMap(([name, list]) => list.map((f) => `${name}=${f}`)).join(";");
    if (argv.eps !== undefined) activation.eps = String(argv.eps);
    if (argv["chunk-mb"] !== undefined) activation["chunk-mb"] = String(argv["chunk-mb"]);
    const entries: PipelineEntry[] = [
      ...STATIC_ANALYSES.filter((name) => lookupPass(name)).map((name) => ({ name, options: {} })),
      { name: "activation-sparsity", options: activation },
    ];
    const runs = await runPipeline(model, argv, entries);
    const warnings = [...new Set(runs.flatMap((r) => r.messages.map((m) => `${r.pass.name}: ${m}`)))];
    const missing = STATIC_ANALYSES.filter((name) => !lookupPass(name));
    if (missing.length > 0) warnings.push(`analyze: pass(es) ${missing.join(", ")} not available in this build; their columns stay empty`);

    const analysis = analyzeModel(model, { sparsityThreshold: argv["sparsity-threshold"], intensityThreshold: argv["intensity-threshold"] });
    if (argv.svg) writeAtomic(argv.svg, plot(analysis, basename(argv.model), argv.labels));
    printNotes(notes);
    for (const w of warnings) process.stderr.write(`sparoa: warning: ${w}\n`);
    if (argv.json) {
      const calibration = files.size > 0 ? { source: "files", files: Object.fromEntries(files) } : { source: "generated", samples: argv.samples, seed: argv.seed };
      process.stdout.write(JSON.stringify({ model: argv.model, calibration, eps: argv.eps ?? 0, ...analysis, notes, warnings }, null, 2) + "\n");
    } else {
      process.stdout.write(formatAnalysis(analysis, `${argv.model}: ${analysis.nodes.length} nodes, calibration ${files.size > 0 ? "from files" : `${argv.samples} generated samples (seed ${argv.seed})`}`, { constants: argv.constants }));
    }
  },
};

function checkNumber(flag: string, value: number | undefined, ok: (n: number) => boolean, what: string): void {
  if (value !== undefined && (!Number.isFinite(value) || !ok(value))) throw new CliError(`--${flag} ${value}: expected ${what}`);
}

function plot(a: Analysis, title: string, labels: number): string {
  const drawable = a.nodes.filter((r) => r.sparsity !== undefined && (r.intensity ?? 0) > 0);
  const heaviest = new Set([...drawable].sort((x, y) => (y.flops ?? 0) - (x.flops ?? 0)).slice(0, Math.max(0, labels)));
  const hidden = a.nodes.length - drawable.length;
  return scatterSvg(drawable.map((r) => ({
    x: r.intensity!, y: r.sparsity!, group: r.op, weight: r.flops, label: heaviest.has(r) ? r.name || r.op : undefined,
  })), {
    title: `${title}: sparsity vs arithmetic intensity`,
    xLabel: "arithmetic intensity (FLOP/byte, log scale)",
    yLabel: "sparsity (max of weight and input-activation zeros)",
    xThreshold: a.thresholds.intensity > 0 ? a.thresholds.intensity : undefined,
    yThreshold: a.thresholds.sparsity,
    quadrantNames: ["sparse, heavy", "sparse, light", "dense, heavy", "dense, light"],
    footnote: `${drawable.length} nodes drawn (area ~ FLOPs)${hidden > 0 ? `; ${hidden} without sparsity or with zero/unknown intensity not shown` : ""}`,
  });
}
