// Every baseline for one model on one device profile, judged by the one plan cost, plus the
// oracle: what `sparoa plan --compare` prints, what sparoa's refinement starts from, and what any
// scheduler is measured against.
import type { Model } from "../../../ir/model.ts";
import { processorsOfKind, type DeviceProfile } from "../../devices/profile.ts";
import { compileSim, type LatencyFn, type SimGraph } from "../../sim/sim-graph.ts";
import { PlanCost } from "../plan-cost.ts";
import { branches, heaviestFirst, type SearchSpace } from "../local-search.ts";
import { oracle, type OracleOptions } from "../oracle.ts";
import { codlPlan } from "./codl.ts";
import { greedyAssignment } from "./greedy.ts";
import { heftAssignment } from "./heft.ts";
import { planFrom, placeableNodes, singleProcessor, type Assignment, type Plan } from "./plan.ts";

export type { Plan } from "./plan.ts";

export interface BaselineOptions {
  /** Also report each plan's latency for a batch of this size. */
  batch?: number;
  oracle?: OracleOptions;
  latency?: LatencyFn;
}

export interface BaselineReport {
  plans: Plan[];
  /** Plans that could not be made on this profile, and why. */
  missing: { name: string; reason: string }[];
  sim: SimGraph;
  cost: PlanCost;
  placeableNodes: number;
}

export interface BaselineSet {
  plans: Plan[];
  missing: { name: string; reason: string }[];
}

/**
 * CPU-only, GPU-only, greedy, HEFT and CoDL-style plans, each judged by `cost`. `fix` forces the
 * nodes a plan may not move (pins) before it is judged, so every plan obeys the same constraints.
 */
export function baselinePlans(cost: PlanCost, options: { batchSim?: SimGraph; fix?: (assign: Assignment) => void } = {}): BaselineSet {
  const sim = cost.sim;
  const profile = sim.profile;
  const index = (name: string | undefined) => (name === undefined ? -1 : sim.processors.indexOf(name));
  const cpu = index(processorsOfKind(profile, "cpu")[0]);
  const gpu = index(processorsOfKind(profile, "gpu")[0]);
  const plans: Plan[] = [];
  const missing: { name: string; reason: string }[] = [];
  const add = (name: string, label: string, assign: Assignment) => { options.fix?.(assign); plans.push(planFrom(cost, name, label, assign, [], options.batchSim)); };

  if (cpu >= 0) add("cpu-only", "every node on the CPU", singleProcessor(sim, cpu));
  else missing.push({ name: "cpu-only", reason: `profile '${profile.name}' has no CPU processor` });
  if (gpu >= 0) add("gpu-only", "every node on the GPU (shape ops on the host)", singleProcessor(sim, gpu));
  else missing.push({ name: "gpu-only", reason: `profile '${profile.name}' has no GPU processor` });
  add("greedy", "greedy per node, transfers counted", greedyAssignment(sim));
  add("heft", "HEFT list scheduling", heftAssignment(sim));
  if (cpu >= 0 && gpu >= 0) {
    const codl = codlPlan(cost, cpu, gpu, options.batchSim);
    if (options.fix) { options.fix(codl.assign); plans.push({ ...planFrom(cost, codl.name, codl.label, codl.assign, codl.notes, options.batchSim) }); }
    else plans.push(codl);
  } else missing.push({ name: "codl", reason: "needs a CPU and a GPU" });
  return { plans, missing };
}

/** The search space of a compiled model without pins: every node that is not host-only. */
export function searchSpace(cost: PlanCost, free: readonly number[] = placeableNodes(cost.sim)): SearchSpace {
  return { free, order: heaviestFirst(cost.sim, free), groups: branches(cost.sim, free), incremental: cost.incremental(), processors: cost.sim.processors.length, nodes: cost.sim.nodes.length, cost: (a) => cost.searchCost(a) };
}

/**
 * The oracle as a plan: searched from every start, and never worse than its best start under the
 * exact cost (the search minimises an upper bound of it, src/planner/plan-cost.ts).
 */
export function oraclePlan(cost: PlanCost, space: SearchSpace, starts: Plan[], options: OracleOptions = {}, batchSim?: SimGraph): Plan {
  const best = oracle(cost.sim, space, starts.map((p) => p.assign), options);
  const found = cost.latency(best.assign);
  const start = starts.reduce((a, b) => (b.latency.ms < a.latency.ms ? b : a));
  const keepStart = start.latency.ms < found.ms - 1e-12;
  const label = best.exact && !keepStart ? "exact optimum (branch and bound)" : "best known (local search)";
  const notes = [best.exact ? `proved optimal: ${best.explored} branch-and-bound nodes, ${best.evaluations} simulations` : `${best.reason}`];
  if (keepStart) notes.push(`kept start '${start.name}': the search's plan costs ${found.ms.toPrecision(4)} ms with its exact partitions`);
  else if (best.bestStart >= 0) notes.push(`climbed from '${starts[best.bestStart]!.name}'`);
  return planFrom(cost, "oracle", label, keepStart ? start.assign : best.assign, notes, batchSim);
}

export function runBaselines(model: Model, profile: DeviceProfile, options: BaselineOptions = {}): BaselineReport {
  const sim = compileSim(model, profile, { latency: options.latency });
  const batchSim = options.batch && options.batch !== 1 ? compileSim(model, profile, { batch: options.batch, latency: options.latency }) : undefined;
  const cost = new PlanCost(sim);
  const { plans, missing } = baselinePlans(cost, { batchSim });
  // The oracle starts from every placement above (CoDL's split ops count as their larger share).
  plans.push(oraclePlan(cost, searchSpace(cost), [...plans], options.oracle, batchSim));
  return { plans, missing, sim, cost, placeableNodes: placeableNodes(sim).length };
}
