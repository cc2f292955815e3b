// Every baseline for one model on one device profile, simulated, plus the oracle: what
// `sparoa plan --compare` prints and what any scheduler is measured against.
import type { Model } from "../../ir/model.ts";
import { processorsOfKind, type DeviceProfile } from "../devices/profile.ts";
import { compileSim, type LatencyFn, type SimGraph } from "../sim/sim-graph.ts";
import { assignmentOf } from "../sim/simulator.ts";
import { codlPlan } from "./codl.ts";
import { greedyAssignment } from "./greedy.ts";
import { heftAssignment } from "./heft.ts";
import { oracle, type OracleOptions } from "./oracle.ts";
import { planFrom, placeableNodes, singleProcessor, type Plan } from "./plan.ts";

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
  placeableNodes: number;
}

export function runBaselines(model: Model, profile: DeviceProfile, options: BaselineOptions = {}): BaselineReport {
  const sim = compileSim(model, profile, { latency: options.latency });
  const batchSim = options.batch && options.batch !== 1 ? compileSim(model, profile, { batch: options.batch, latency: options.latency }) : undefined;
  const index = (name: string | undefined) => (name === undefined ? -1 : sim.processors.indexOf(name));
  const cpu = index(processorsOfKind(profile, "cpu")[0]);
  const gpu = index(processorsOfKind(profile, "gpu")[0]);
  const plans: Plan[] = [];
  const missing: { name: string; reason: string }[] = [];
  const add = (name: string, label: string, assign: Int32Array, notes: string[] = []) => plans.push(planFrom(sim, name, label, assign, notes, batchSim));

  if (cpu >= 0) add("cpu-only", "every node on the CPU", singleProcessor(sim, cpu));
  else missing.push({ name: "cpu-only", reason: `profile '${profile.name}' has no CPU processor` });
  if (gpu >= 0) add("gpu-only", "every node on the GPU (shape ops on the host)", singleProcessor(sim, gpu));
  else missing.push({ name: "gpu-only", reason: `profile '${profile.name}' has no GPU processor` });
  add("greedy", "greedy per node, transfers counted", greedyAssignment(sim));
  add("heft", "HEFT list scheduling", heftAssignment(sim));
  if (cpu >= 0 && gpu >= 0) plans.push(codlPlan(sim, cpu, gpu, batchSim));
  else missing.push({ name: "codl", reason: "needs a CPU and a GPU" });

  // The oracle starts from every placement above (CoDL's split ops count as their larger share).
  const starts = plans.map((p) => assignmentOf(sim, p.placement));
  const best = oracle(sim, starts, options.oracle);
  const label = best.exact ? "exact optimum (branch and bound)" : "best known (local search)";
  const notes = [best.exact ? `proved optimal: ${best.explored} branch-and-bound nodes, ${best.evaluations} simulations` : `${best.reason}`];
  add("oracle", label, best.assign, notes);
  return { plans, missing, sim, placeableNodes: placeableNodes(sim).length };
}
