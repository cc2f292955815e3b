// Single-device plans under the conventions optimize's own plans follow: shape computations and
// host-only ops on the host, constants where they are read (the package recomputes them there).
import { followConsumers } from "../../passes/placement/place.ts";
import type { PlacementProblem } from "../../passes/placement/problem.ts";

export function singleDeviceAssignment(problem: PlacementProblem, processor: number): Int32Array {
  const { sim } = problem;
  const assign = Int32Array.from(sim.nodes, (_, i) => (sim.hostOnly[i] ? sim.host : processor));
  followConsumers(problem, assign);
  return assign;
}
