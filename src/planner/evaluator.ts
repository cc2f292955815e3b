// What the searches ask the simulator: the makespan of one assignment. The default is the fast
// evaluator (src/sim/fast-eval.ts: the same list scheduling on a typed, constant-free graph,
// equal to evaluate()'s makespan); `fullSimulation` is the reference it is checked against.
import { PlanEvaluator } from "../sim/fast-eval.ts";
import { evaluate } from "../sim/simulator.ts";
import type { SimGraph } from "../sim/sim-graph.ts";

export interface MakespanEvaluator {
  /** evaluate(sim, assign).makespanMs */
  makespanMs(assign: ArrayLike<number>): number;
}

export function makespanEvaluator(sim: SimGraph): MakespanEvaluator {
  return new PlanEvaluator(sim);
}

/** The reference: a full event-driven simulation per plan. */
export function fullSimulation(sim: SimGraph): MakespanEvaluator {
  return { makespanMs: (assign) => evaluate(sim, assign, false).makespanMs };
}
