// The placement pass: compiles the placement problem from the analyses' annotations and asks
// the planner (src/planner/planner.ts) for a plan: thresholds (given or searched) -> SparOA's
// quadrant rule and smoothing -> refinement -> the cheapest plan evaluated. Writes
// NodeKey.device, quadrant, time_cpu_ms, time_gpu_ms, pinned, transfer_ms and placement_reason;
// the full result (problem, stages, baselines, explanations) is the pass's analysis result, which
// the partition pass and optimize read from the pass manager (placementAnalysis).
//
// Options: profile=orin-nano (name or path), sparsity=S, intensity=I (absent: searched),
// pin=PIN (several separated by newlines, or by ';' when there is no newline), smoothing=false,
// intensity-axis=flops|flop-per-byte, refine=false, evaluations=N (refinement budget in
// simulations), seed=N, search-ms=MS (optional wall-time cap of the refinement),
// thresholds=grid|predictor (absent thresholds: grid search, or the trained threshold predictor,
// src/predictor/), predictor=PATH (default: the bundled one), compare-thresholds=true (the grid's
// result beside the prediction), predictor-candidates=K (judge the predicted bin and the predictor's portfolio, K in all, keep the cheapest),
// refiner=local|sac (the refinement stage: the local search or the SAC scheduler,
// src/scheduler/), scheduler=PATH (the SAC weights; default: the bundled ones), state=PATH or an
// inline snapshot JSON (the hardware state the profile is adjusted for and the scheduler observes).
import type { Model } from "../ir/model.ts";
import type { Node } from "../ir/node.ts";
import { loadProfile } from "../src/devices/profile.ts";
import { explainPlacement, type NodeExplanation } from "../src/planner/explain.ts";
import { parsePin } from "../src/planner/pins.ts";
import { planPlacement, type PlannerResult } from "../src/planner/planner.ts";
import { INTENSITY_AXES, placementProblem, type IntensityAxis, type PlacementProblem } from "../src/planner/problem.ts";
import { NodeKey } from "../ir/annotation-keys.ts";
import type { PassRun } from "./manager.ts";
import type { Pass, PassContext, PassOptions, PassResult } from "./pass.ts";
import { updateCombinedSparsity } from "./support/combined-sparsity.ts";
import { schedulingOptions } from "../src/scheduler/pass-options.ts";
import { compareWithGrid, decideThresholds, THRESHOLD_MODES, type ThresholdDecision, type ThresholdMode } from "../src/predictor/choose.ts";

export interface PlacementResult extends PlannerResult {
  problem: PlacementProblem;
  explanations: NodeExplanation[];
  /** Where the thresholds came from (given, grid search, predictor) and the predictor's comparison with the grid. */
  thresholdDecision: ThresholdDecision;
}

/** The placement result from a pass context (a later pass) or from a pipeline's runs (the caller). */
export function placementAnalysis(source: PassContext | readonly PassRun[]): PlacementResult | undefined {
  if (Array.isArray(source)) {
    const runs = source as readonly PassRun[];
    for (let k = runs.length - 1; k >= 0; k--) if (runs[k]!.pass.name === "placement") return runs[k]!.result.analysis as PlacementResult | undefined;
    return undefined;
  }
  return (source as PassContext).analysis("placement") as PlacementResult | undefined;
}

const KNOWN = new Set(["profile", "sparsity", "intensity", "pin", "smoothing", "intensity-axis", "refine", "evaluations", "seed", "search-ms", "thresholds", "predictor", "compare-thresholds", "predictor-candidates", "refiner", "scheduler", "state"]);

function numberOption(options: PassOptions, key: string, integer = false): number | undefined {
  const text = options[key];
  if (text === undefined || text === "") return undefined;
  const x = Number(text);
  if (!Number.isFinite(x) || x < 0 || (integer && !Number.isInteger(x))) throw new Error(`placement option ${key}=${text}: expected ${integer ? "a whole number" : "a number"} >= 0`);
  return x;
}

export function placementPass(options: PassOptions = {}): Pass {
  for (const key of Object.keys(options)) if (!KNOWN.has(key)) throw new Error(`placement has no option '${key}' (options: ${[...KNOWN].join(", ")})`);
  const sparsity = numberOption(options, "sparsity");
  const intensity = numberOption(options, "intensity");
  const evaluations = numberOption(options, "evaluations", true);
  const seed = numberOption(options, "seed", true);
  const searchMs = numberOption(options, "search-ms");
  const axis = options["intensity-axis"];
  if (axis !== undefined && !INTENSITY_AXES.includes(axis as IntensityAxis)) throw new Error(`placement option intensity-axis=${axis}: expected ${INTENSITY_AXES.join(" or ")}`);
  const pinText = options["pin"] ?? "";
  const pinTexts = pinText.split(pinText.includes("\n") ? "\n" : ";").map((s) => s.trim()).filter((s) => s !== "");
  const smoothing = options["smoothing"] !== "false";
  const refine = options["refine"] !== "false";
  const thresholdMode = (options["thresholds"] ?? "grid") as ThresholdMode;
  if (!THRESHOLD_MODES.includes(thresholdMode)) throw new Error(`placement option thresholds=${thresholdMode}: expected ${THRESHOLD_MODES.join(" or ")}`);
  const compareThresholds = options["compare-thresholds"] === "true";
  const candidates = numberOption(options, "predictor-candidates", true);
  const scheduling = schedulingOptions(options);
  return {
    name: "placement",
    description: "place nodes on CPU/GPU: SparOA's sparsity/intensity quadrants and smoothing, then refinement; never slower than a baseline (profile=, sparsity=, intensity=, pin=, intensity-axis=, evaluations=)",
    requires: ["cost", "weight-sparsity"],
    preserves: "all",
    run(model: Model, ctx: PassContext): PassResult {
      const profile = scheduling.adjust(loadProfile(options["profile"] ?? "orin-nano"));
      const pins = pinTexts.map((t) => parsePin(t, Object.keys(profile.processors)));
      for (const node of model.graph.nodes) if (!node.annotations.has(NodeKey.sparsity)) updateCombinedSparsity(node);
      const problem = placementProblem(model, profile, { pins, intensity: axis as IntensityAxis | undefined });
      const decision = decideThresholds(problem, { sparsity, intensity }, thresholdMode, options["predictor"], candidates);
      for (const w of decision.warnings) ctx.warn(w);
      const plannerOptions = { sparsity, intensity, ...decision.thresholds, smoothing, refine, search: { maxEvaluations: evaluations, seed, timeLimitMs: searchMs }, refiner: scheduling.refiner };
      const plan = planPlacement(problem, plannerOptions);
      if (compareThresholds && decision.source === "predictor") decision.comparison = compareWithGrid(problem, decision.thresholds!, plannerOptions, refine ? plan.latency.ms : undefined);
      const explanations = explainPlacement(problem, plan.outcome);
      annotate(problem, explanations, ctx);
      const counts: Record<string, number> = {};
      for (const e of explanations) counts[`nodes-${e.device}`] = (counts[`nodes-${e.device}`] ?? 0) + 1;
      const result: PlacementResult = { ...plan, problem, explanations, thresholdDecision: decision };
      return {
        changed: true,
        analysis: result,
        statistics: {
          ...counts, "smoothing-moves": plan.thresholdPlan.moves, "refinement-moves": plan.outcome.movedNodes ?? 0,
          ...(plan.search ? { "thresholds-evaluated": plan.search.evaluated } : {}), ...(plan.refinement ? { "refinement-simulations": plan.refinement.evaluations } : {}),
        },
      };
    },
  };
}

function annotate(problem: PlacementProblem, explanations: readonly NodeExplanation[], ctx: PassContext): void {
  const cpu = problem.sim.processors[problem.cpu]!;
  const gpu = problem.gpu >= 0 ? problem.sim.processors[problem.gpu]! : undefined;
  problem.sim.nodes.forEach((node: Node, i) => {
    ctx.at(node);
    const e = explanations[i]!;
    const a = node.annotations;
    a.set(NodeKey.device, e.device);
    a.set(NodeKey.quadrant, e.quadrant);
    a.set(NodeKey.timeCpuMs, e.timeMs[cpu]!);
    if (gpu) a.set(NodeKey.timeGpuMs, e.timeMs[gpu]!);
    a.set(NodeKey.transferMs, e.transferMs);
    a.set(NodeKey.placementReason, e.reason);
    if (e.pinned) a.set(NodeKey.pinned, e.device); else a.delete(NodeKey.pinned);
  });
  ctx.currentNode = null;
}
