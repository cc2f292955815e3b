// `sparoa optimize MODEL --device orin-nano -o OUT`: place every node on the CPU or GPU of a
// device profile by sparsity and intensity, partition, and write a deployable package plus a
// device-annotated model and a report that says why.
import type { Argv, CommandModule } from "yargs";
import { bundledProfileNames } from "../../devices/profile.ts";
import { optimize, type OptimizeOptions } from "../../optimize/optimize.ts";
import { formatExplain, formatSummary, reportJson } from "../../optimize/report.ts";
import { parseCalibrationFile, CalibrationInputError } from "../../../passes/support/calibration-inputs.ts";
import { CliError } from "../errors.ts";
import { MAX_SAMPLES } from "../input-model.ts";
import { withPipelineFlags, type PipelineFlags } from "../pipeline-options.ts";

interface OptimizeArgs extends PipelineFlags {
  model: string;
  device: string;
  output: string;
  "input-shape"?: string[];
  pin?: string[];
  "sparsity-threshold"?: number;
  "intensity-threshold"?: number;
  smoothing: boolean;
  calibrate: boolean;
  calibration?: string[];
  samples: number;
  seed: number;
  eps?: number;
  explain?: boolean;
  json?: boolean;
  check?: boolean;
  "check-input"?: string[];
  exact?: boolean;
  rtol: number;
  atol: number;
}

export const optimizeCommand: CommandModule<object, OptimizeArgs> = {
  command: "optimize <model>",
  describe: "place nodes on CPU/GPU by sparsity and intensity, partition, and write a package with a report",
  builder: (y) => withPipelineFlags(y as Argv<object>)
    .positional("model", { type: "string", demandOption: true, describe: "an .onnx file" })
    .option("device", { alias: "d", type: "string", default: "orin-nano", describe: `device profile: ${bundledProfileNames().join(", ")}, or a profile JSON path` })
    .option("output", { alias: "o", type: "string", demandOption: true, describe: "output folder (created; an earlier package there is replaced)" })
    .option("input-shape", { type: "string", array: true, describe: "bind a dynamic input, NAME=1x3x224x224 (repeatable)" })
    .option("pin", { type: "string", array: true, describe: "force placement: NAME=cpu, op:Softmax=gpu, re:^layer4.*=gpu (repeatable)" })
    .option("sparsity-threshold", { type: "number", describe: "sparse when sparsity >= this, 0..1 (default: grid search)" })
    .option("intensity-threshold", { type: "number", describe: "heavy when FLOP/byte >= this (default: grid search)" })
    .option("smoothing", { type: "boolean", default: true, describe: "transfer-aware smoothing after the quadrant rule (--no-smoothing to see the raw rule)" })
    .option("calibrate", { type: "boolean", default: true, describe: "measure activation sparsity with a calibration run (--no-calibrate: weight sparsity only, static)" })
    .option("calibration", { type: "string", array: true, describe: "calibration data for an input, NAME=FILE (.npy or .pb; repeat for more samples)" })
    .option("samples", { type: "number", default: 8, describe: "generated calibration samples when no --calibration is given (at most 10,000)" })
    .option("seed", { type: "number", default: 0, describe: "seed for generated calibration and --check inputs" })
    .option("eps", { type: "number", describe: "also count |x| < EPS as zero in activations" })
    .option("explain", { type: "boolean", describe: "print, per node, why it went where it went" })
    .option("json", { type: "boolean", describe: "print the report JSON instead of the summary" })
    .option("check", { type: "boolean", describe: "run the original and the package with onnxruntime (CPU) and compare outputs; a mismatch fails and writes nothing" })
    .option("check-input", { type: "string", array: true, describe: "an input for --check, NAME=FILE.npy|FILE.pb|NUMBER (others generated)" })
    .option("exact", { type: "boolean", describe: "--check with graph optimisations off in every session and outputs bit-identical" })
    .option("rtol", { type: "number", default: 1e-4, describe: "--check relative tolerance" })
    .option("atol", { type: "number", default: 1e-5, describe: "--check absolute tolerance" })
    .group(["device", "output", "input-shape", "pin", "sparsity-threshold", "intensity-threshold", "smoothing"], "Placement:")
    .group(["calibrate", "calibration", "samples", "seed", "eps"], "Sparsity analysis:")
    .group(["explain", "json", "check", "check-input", "exact", "rtol", "atol"], "Report and check:")
    .example("$0 optimize model.onnx --device orin-nano -o out", "plan for a Jetson Orin Nano; writes out/manifest.json, out/partitions/, out/model.annotated.onnx, out/report.json")
    .example("$0 optimize model.onnx -d agx-orin -o out --check --explain", "also verify the package against the original and say why each node went where")
    .example("$0 optimize det.onnx -o out --input-shape x=1x3x640x640 --pin 'op:Resize=cpu' --pin 're:^conv1.*=gpu'", "bind a dynamic input and force some nodes")
    .example("$0 optimize model.onnx -o out --no-calibrate --sparsity-threshold 0.5 --intensity-threshold 20", "static analysis only, fixed thresholds") as unknown as Argv<OptimizeArgs>,
  handler: async (argv) => {
    for (const [flag, value, ok, what] of [
      ["sparsity-threshold", argv["sparsity-threshold"], (n: number) => n >= 0 && n <= 1, "a fraction in 0..1"],
      ["intensity-threshold", argv["intensity-threshold"], (n: number) => n >= 0, "a number >= 0"],
      ["samples", argv.samples, (n: number) => Number.isInteger(n) && n >= 1 && n <= MAX_SAMPLES, `a whole number >= 1 and at most ${MAX_SAMPLES}`],
      ["seed", argv.seed, (n: number) => Number.isInteger(n) && n >= 0, "a whole number >= 0"],
      ["rtol", argv.rtol, (n: number) => n >= 0, "a number >= 0"],
      ["atol", argv.atol, (n: number) => n >= 0, "a number >= 0"],
    ] as const) {
      if (value !== undefined && (!Number.isFinite(value) || !ok(value))) throw new CliError(`--${flag} ${value}: expected ${what}`);
    }
    const files = new Map<string, string[]>();
    try {
      for (const text of argv.calibration ?? []) {
        const [name, file] = parseCalibrationFile(text);
        files.set(name, [...(files.get(name) ?? []), file]);
      }
    } catch (e) {
      if (e instanceof CalibrationInputError) throw new CliError(e.message);
      throw e;
    }
    const options: OptimizeOptions = {
      model: argv.model, device: argv.device, out: argv.output,
      inputShapes: argv["input-shape"], pins: argv.pin,
      sparsityThreshold: argv["sparsity-threshold"], intensityThreshold: argv["intensity-threshold"], smoothing: argv.smoothing,
      calibration: argv.calibrate ? { files, samples: argv.samples, seed: argv.seed, eps: argv.eps } : undefined,
      check: argv.check ? { inputs: argv["check-input"] ?? [], seed: argv.seed, ...(argv.exact ? { rtol: 0, atol: 0, optimization: "disabled" as const } : { rtol: argv.rtol, atol: argv.atol, optimization: "all" as const }) } : undefined,
      pipeline: argv,
    };
    const result = await optimize(options);
    const report = reportJson(options, result);
    if (argv.json) process.stdout.write(JSON.stringify(report, null, 2) + "\n");
    else {
      if (argv.explain) process.stdout.write(formatExplain(report));
      process.stdout.write(formatSummary(report, argv.output));
    }
  },
};
