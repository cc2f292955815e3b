// The placement MDP over the simulator (docs/scheduler.md). An episode starts from a complete plan
// (the threshold plan, a baseline, or the best found so far) and visits a run of the free nodes
// in topological order; at each node the action puts it on the CPU or the GPU, and the reward is
// how much that lowered the plan cost (the planner's searchCost: simulation + calls between
// partitions), in percent of the episode's starting cost. An action that leaves the node where it
// is costs no simulation and earns 0. Every simulation is counted against the caller's budget.
import type { PlacementProblem } from "../planner/problem.ts";
import { NodeFigures, observe, OBSERVATION_SIZE, type ObservationContext, type StateFeatures } from "./observation.ts";

/** Rewards are clipped to +-REWARD_CLIP percent so one huge move does not swamp the critics. */
const REWARD_CLIP = 10;

export class PlacementEnv {
  readonly ctx: ObservationContext;
  readonly assign: Int32Array;
  /** searchCost of `assign`. */
  cost: number;
  /** Simulations run so far. */
  evaluations = 0;
  /** The cheapest plan seen (every evaluated plan counts). */
  best: { assign: Int32Array; cost: number };
  private gpuCount = 0;

  constructor(readonly problem: PlacementProblem, readonly free: readonly number[], quadrant: Uint8Array, state: StateFeatures, start: Int32Array, startCost: number, figures = new NodeFigures(problem)) {
    this.assign = Int32Array.from(start);
    this.cost = startCost;
    this.best = { assign: Int32Array.from(start), cost: startCost };
    this.ctx = { figures, quadrant, state, referenceMs: startCost };
    for (const i of free) if (this.assign[i] === problem.gpu) this.gpuCount++;
  }

  /** Puts the episode back on `assign` (cost known) without a simulation. */
  reset(assign: Int32Array, cost: number): void {
    this.assign.set(assign);
    this.cost = cost;
    this.ctx.referenceMs = cost;
    this.gpuCount = 0;
    for (const i of this.free) if (this.assign[i] === this.problem.gpu) this.gpuCount++;
  }

  /** The observation of the node at position `k` of `free`. */
  observe(k: number, out = new Float32Array(OBSERVATION_SIZE)): Float32Array {
    const n = Math.max(1, this.free.length);
    return observe(this.ctx, this.assign, this.free[k]!, k / n, this.gpuCount / n, out);
  }

  private processor(action: number): number { return action === 0 ? this.problem.cpu : this.problem.gpu; }

  /** Applies `action` to the node at position k; returns the reward (percent of the start cost saved). */
  step(k: number, action: number): number {
    const i = this.free[k]!;
    const to = this.processor(action);
    const from = this.assign[i]!;
    if (to === from) return 0;
    this.setNode(i, to);
    const before = this.cost;
    this.cost = this.problem.cost.searchCost(this.assign);
    this.evaluations++;
    if (this.cost < this.best.cost - 1e-12) this.best = { assign: Int32Array.from(this.assign), cost: this.cost };
    const r = ((before - this.cost) / Math.max(1e-12, this.ctx.referenceMs)) * 100;
    return Math.max(-REWARD_CLIP, Math.min(REWARD_CLIP, r));
  }

  /** Undoes the last step of node `k` (back to `from`, at cost `cost`), without a simulation. */
  undo(k: number, from: number, cost: number): void {
    this.setNode(this.free[k]!, from);
    this.cost = cost;
  }

  private setNode(i: number, p: number): void {
    const gpu = this.problem.gpu;
    if (this.assign[i] === gpu) this.gpuCount--;
    if (p === gpu) this.gpuCount++;
    this.assign[i] = p;
  }
}
