// The refinement slot of the planner (planner.ts): what a refinement stage is given and must
// return. The default is the oracle's engine (oracle.ts: local search, branch and bound when small); the SAC scheduler
// (src/scheduler/refine.ts) plugs in here. Whatever a refiner returns goes through the planner's
// guarantee: the final plan is the cheapest of the threshold plan, the refinement and every baseline.
import type { PlacementOutcome } from "./place.ts";
import type { PlacementProblem } from "./problem.ts";
import type { SearchOptions, SearchSpace } from "./local-search.ts";

export interface RefineRequest {
  problem: PlacementProblem;
  space: SearchSpace;
  /** The threshold plan first, then every baseline. */
  starts: readonly Int32Array[];
  startNames: readonly string[];
  thresholdPlan: PlacementOutcome;
  /** The budget (simulations, seed, optional wall-time cap). */
  search?: SearchOptions;
}

/** What a refiner returns (the local search's and the oracle's results both fit). */
export interface RefineResult {
  assign: Int32Array;
  /** searchCost of the plan. */
  cost: number;
  /** Simulations spent. */
  evaluations: number;
  budgetHit: boolean;
  /** Index into the starts the plan was climbed from. */
  bestStart: number;
  /** True when proved optimal (branch and bound). */
  exact?: boolean;
  /** What produced the plan, for the report (default: "climbed from <start>"). */
  by?: string;
}

export type Refiner = (request: RefineRequest) => RefineResult;
