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
import { passEntry, type PipelineEntry } from "../../passes/pipeline.ts";
import { placementAnalysis, placementPass, type PlacementResult } from "../../passes/placement.ts";
import { activationSparsityPass } from "../../passes/activation-sparsity.ts";
import { costPass } from "../../passes/cost.ts";
import { partitionPass } from "../../passes/partition.ts";
import { weightSparsityPass } from "../../passes/weight-sparsity.ts";
import type { IntensityAxis } from "../planner/problem.ts";
import { NodeKey, numberAnnotation } from "../../ir/annotation-keys.ts";
import type { Partitioning } from "../../passes/describe-partitions.ts";
import { shapeInferencePass, type InputShape } from "../../passes/shape-inference.ts";
import { evaluate, type SimResult } from "../sim/simulator.ts";
import { resolveDeviceProfile } from "../profiler/live-host.ts";
import { parsePin, resolvePins } from "../planner/pins.ts";
import type { PlanLatency } from "../planner/plan-cost.ts";

/** One simulated inference (no batch figures). */
export type SimOutcome = Omit<SimResult, "batch">;
import { SparoaError } from "../../ir/sparoa-error.ts";
import { loadInputModel, refuseSpecProblems } from "../io/input-model.ts";
import { Progress } from "../io/progress.ts";
import { batchNotes, bindLeadingBatch, concreteInputShapes, parseInputShapes } from "../../passes/shape-inference.ts";
import { runPipeline, type PipelineFlags } from "./run-pipeline.ts";
import { checkPackage, type CheckOptions, type CheckResult } from "../package/check.ts";
import { checkInputs } from "../package/check-inputs.ts";
import { assertPackageLoads } from "../package/loads.ts";
import { ANNOTATED_MODEL_FILE, dataInputs, setSourcePath, type PackageFiles } from "../package/emit.ts";
import { packageModel } from "../package/package-model.ts";
import { assertOutputDirUsable, commitFolder, stageFolder, writeFiles } from "../package/write.ts";
import { reportJson } from "./report.ts";
import type { CalibrationFiles } from "../../passes/support/calibration-inputs.ts";
import type { ThresholdMode } from "../predictor/choose.ts";
import type { HardwareState } from "../devices/hardware-state.ts";
import type { RefinerName } from "../scheduler/pass-options.ts";
import { resolveStateOption } from "../scheduler/state-option.ts";
import { schedulerBackend } from "../scheduler/tf.ts";
import { loadSchedulerWeights } from "../scheduler/weights.ts";

export interface CalibrationOptions {
  /** NAME -> files (.npy / .pb), one sample per file. */
  files: CalibrationFiles;
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
  /** Predicted latency of the package: the plan cost (src/planner/plan-cost.ts), the partitions as the runtime runs them. */
  planMs: number;
  /** Its parts: simulated inference, calls between partitions, cut and contention charges. */
  planLatency: PlanLatency;
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

/** The passes optimize runs, in order (the manager adds required analyses first), with typed option values. */
export function optimizePipeline(options: OptimizeOptions, shapes: readonly InputShape[]): PipelineEntry[] {
  const bound = shapes.length > 0 ? { "input-shape": shapes } : {};
  const entries: PipelineEntry[] = [passEntry(shapeInferencePass, bound), passEntry(costPass), passEntry(weightSparsityPass)];
  const c = options.calibration;
  if (c) {
    entries.push(passEntry(activationSparsityPass, {
      samples: c.samples, seed: c.seed, "if-unrunnable": "warn", ...bound,
      ...(c.files.size > 0 ? { inputs: c.files } : {}), ...(c.eps !== undefined ? { eps: c.eps } : {}),
    }));
  }
  entries.push(passEntry(placementPass, {
    profile: options.device, sparsity: options.sparsityThreshold, intensity: options.intensityThreshold,
    pin: options.pins?.length ? options.pins : undefined, smoothing: options.smoothing === false ? false : undefined,
    "intensity-axis": options.intensityAxis, refine: options.refine === false ? false : undefined,
    evaluations: options.searchEvaluations, seed: options.searchSeed, "search-ms": options.searchMs,
    refiner: options.scheduler, scheduler: options.schedulerWeights, state: options.stateSnapshot,
    thresholds: options.thresholds ?? "predictor", predictor: options.predictorFile,
    "predictor-candidates": options.predictorCandidates, "compare-thresholds": options.compareThresholds ? true : undefined,
  }), passEntry(partitionPass));
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
  const planLatency = placement.problem.cost.latency(placement.outcome.assign);
  if (planLatency.partitions !== partitions) throw new Error(`internal error: the plan cost counts ${planLatency.partitions} partitions, the partition pass cut ${partitions}`);
  const planMs = planLatency.ms;
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
    await assertPackageLoads(stage, files.manifest, ANNOTATED_MODEL_FILE, options.model);
    lap("verify");
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
    const result: OptimizeResult = { analysed, placement, partitioning, package: files, plan, planMs, planLatency, baselines, runs, warnings, notes, check, timings };
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



