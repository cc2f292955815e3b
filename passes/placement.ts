// The placement pass: compiles the placement problem from the analyses' annotations and asks
// the planner (src/planner/planner.ts) for a plan: thresholds (given or searched) -> SparOA's
// quadrant rule and smoothing -> refinement -> the cheapest plan evaluated. Writes
// NodeKey.processor, quadrant, time_cpu_ms, time_gpu_ms, pinned, transfer_ms and placement_reason;
// the full result (problem, stages, baselines, explanations) is the pass's analysis result, which
// the partition pass and optimize read from the pass manager (placementAnalysis).
//
// Options: profile=orin-nano (name or path), sparsity=S, intensity=I (absent: searched),
// pin=PIN (a list in code; in text several separated by newlines, or by ';' when there is no newline), smoothing=false,
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
import { analysisOf, type PassRun } from "./manager.ts";
import { booleanOption, choiceOption, customOption, listOption, numberOption, stringOption } from "./options.ts";
import { definePass, type PassContext, type PassResult } from "./pass.ts";
import { updateCombinedSparsity } from "./support/combined-sparsity.ts";
import { parseStateOption, REFINERS, schedulingOptions } from "../src/scheduler/pass-options.ts";
import { HardwareStateError, validateHardwareState, type HardwareState } from "../src/devices/hardware-state.ts";
import { compareWithGrid, decideThresholds, THRESHOLD_MODES, type ThresholdDecision, type ThresholdMode } from "../src/predictor/choose.ts";

export interface PlacementResult extends PlannerResult {
  problem: PlacementProblem;
  explanations: NodeExplanation[];
  /** Where the thresholds came from (given, grid search, predictor) and the predictor's comparison with the grid. */
  thresholdDecision: ThresholdDecision;
}

/** The placement result from a pass context (a later pass) or from a pipeline's runs (the caller). */
export function placementAnalysis(source: PassContext | readonly PassRun[]): PlacementResult | undefined {
  return Array.isArray(source) ? analysisOf(source as readonly PassRun[], placementPass) : (source as PassContext).analysis(placementPass);
}

/** A hardware state given in code: valid when validateHardwareState accepts it. */
function stateProblem(state: HardwareState): string | undefined {
  try {
    validateHardwareState(state, "placement option state");
    return undefined;
  } catch (e) {
    if (e instanceof HardwareStateError) return `a valid hardware state (${e.message})`;
    throw e;
  }
}

export const placementPass = definePass({
  name: "placement",
  description: "place nodes on CPU/GPU: SparOA's sparsity/intensity quadrants and smoothing, then refinement; never slower than a baseline",
  options: {
    profile: stringOption("device profile, a name or a JSON file", "NAME|FILE", "orin-nano"),
    sparsity: numberOption("the quadrant rule's sparsity threshold (absent: chosen)", { min: 0 }),
    intensity: numberOption("the quadrant rule's intensity threshold (absent: chosen)", { min: 0 }),
    pin: listOption("pins, NAME=PROCESSOR, op:OPTYPE=PROCESSOR or re:REGEX=PROCESSOR (in text: separated by ';', or by newlines when there is one)", "PIN;..."),
    smoothing: booleanOption("SparOA's smoothing of isolated placements", true),
    "intensity-axis": choiceOption("what the intensity threshold measures", INTENSITY_AXES),
    refine: booleanOption("refine the threshold plan (false: the raw quadrant plan, no guarantee)", true),
    evaluations: numberOption("refinement budget in simulations", { integer: true, min: 0 }),
    seed: numberOption("seed of the refinement", { integer: true, min: 0 }),
    "search-ms": numberOption("wall-time cap of the refinement in ms", { min: 0 }),
    thresholds: choiceOption("thresholds not given: grid search, or the trained predictor", THRESHOLD_MODES, "grid"),
    predictor: stringOption("the threshold predictor's weights", "FILE", "bundled"),
    "compare-thresholds": booleanOption("also run the grid search and report it beside the prediction", false),
    "predictor-candidates": numberOption("judge the K most likely threshold bins, keep the cheapest", { integer: true, min: 0 }),
    refiner: choiceOption("the refinement stage: local search or the SAC scheduler", REFINERS, "local"),
    scheduler: stringOption("the SAC scheduler's weights", "FILE", "bundled"),
    state: customOption<HardwareState>("FILE|{json}", "the hardware state the profile is adjusted for (a file or an inline snapshot)", parseStateOption, stateProblem),
  },
  annotates: { nodes: [NodeKey.processor, NodeKey.quadrant, NodeKey.timeCpuMs, NodeKey.timeGpuMs, NodeKey.transferMs, NodeKey.placementReason, NodeKey.pinned] },
  build: (options) => {
    const sparsity = options.sparsity;
    const intensity = options.intensity;
    const axis = options["intensity-axis"];
    const pinTexts = options.pin ?? [];
    const smoothing = options.smoothing ?? true;
    const refine = options.refine ?? true;
    const thresholdMode = options.thresholds ?? "grid";
    const candidates = options["predictor-candidates"];
    const scheduling = schedulingOptions({ refiner: options.refiner, scheduler: options.scheduler, state: options.state });
    return {
      requires: ["cost", "weight-sparsity"],
      preserves: "all",
      run(model: Model, ctx: PassContext): PassResult<PlacementResult> {
        const profile = scheduling.adjust(loadProfile(options.profile ?? "orin-nano"));
        const pins = pinTexts.map((t) => parsePin(t, Object.keys(profile.processors)));
        for (const node of model.graph.nodes) if (!node.annotations.has(NodeKey.sparsity)) updateCombinedSparsity(node);
        const problem = placementProblem(model, profile, { pins, intensity: axis });
        const decision = decideThresholds(problem, { sparsity, intensity }, thresholdMode, options.predictor, candidates);
        for (const w of decision.warnings) ctx.warn(w);
        const plannerOptions = { sparsity, intensity, ...decision.thresholds, smoothing, refine, search: { maxEvaluations: options.evaluations, seed: options.seed, timeLimitMs: options["search-ms"] }, refiner: scheduling.refiner };
        const plan = planPlacement(problem, plannerOptions);
        if (options["compare-thresholds"] && decision.source === "predictor") decision.comparison = compareWithGrid(problem, decision.thresholds!, plannerOptions, refine ? plan.latency.ms : undefined);
        const explanations = explainPlacement(problem, plan.outcome);
        annotate(problem, explanations, ctx);
        const counts: Record<string, number> = {};
        for (const e of explanations) counts[`nodes-${e.processor}`] = (counts[`nodes-${e.processor}`] ?? 0) + 1;
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
  },
});

function annotate(problem: PlacementProblem, explanations: readonly NodeExplanation[], ctx: PassContext): void {
  const cpu = problem.sim.processors[problem.cpu]!;
  const gpu = problem.gpu >= 0 ? problem.sim.processors[problem.gpu]! : undefined;
  problem.sim.nodes.forEach((node: Node, i) => {
    ctx.at(node);
    const e = explanations[i]!;
    const a = node.annotations;
    a.set(NodeKey.processor, e.processor);
    a.set(NodeKey.quadrant, e.quadrant);
    a.set(NodeKey.timeCpuMs, e.timeMs[cpu]!);
    if (gpu) a.set(NodeKey.timeGpuMs, e.timeMs[gpu]!);
    a.set(NodeKey.transferMs, e.transferMs);
    a.set(NodeKey.placementReason, e.reason);
    if (e.pinned) a.set(NodeKey.pinned, e.processor); else a.delete(NodeKey.pinned);
  });
  ctx.currentNode = null;
}
