// The refinement slot of the planner (planner.ts): what a refinement stage is given and must
// return. The default is the local search (local-search.ts); the SAC scheduler
// (src/scheduler/refine.ts) plugs in here. Whatever a refiner returns goes through the planner's
// guarantee: the final plan is the cheapest of the threshold plan, the refinement and every baseline.
import type { PlacementOutcome } from "./place.ts";
import type { PlacementProblem } from "./problem.ts";
import type { SearchOptions, SearchResult, SearchSpace } from "./local-search.ts";

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

export interface RefineResult extends SearchResult {
  /** What produced the plan, for the report (default: "climbed from <start>"). */
  by?: string;
}

export type Refiner = (request: RefineRequest) => RefineResult;
