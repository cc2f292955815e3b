// `sparoa optimize` as a library call: analyse a copy of the model (shapes with the bound input
// shapes, cost, weight sparsity, optionally activation sparsity from a calibration run), place
// it on a device profile, partition it, cut the package from the file's own model, optionally
// check it against the original with onnxruntime, and write everything to the output folder
// at once (staged in a temporary folder; a failed check leaves nothing behind).
import { rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { loadModel } from "../../ir/onnx/file.ts";
import type { Model } from "../../ir/model.ts";
import type { PassRun } from "../../passes/manager.ts";
import type { PipelineEntry } from "../../passes/pipeline.ts";
import { placementAnalysis, type PlacementResult } from "../../passes/placement.ts";
import type { IntensityAxis } from "../planner/problem.ts";
import { NodeKey, numberAnnotation } from "../../ir/annotation-keys.ts";
import type { Partitioning } from "../../passes/describe-partitions.ts";
import { formatInputShapes, type InputShape } from "../../passes/shape-inference.ts";
import { evaluate, type SimResult } from "../sim/simulator.ts";
import { resolveDeviceProfile } from "../profiler/live-host.ts";
import { parsePin, resolvePins } from "../planner/pins.ts";

/** One simulated inference (no batch figures). */
export type SimOutcome = Omit<SimResult, "batch">;
import { SparoaError } from "../../ir/sparoa-error.ts";
import { loadInputModel, refuseSpecProblems } from "../io/input-model.ts";
import { Progress } from "../io/progress.ts";
import { batchNotes, bindLeadingBatch, concreteInputShapes, parseInputShapes } from "../../passes/shape-inference.ts";
import { runPipeline, type PipelineFlags } from "./run-pipeline.ts";
import { checkPackage, type CheckOptions, type CheckResult } from "../package/check.ts";
import { checkInputs } from "../package/check-inputs.ts";
import { dataInputs, setSourcePath, type PackageFiles } from "../package/emit.ts";
import { packageModel } from "../package/package-model.ts";
import { assertOutputDirUsable, commitFolder, stageFolder, writeFiles } from "../package/write.ts";
import { reportJson } from "./report.ts";
import type { ThresholdMode } from "../predictor/choose.ts";
import type { HardwareState } from "../devices/hardware-state.ts";
import type { RefinerName } from "../scheduler/pass-options.ts";
import { resolveStateOption } from "../scheduler/state-option.ts";
import { schedulerBackend } from "../scheduler/tf.ts";
import { loadSchedulerWeights } from "../scheduler/weights.ts";

export interface CalibrationOptions {
  /** NAME -> files (.npy / .pb), one sample per file. */
  files: Map<string, string[]>;
  samples: number;
  seed: number;
  eps?: number;
}

export interface OptimizeOptions {
  model: string;
  /** Device profile name or path. */
  device: string;
  out: string;
  inputShapes?: readonly string[];
  /** Size of a leading symbolic (batch) dimension left unbound by inputShapes; default 1. */
  batch?: number;
  pins?: readonly string[];
  sparsityThreshold?: number;
  intensityThreshold?: number;
  smoothing?: boolean;
  /** The quadrant rule's intensity axis (default: the planner's). */
  intensityAxis?: IntensityAxis;
  /** false: the raw threshold plan (no refinement, no guarantee). */
  refine?: boolean;
  /** Refinement budget in simulations (default: the planner's), seed, optional wall-time cap. */
  searchEvaluations?: number;
  searchSeed?: number;
  searchMs?: number;
  /** Thresholds not given: the trained predictor (default) or the grid search; predictor file (default: bundled). */
  thresholds?: ThresholdMode;
  predictorFile?: string;
  /** Bins the predictor's choice is judged among (default: the predicted bin and the predictor's portfolio). */
  predictorCandidates?: number;
  /** Also run the grid search and report its thresholds and plan cost beside the predicted ones. */
  compareThresholds?: boolean;
  /** The refinement stage: local search (default) or the SAC scheduler; SAC weights file (default: bundled). */
  scheduler?: RefinerName;
  schedulerWeights?: string;
  /** live | none | a state file (default: live for the host profile, none otherwise; src/scheduler/state-option.ts). */
  state?: string;
  /** The snapshot the plan is made for (set by optimize() from `state`; callers may give one directly). */
  stateSnapshot?: HardwareState;
  /** Undefined: static analysis only (weight sparsity), no calibration run. */
  calibration?: CalibrationOptions;
  check?: CheckOptions & { inputs: readonly string[]; seed: number };
  pipeline?: PipelineFlags;
}

export interface OptimizeResult {
  analysed: Model;
  placement: PlacementResult;
  partitioning: Partitioning;
  package: PackageFiles;
  /** The plan's simulated inference (one runtime call; see planMs for the package's). */
  plan: SimOutcome;
  /** Predicted latency of the package: the simulation plus one runtime call per extra partition. */
  planMs: number;
  /** Every baseline's latency under the same cost (simulation + calls between its partitions). */
  baselines: Record<string, number>;
  runs: PassRun[];
  warnings: string[];
  /** What was assumed without being asked (a dynamic batch bound to 1), one line each. */
  notes: string[];
  check?: CheckResult;
  /** Milliseconds per stage. */
  timings: Record<string, number>;
}

/** The passes optimize runs, in order (the manager adds required analyses first). */
export function optimizePipeline(options: OptimizeOptions, shapes: readonly InputShape[]): PipelineEntry[] {
  const shapeText = formatInputShapes(shapes);
  const entries: PipelineEntry[] = [
    { name: "shape-inference", options: shapeText ? { "input-shape": shapeText } : {} },
    { name: "cost", options: {} },
    { name: "weight-sparsity", options: {} },
  ];
  const c = options.calibration;
  if (c) {
    const activation: Record<string, string> = { samples: String(c.samples), seed: String(c.seed), "if-unrunnable": "warn" };
    if (shapeText) activation["input-shape"] = shapeText;
    if (c.files.size > 0) activation.inputs = [...c.files].flatMap(([name, list]) => list.map((f) => `${name}=${f}`)).join(";");
    if (c.eps !== undefined) activation.eps = String(c.eps);
    entries.push({ name: "activation-sparsity", options: activation });
  }
  const placement: Record<string, string> = { profile: options.device };
  if (options.sparsityThreshold !== undefined) placement.sparsity = String(options.sparsityThreshold);
  if (options.intensityThreshold !== undefined) placement.intensity = String(options.intensityThreshold);
  if (options.pins?.length) placement.pin = options.pins.join("\n");
  if (options.smoothing === false) placement.smoothing = "false";
  if (options.intensityAxis) placement["intensity-axis"] = options.intensityAxis;
  if (options.refine === false) placement.refine = "false";
  if (options.searchEvaluations !== undefined) placement.evaluations = String(options.searchEvaluations);
  if (options.searchSeed !== undefined) placement.seed = String(options.searchSeed);
  if (options.searchMs !== undefined) placement["search-ms"] = String(options.searchMs);
  if (options.scheduler) placement.refiner = options.scheduler;
  if (options.schedulerWeights !== undefined) placement.scheduler = options.schedulerWeights;
  if (options.stateSnapshot) placement.state = JSON.stringify(options.stateSnapshot);
  placement.thresholds = options.thresholds ?? "predictor";
  if (options.predictorFile !== undefined) placement.predictor = options.predictorFile;
  if (options.predictorCandidates !== undefined) placement["predictor-candidates"] = String(options.predictorCandidates);
  if (options.compareThresholds) placement["compare-thresholds"] = "true";
  entries.push({ name: "placement", options: placement }, { name: "partition", options: {} });
  return entries;
}

export async function optimize(options: OptimizeOptions): Promise<OptimizeResult> {
  const timings: Record<string, number> = {};
  let t = performance.now();
  const lap = (name: string) => { const now = performance.now(); timings[name] = now - t; t = now; };
  assertOutputDirUsable(options.out, options.model);
  const analysed = loadInputModel(options.model, { spec: "refuse" });
  lap("load");

  // `host` is measured here on first use; the placement pass then reads the same cached profile.
  const profile = await resolveDeviceProfile(options.device);
  if (!options.stateSnapshot) {
    options = { ...options, stateSnapshot: (await resolveStateOption(options.state, profile)).state };
  }
  if (options.scheduler === "sac") {
    loadSchedulerWeights(options.schedulerWeights);
    await schedulerBackend();
  }
  const shapes = parseInputShapes(options.inputShapes ?? []);
  concreteInputShapes(shapes);
  const binding = bindLeadingBatch(analysed, shapes, options.batch);
  const notes = batchNotes(binding);
  // Pins are checked before any analysis runs, so a typo fails in milliseconds.
  resolvePins(analysed.graph, (options.pins ?? []).map((p) => parsePin(p, Object.keys(profile.processors))));
  const runs = await runPipeline(analysed, options.pipeline ?? {}, optimizePipeline(options, shapes));
  lap("passes");
  refuseSpecProblems(options.model, analysed);
  const warnings = [...new Set(runs.flatMap((r) => r.messages.map((m) => `${r.pass.name}: ${m}`)))];
  const placement = placementAnalysis(runs);
  if (!placement) throw new Error("internal error: the placement pass left no result");
  const plan = evaluate(placement.problem.sim, placement.outcome.assign, true);
  const baselines = Object.fromEntries(placement.baselines.map((b) => [b.name, b.latency.ms]));
  lap("simulate");

  let partitions = 0;
  for (const n of analysed.graph.nodes) partitions = Math.max(partitions, (numberAnnotation(n, NodeKey.partition) ?? 0) + 1);
  // The plan cost's charges beyond the schedule (cuts, contention: src/sim/plan-charges.ts), as the planner counted them.
  const { charges } = placement.problem.cost;
  const assign = placement.outcome.assign;
  const chargedMs = (partitions > 1 ? charges.cutsMs(assign) : 0) + (charges.contends(assign) ? charges.contentionMs(assign, undefined, plan.schedule) : 0);
  const planMs = plan.makespanMs + Math.max(0, partitions - 1) * placement.problem.cost.callMs + chargedMs;
  const { files, partitioning } = await packageModel(analysed, {
    profile: placement.problem.profile.name,
    thresholds: placement.thresholds,
    predictedMs: planMs,
    baselines,
  }, shapes.length > 0 || binding.bound.length > 0 ? loadModel(options.model) : undefined);
  lap("emit");

  setSourcePath(files, options.out, options.model);
  const stage = stageFolder(options.out);
  try {
    writeFiles(stage, files.files);
    lap("write");
    let check: CheckResult | undefined;
    if (options.check) {
      const inputs = checkInputs(dataInputs(analysed), options.check.inputs, options.check.seed);
      let bar: Progress | undefined;
      check = await checkPackage(options.model, stage, inputs, options.check, (_done, total) => {
        bar ??= new Progress("check (onnxruntime, CPU)", total);
        bar.tick(1);
      });
      bar?.finish();
      lap("check");
    }
    const result: OptimizeResult = { analysed, placement, partitioning, package: files, plan, planMs, baselines, runs, warnings, notes, check, timings };
    writeFileSync(join(stage, REPORT_FILE), JSON.stringify(reportJson(options, result), null, 2) + "\n");
    if (check && !check.ok && options.check) {
      const bad = check.outputs.find((o) => !o.ok)!;
      throw new CheckFailedError(`--check failed: output '${bad.name}' of the ${bad.against === "package" ? "package" : "annotated model"} differs from the original (max abs ${bad.maxAbs.toExponential(3)}, max rel ${bad.maxRel.toExponential(3)}, rtol ${options.check.rtol}, atol ${options.check.atol}${bad.reason ? `; ${bad.reason}` : ""}); nothing written to ${options.out}`);
    }
    commitFolder(stage, options.out);
    return result;
  } finally {
    rmSync(stage, { recursive: true, force: true });
  }
}

export const REPORT_FILE = "report.json";

/** `--check` found the package's outputs differ from the original model's: exit code 3, nothing written. */
export class CheckFailedError extends SparoaError {
  constructor(message: string) { super(message, { exitCode: 3 }); }
}



