// What the searches ask the simulator: the makespan of one assignment. Kept behind this small
// interface so a faster (incremental) evaluator can replace the full simulation.
import { evaluate } from "../sim/simulator.ts";
import type { SimGraph } from "../sim/sim-graph.ts";

export interface MakespanEvaluator {
  /** evaluate(sim, assign).makespanMs */
  makespanMs(assign: ArrayLike<number>): number;
}

export function makespanEvaluator(sim: SimGraph): MakespanEvaluator {
  return { makespanMs: (assign) => evaluate(sim, assign, false).makespanMs };
}
