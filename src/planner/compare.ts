// Every plan for one model on one device profile, judged by the one plan cost: the baselines,
// the oracle and sparoa's own plan (what `sparoa optimize` writes with the same analyses and
// budget). `sparoa plan --compare` prints this.
import type { Model } from "../../ir/model.ts";
import type { DeviceProfile } from "../devices/profile.ts";
import { compileSim } from "../sim/sim-graph.ts";
import { baselinePlans, oraclePlan, searchSpace, type BaselineReport } from "./baselines/index.ts";
import { planFrom, placeableNodes } from "./baselines/plan.ts";
import type { SearchOptions } from "./local-search.ts";
import type { OracleOptions } from "./oracle.ts";
import { planPlacement } from "./planner.ts";
import { placementProblem, type IntensityAxis } from "./problem.ts";

export interface CompareOptions {
  batch?: number;
  /** Budget of sparoa's refinement and of the oracle's local search (simulations, seed). */
  search?: SearchOptions;
  oracle?: Omit<OracleOptions, "search">;
  intensity?: IntensityAxis;
}

export function comparePlans(model: Model, profile: DeviceProfile, options: CompareOptions = {}): BaselineReport {
  const problem = placementProblem(model, profile, { intensity: options.intensity });
  const { sim, cost } = problem;
  const batchSim = options.batch && options.batch !== 1 ? compileSim(model, profile, { batch: options.batch }) : undefined;
  const { plans, missing } = baselinePlans(cost, { batchSim });
  const starts = [...plans];
  plans.push(oraclePlan(cost, searchSpace(cost), starts, { ...options.oracle, search: options.search }, batchSim));
  const sparoa = planPlacement(problem, { search: options.search, baselines: starts });
  const stages = sparoa.stages.map((s) => `${s.stage}${s.from ? ` from ${s.from}` : ""} ${s.ms.toPrecision(4)} ms`).join(" -> ");
  plans.push(planFrom(cost, "sparoa", `sparoa's plan (from ${sparoa.finalStage})`, sparoa.outcome.assign, [`${stages}; final plan from ${sparoa.finalStage}`], batchSim));
  return { plans, missing, sim, cost, placeableNodes: placeableNodes(sim).length };
}
