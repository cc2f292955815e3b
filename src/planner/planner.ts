// SparOA's planning pipeline on a compiled problem: thresholds -> quadrant placement (with
// smoothing) -> refinement -> the final plan.
//
// Until the learned scheduler lands, the refinement is the oracle's deterministic search
// (local-search.ts with a budget of simulations, then branch and bound up to 25 free nodes:
// oracle.ts) seeded from the threshold placement and from every baseline (CPU-only, GPU-only, greedy, HEFT, CoDL-style). The final plan is the cheapest of
// everything evaluated under the one plan cost (cost.ts), so it is never slower than any
// baseline. The result says which stage produced it and what each stage gained, and every node
// the refinement moved gets a reason that says so, with what moving it back alone would cost.
import { Reason, followConsumers, place, type PlacementOutcome, type Thresholds } from "./place.ts";
import { Role, type PlacementProblem } from "./problem.ts";
import { chooseThresholds, freeValues, thresholdSplit, type ThresholdChoice } from "./thresholds.ts";
import { baselinePlans, searchSpace, type Plan } from "./baselines/index.ts";
import type { SearchOptions } from "./local-search.ts";
import { oracle } from "./oracle.ts";
import type { PlanLatency } from "./plan-cost.ts";
import type { Refiner, RefineResult } from "./refiner.ts";

export interface PlannerOptions {
  /** Fixed thresholds (absent: searched). */
  sparsity?: number;
  intensity?: number;
  smoothing?: boolean;
  /** false: stop after the threshold placement (the raw SparOA rule, no guarantee). */
  refine?: boolean;
  search?: SearchOptions;
  /** Baseline plans already made on this problem's cost (no pins): reused instead of made again. */
  baselines?: Plan[];
  /** The refinement stage (default: the local search); see refiner.ts. */
  refiner?: Refiner;
}

export interface StageReport {
  /** thresholds | refinement */
  stage: string;
  /** Exact plan cost of the stage's plan. */
  ms: number;
  /** What the stage gained over the previous one (ms, > 0 is faster). */
  gainMs: number;
  /** refinement: the start its best plan was climbed from, the simulations spent, whether the budget ran out, and whether branch and bound proved the plan optimal. */
  from?: string;
  evaluations?: number;
  budgetHit?: boolean;
  exact?: boolean;
}

export interface PlannerResult {
  thresholds: Thresholds;
  /** Present when at least one threshold was searched. */
  search?: Omit<ThresholdChoice, "outcome">;
  /** Where each searched threshold leaves the free nodes: "all" on one side, "none", or null (it splits them). */
  split: { sparsity: "all" | "none" | null; intensity: "all" | "none" | null };
  /** The quadrant rule + smoothing plan. */
  thresholdPlan: PlacementOutcome;
  /** The final plan (reasons updated for nodes the refinement moved). */
  outcome: PlacementOutcome;
  latency: PlanLatency;
  /** Which stage produced the final plan: "thresholds", "refinement" or a baseline's name. */
  finalStage: string;
  stages: StageReport[];
  /** Every baseline, judged by the same cost, constrained like sparoa's plan (pins). */
  baselines: Plan[];
  refinement?: RefineResult;
}

/** Most nodes whose "moving it back alone" figure is computed (one simulation each). */
const EXPLAINED_MOVES = 256;

export function planPlacement(problem: PlacementProblem, options: PlannerOptions = {}): PlannerResult {
  const smoothing = options.smoothing ?? true;
  let search: ThresholdChoice | undefined;
  let thresholdPlan: PlacementOutcome;
  if (options.sparsity !== undefined && options.intensity !== undefined) thresholdPlan = place(problem, { sparsity: options.sparsity, intensity: options.intensity }, smoothing);
  else {
    search = chooseThresholds(problem, { sparsity: options.sparsity, intensity: options.intensity });
    thresholdPlan = smoothing ? search.outcome : place(problem, search, false);
  }
  const thresholds = thresholdPlan.thresholds;
  const split = {
    sparsity: thresholdSplit(freeValues(problem, "sparsity"), thresholds.sparsity),
    intensity: thresholdSplit(freeValues(problem, "intensity"), thresholds.intensity),
  };
  const cost = problem.cost;
  const thresholdLatency = cost.latency(thresholdPlan.assign);
  const stages: StageReport[] = [{ stage: "thresholds", ms: thresholdLatency.ms, gainMs: 0 }];
  const { outcome: _chosen, ...searchSummary } = search ?? { outcome: undefined };
  const base = { thresholds, search: search ? (searchSummary as Omit<ThresholdChoice, "outcome">) : undefined, split, thresholdPlan };
  const fix = (assign: Int32Array) => fixRoles(problem, assign);
  const baselines = options.baselines ?? baselinePlans(cost, { fix }).plans;
  if (options.refine === false) {
    return { ...base, outcome: thresholdPlan, latency: thresholdLatency, finalStage: "thresholds", stages, baselines };
  }

  const free: number[] = [];
  for (let i = 0; i < problem.sim.nodes.length; i++) if ((problem.role[i] === Role.Free || problem.role[i] === Role.Control) && !problem.sim.hostOnly[i]) free.push(i);
  const startNames = ["thresholds", ...baselines.map((b) => b.name)];
  // The refinement slot (refiner.ts). The default is the oracle's engine: local search from every
  // start, then, up to 25 free nodes, branch and bound.
  const space = searchSpace(cost, free);
  const starts = [thresholdPlan.assign, ...baselines.map((b) => b.assign)];
  const refinement: RefineResult = options.refiner
    ? options.refiner({ problem, space, starts, startNames, thresholdPlan, search: options.search })
    : oracle(problem.sim, space, starts, { search: options.search, timeLimitMs: options.search?.timeLimitMs });
  fix(refinement.assign);
  const refined = cost.latency(refinement.assign);
  const refinedFrom = refinement.by ?? startNames[refinement.bestStart];
  stages.push({ stage: "refinement", ms: refined.ms, gainMs: thresholdLatency.ms - refined.ms, from: refinedFrom, evaluations: refinement.evaluations, budgetHit: refinement.budgetHit, exact: refinement.exact });

  // The final plan: the cheapest of everything evaluated, judged by the exact cost. Ties go to
  // the earlier stage (the threshold plan explains itself best).
  let final = { stage: "thresholds", assign: thresholdPlan.assign, latency: thresholdLatency };
  if (refined.ms < final.latency.ms - 1e-12) final = { stage: "refinement", assign: refinement.assign, latency: refined };
  for (const b of baselines) if (b.latency.ms < final.latency.ms - 1e-12) final = { stage: b.name, assign: b.assign, latency: b.latency };
  const outcome = final.stage === "thresholds" ? thresholdPlan : movedOutcome(problem, thresholdPlan, final.assign, final.stage === "refinement" ? `refinement (from ${refinedFrom})` : `the ${final.stage} plan`);
  return { ...base, outcome, latency: final.latency, finalStage: final.stage, stages, baselines, refinement };
}

/** Nodes a plan may not move get the threshold placement's fixed processors (pins; constants follow their readers). */
export function fixRoles(problem: PlacementProblem, assign: Int32Array): void {
  for (let i = 0; i < assign.length; i++) if (problem.role[i] === Role.Pinned) assign[i] = problem.pinnedTo[i]!;
  followConsumers(problem, assign);
}

/** The threshold outcome with `assign`; moved nodes say by what and what moving them back alone would cost. */
function movedOutcome(problem: PlacementProblem, from: PlacementOutcome, assign: Int32Array, by: string): PlacementOutcome {
  const reason = Uint8Array.from(from.reason);
  const moveGain = new Float64Array(assign.length).fill(NaN);
  const moved: number[] = [];
  for (let i = 0; i < assign.length; i++) {
    if (assign[i] === from.assign[i] || problem.role[i] === Role.Constant) continue;
    reason[i] = Reason.Refined;
    moved.push(i);
  }
  if (moved.length <= EXPLAINED_MOVES) {
    const cost = problem.cost;
    const here = cost.searchCost(assign);
    const probe = Int32Array.from(assign);
    for (const i of moved) {
      probe[i] = from.assign[i]!;
      moveGain[i] = here - cost.searchCost(probe);
      probe[i] = assign[i]!;
    }
  }
  return { ...from, assign: Int32Array.from(assign), reason, refinedBy: by, moveGainMs: moveGain, movedNodes: moved.length };
}
