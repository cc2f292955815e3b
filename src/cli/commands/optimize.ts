// `sparoa optimize MODEL --device orin-nano -o OUT`: place every node on the CPU or GPU of a
// device profile by sparsity and intensity, partition, and write a deployable package plus a
// processor-annotated model and a report that says why.
import type { Argv, CommandModule } from "yargs";
import { deviceNames } from "../../devices/profile.ts";
import { optimize, type OptimizeOptions } from "../../optimize/optimize.ts";
import { formatExplain, formatSummary, reportJson } from "../../optimize/report.ts";
import { parseCalibrationFiles, CalibrationInputError } from "../../../passes/support/calibration-inputs.ts";
import { CliError } from "../errors.ts";
import { MAX_SAMPLES } from "../../io/input-model.ts";
import { DEFAULT_SEARCH_EVALUATIONS_TEXT } from "../../planner/local-search.ts";
import { DEFAULT_INTENSITY_AXIS, INTENSITY_AXES, type IntensityAxis } from "../../planner/problem.ts";
import { withPipelineFlags } from "../pipeline-options.ts";
import type { PipelineFlags } from "../../optimize/run-pipeline.ts";
import { THRESHOLD_MODES, type ThresholdMode } from "../../predictor/choose.ts";
import { REFINERS, type RefinerName } from "../../scheduler/pass-options.ts";
import { batchFlag, printNotes, withShapeFlags, type ShapeFlags } from "../shape-options.ts";

interface OptimizeArgs extends PipelineFlags, ShapeFlags {
  model: string;
  device: string;
  output: string;
  pin?: string[];
  "sparsity-threshold"?: number;
  "intensity-threshold"?: number;
  thresholds: string;
  predictor?: string;
  "predictor-candidates"?: number;
  "compare-thresholds"?: boolean;
  scheduler: string;
  "scheduler-weights"?: string;
  "search-budget"?: string;
  state?: string;
  smoothing: boolean;
  intensity: string;
  refine: boolean;
  "search-evaluations"?: number;
  "search-seed": number;
  "search-ms"?: number;
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
  builder: (y) => withShapeFlags(withPipelineFlags(y as Argv<object>), "size a leading symbolic (batch) dimension is planned for (default 1); the package keeps it symbolic")
    .positional("model", { type: "string", demandOption: true, describe: "an .onnx file" })
    .option("device", { alias: "d", type: "string", default: "orin-nano", describe: `device profile: ${deviceNames().join(", ")} (host, host-2x1: this machine, measured on first use and cached; host-2x1 as two one-thread CPU workers), or a profile JSON path` })
    .option("output", { alias: "o", type: "string", demandOption: true, describe: "output folder (created; an earlier package there is replaced)" })
    .option("pin", { type: "string", array: true, describe: "force placement: NAME=cpu, op:Softmax=gpu, re:^layer4.*=gpu (repeatable)" })
    .option("sparsity-threshold", { type: "number", describe: "sparse when sparsity >= this, 0..1 (default: grid search)" })
    .option("intensity-threshold", { type: "number", describe: "heavy when the intensity (see --intensity) >= this (default: grid search)" })
    .option("thresholds", { type: "string", default: "predictor", describe: "where thresholds come from: predictor (the trained threshold predictor, docs/predictor.md), grid (grid search: up to 144 simulated placements), or S,I (fixed sparsity and intensity)" })
    .option("predictor", { type: "string", describe: "threshold predictor file from 'sparoa train predictor' (default: the bundled one)" })
    .option("predictor-candidates", { type: "number", describe: "threshold bins the predictor judges by simulation, keeping the cheapest: its most likely bin, then its portfolio of bins chosen on the training labels (default: the predicted bin and the whole portfolio, 10 bins with the bundled weights; 1: the prediction alone; the grid search places up to 144)" })
    .option("scheduler", { type: "string", choices: [...REFINERS], default: "local", describe: "refinement stage: local (deterministic local search) or sac (the pretrained SAC policy + a short fine-tune + local search in the same budget, docs/scheduler.md)" })
    .option("scheduler-weights", { type: "string", describe: "SAC weights from 'sparoa train scheduler' (default: the bundled ones)" })
    .option("search-budget", { type: "string", describe: "refinement budget: N simulations, or Ns seconds of wall time (e.g. 3000 or 10s); same as --search-evaluations / --search-ms" })
    .option("state", { type: "string", describe: "hardware state to plan for: live (read now), none, or a state file from 'sparoa profile --state --json' (default: live for the host profile, none for spec-sheet profiles)" })
    .option("compare-thresholds", { type: "boolean", describe: "also grid-search and report its thresholds and plan cost beside the predicted ones (report.json thresholds.comparison)" })
    .option("intensity", { type: "string", choices: [...INTENSITY_AXES], default: DEFAULT_INTENSITY_AXIS, describe: "intensity axis of the quadrant rule: flops (per node, the SparOA paper's) or flop-per-byte (arithmetic intensity)" })
    .option("refine", { type: "boolean", default: true, describe: "refine the threshold plan by local search seeded from it and every baseline (--no-refine: the raw threshold plan, which may lose to a baseline)" })
    .option("search-evaluations", { type: "number", describe: `refinement budget in simulations (default ${DEFAULT_SEARCH_EVALUATIONS_TEXT}); same budget and seed, same plan` })
    .option("search-seed", { type: "number", default: 1, describe: "seed of the refinement's perturbations" })
    .option("search-ms", { type: "number", describe: "also stop the refinement after this many ms (makes the plan depend on the machine's speed)" })
    .option("smoothing", { type: "boolean", default: true, describe: "transfer-aware smoothing after the quadrant rule (--no-smoothing to see the raw rule)" })
    .option("calibrate", { type: "boolean", default: true, describe: "measure activation sparsity with a calibration run (--no-calibrate: weight sparsity only, static)" })
    .option("calibration", { type: "string", array: true, describe: "calibration data for an input, NAME=FILE (.npy or .pb; repeat for more samples)" })
    .option("samples", { type: "number", default: 8, describe: "generated calibration samples when no --calibration is given (at most 10,000)" })
    .option("seed", { type: "number", default: 0, describe: "seed for generated calibration and --check inputs" })
    .option("eps", { type: "number", describe: "also count |x| < EPS as zero in activations" })
    .option("explain", { type: "boolean", describe: "print, per node, why it went where it went" })
    .option("json", { type: "boolean", describe: "print the report JSON instead of the summary" })
    .option("check", { type: "boolean", describe: "run the original and the package with onnxruntime (CPU) and compare outputs; a mismatch fails and writes nothing" })
    .option("check-input", { type: "string", array: true, describe: "an input for --check, NAME=FILE.npy|FILE.pb|NUMBER (a NUMBER fills the input's shape; others generated)" })
    .option("exact", { type: "boolean", describe: "--check with graph optimisations off in every session and outputs bit-identical" })
    .option("rtol", { type: "number", default: 1e-4, describe: "--check relative tolerance" })
    .option("atol", { type: "number", default: 1e-5, describe: "--check absolute tolerance, scaled down by an output's peak magnitude when that is below 1 (at most 100x)" })
    .group(["device", "output", "input-shape", "batch", "pin", "sparsity-threshold", "intensity-threshold", "thresholds", "predictor", "predictor-candidates", "compare-thresholds", "intensity", "smoothing", "refine", "scheduler", "scheduler-weights", "search-budget", "search-evaluations", "search-seed", "search-ms", "state"], "Placement:")
    .group(["calibrate", "calibration", "samples", "seed", "eps"], "Sparsity analysis:")
    .group(["explain", "json", "check", "check-input", "exact", "rtol", "atol"], "Report and check:")
    .example("$0 optimize model.onnx --device orin-nano -o out", "plan for a Jetson Orin Nano; writes out/manifest.json, out/partitions/, out/model.annotated.onnx, out/report.json")
    .example("$0 optimize model.onnx -d agx-orin -o out --check --explain", "also verify the package against the original and say why each node went where")
    .example("$0 optimize det.onnx -o out --input-shape x=1x3x640x640 --pin 'op:Resize=cpu' --pin 're:^conv1.*=gpu'", "bind a dynamic input and force some nodes")
    .example("$0 optimize model.onnx -d agx-orin -o out --scheduler sac --search-budget 10s --state busy.json", "refine with the SAC scheduler for a recorded machine state")
    .example("$0 optimize model.onnx -o out --thresholds grid", "grid-search the thresholds instead of predicting them")
    .example("$0 optimize model.onnx -d agx-orin -o out --compare-thresholds", "predicted thresholds, with the grid search's beside them in report.json")
    .example("$0 optimize model.onnx -o out --no-calibrate --sparsity-threshold 0.5 --intensity-threshold 20", "static analysis only, fixed thresholds")
    .example("$0 optimize model.onnx -o out --search-evaluations 20000 --search-seed 3", "a longer refinement; the same budget and seed always give the same plan") as unknown as Argv<OptimizeArgs>,
  handler: async (argv) => {
    for (const [flag, value, ok, what] of [
      ["sparsity-threshold", argv["sparsity-threshold"], (n: number) => n >= 0 && n <= 1, "a fraction in 0..1"],
      ["intensity-threshold", argv["intensity-threshold"], (n: number) => n >= 0, "a number >= 0"],
      ["search-evaluations", argv["search-evaluations"], (n: number) => Number.isInteger(n) && n >= 1, "a whole number >= 1"],
      ["predictor-candidates", argv["predictor-candidates"], (n: number) => Number.isInteger(n) && n >= 1 && n <= 121, "a whole number 1..121"],
      ["search-seed", argv["search-seed"], (n: number) => Number.isInteger(n) && n >= 0, "a whole number >= 0"],
      ["search-ms", argv["search-ms"], (n: number) => n > 0, "a positive number"],
      ["samples", argv.samples, (n: number) => Number.isInteger(n) && n >= 1 && n <= MAX_SAMPLES, `a whole number >= 1 and at most ${MAX_SAMPLES}`],
      ["seed", argv.seed, (n: number) => Number.isInteger(n) && n >= 0, "a whole number >= 0"],
      ["rtol", argv.rtol, (n: number) => n >= 0, "a number >= 0"],
      ["atol", argv.atol, (n: number) => n >= 0, "a number >= 0"],
    ] as const) {
      if (value !== undefined && (!Number.isFinite(value) || !ok(value))) throw new CliError(`--${flag} ${value}: expected ${what}`);
    }
    const budget = parseSearchBudget(argv["search-budget"], argv["search-evaluations"], argv["search-ms"]);
    const thresholds = parseThresholdsFlag(argv.thresholds);
    if (thresholds.fixed && (argv["sparsity-threshold"] !== undefined || argv["intensity-threshold"] !== undefined)) throw new CliError("--thresholds S,I and --sparsity-threshold/--intensity-threshold both fix thresholds; give one");
    let files: Map<string, string[]>;
    try {
      files = parseCalibrationFiles(argv.calibration ?? []);
    } catch (e) {
      if (e instanceof CalibrationInputError) throw new CliError(e.message);
      throw e;
    }
    const options: OptimizeOptions = {
      model: argv.model, device: argv.device, out: argv.output,
      inputShapes: argv["input-shape"], batch: batchFlag(argv), pins: argv.pin,
      sparsityThreshold: thresholds.fixed?.sparsity ?? argv["sparsity-threshold"], intensityThreshold: thresholds.fixed?.intensity ?? argv["intensity-threshold"], smoothing: argv.smoothing,
      thresholds: thresholds.mode, predictorFile: argv.predictor, predictorCandidates: argv["predictor-candidates"], compareThresholds: argv["compare-thresholds"],
      intensityAxis: argv.intensity as IntensityAxis, refine: argv.refine, searchEvaluations: budget.evaluations, searchSeed: argv["search-seed"], searchMs: budget.ms,
      scheduler: argv.scheduler as RefinerName, schedulerWeights: argv["scheduler-weights"], state: argv.state,
      calibration: argv.calibrate ? { files, samples: argv.samples, seed: argv.seed, eps: argv.eps } : undefined,
      check: argv.check ? { inputs: argv["check-input"] ?? [], seed: argv.seed, ...(argv.exact ? { rtol: 0, atol: 0, optimization: "disabled" as const } : { rtol: argv.rtol, atol: argv.atol, optimization: "all" as const }) } : undefined,
      pipeline: argv,
    };
    const result = await optimize(options);
    printNotes(result.notes);
    const report = reportJson(options, result);
    if (argv.json) process.stdout.write(JSON.stringify(report, null, 2) + "\n");
    else {
      if (argv.explain) process.stdout.write(formatExplain(report));
      process.stdout.write(formatSummary(report, argv.output));
    }
  },
};

/** `--search-budget N|Ns`, against --search-evaluations and --search-ms. */
function parseSearchBudget(text: string | undefined, evaluations: number | undefined, ms: number | undefined): { evaluations?: number; ms?: number } {
  if (text === undefined) return { evaluations, ms };
  const m = /^(\d+(?:\.\d+)?)(s?)$/.exec(text.trim());
  if (!m || Number(m[1]) <= 0 || (!m[2] && !Number.isInteger(Number(m[1])))) throw new CliError(`--search-budget ${text}: expected a whole number of simulations (3000) or seconds (10s)`);
  if (m[2]) {
    if (ms !== undefined) throw new CliError("--search-budget in seconds and --search-ms both cap the wall time; give one");
    return { evaluations, ms: Number(m[1]) * 1000 };
  }
  if (evaluations !== undefined) throw new CliError("--search-budget N and --search-evaluations both set the simulations; give one");
  return { evaluations: Number(m[1]), ms };
}

/** `--thresholds predictor|grid|S,I`. */
export function parseThresholdsFlag(text: string): { mode: ThresholdMode; fixed?: { sparsity: number; intensity: number } } {
  if ((THRESHOLD_MODES as readonly string[]).includes(text)) return { mode: text as ThresholdMode };
  const parts = text.split(",");
  const [s, i] = parts.map((x) => (x.trim() === "" ? NaN : Number(x)));
  if (parts.length !== 2 || !Number.isFinite(s) || !Number.isFinite(i) || s! < 0 || s! > 1 || i! < 0) throw new CliError(`--thresholds ${text}: expected predictor, grid, or S,I (sparsity 0..1, intensity >= 0), e.g. 0.5,2e6`);
  return { mode: "grid", fixed: { sparsity: s!, intensity: i! } };
}
