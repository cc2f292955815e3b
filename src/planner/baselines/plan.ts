// A plan: a placement of every node on a processor, its cost (src/planner/plan-cost.ts: the one every
// plan is judged by) and its simulated result. Baselines, the oracle and sparoa's planner produce
// plans; `sparoa plan` compares them; the trace writer draws any of them.
import type { Node } from "../../../ir/node.ts";
import type { SimResult } from "../../sim/simulator.ts";
import { evaluate, placementOf } from "../../sim/simulator.ts";
import type { SimGraph } from "../../sim/sim-graph.ts";
import type { PlanCost, PlanLatency } from "../plan-cost.ts";

export interface Plan {
  /** Short identifier: cpu-only, gpu-only, greedy, heft, codl, oracle, sparoa. */
  name: string;
  /** What the plan is, for tables: "exact optimum", "best known", ... */
  label: string;
  placement: Map<Node, string>;
  assign: Assignment;
  /** The plan cost: simulation + runtime calls between partitions. */
  latency: PlanLatency;
  result: SimResult;
  /** Extra facts (search statistics, co-executed ops, why a plan is missing). */
  notes: string[];
}

/** Processor index per node; host-only nodes already on the host. */
export type Assignment = Int32Array;

/** Every node on `processor`, except host-only nodes (shape computations), which stay on the host. */
export function singleProcessor(sim: SimGraph, processor: number): Assignment {
  return Int32Array.from(sim.nodes, (_, i) => (sim.hostOnly[i] ? sim.host : processor));
}

/** Simulates an assignment into a plan (batch result filled in by the caller when needed). */
export function planFrom(cost: PlanCost, name: string, label: string, assign: Assignment, notes: string[] = [], batchSim?: SimGraph): Plan {
  const sim = cost.sim;
  const one = evaluate(sim, assign, true);
  const batchMs = batchSim ? evaluate(batchSim, assign, false).makespanMs : one.makespanMs;
  const size = batchSim?.batch ?? 1;
  return { name, label, placement: placementOf(sim, assign), assign, latency: cost.latency(assign), result: { ...one, batch: { size, makespanMs: batchMs, perSampleMs: batchMs / size } }, notes };
}

/** Node indices that may go to any processor (not host-only). */
export function placeableNodes(sim: SimGraph): number[] {
  const out: number[] = [];
  for (let i = 0; i < sim.nodes.length; i++) if (!sim.hostOnly[i]) out.push(i);
  return out;
}
