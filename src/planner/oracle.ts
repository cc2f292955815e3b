// The oracle: the best placement the plan cost (src/planner/plan-cost.ts) can find. Up to
// `maxExactNodes` free nodes it is exact: depth-first branch and bound over every node's
// processor, in topological order, with lower bounds the simulator can never beat (longest path
// so far plus the cheapest possible rest, each processor's load, total work over processors;
// the call charge between partitions is never negative). Larger graphs, or a branch and bound
// that runs out of its budget of explored nodes, get the best of the local search, labelled
// "best known" rather than optimal. Both budgets are counts, not wall time: same seed and
// budgets, same plan.
import type { SimGraph } from "../sim/sim-graph.ts";
import { localSearch, type SearchOptions, type SearchSpace } from "./local-search.ts";
import type { Assignment } from "./baselines/plan.ts";

export interface OracleOptions {
  /** Branch and bound up to this many free nodes (default 25). */
  maxExactNodes?: number;
  /** Branch-and-bound nodes to explore at most (default 5,000,000); when hit the result is "best known". */
  maxExplored?: number;
  /** Optional wall-time cap of the branch and bound, ms (off by default: it makes results machine-dependent). */
  timeLimitMs?: number;
  /** Budget of the local search that seeds the bound (and that answers alone for big graphs). */
  search?: SearchOptions;
}

export interface OracleResult {
  assign: Assignment;
  /** searchCost of the plan. */
  cost: number;
  /** True when branch and bound proved this the optimum. */
  exact: boolean;
  /** Branch-and-bound nodes visited and cost evaluations run. */
  explored: number;
  evaluations: number;
  /** Which start the local search climbed the best plan from. */
  bestStart: number;
  /** True when the local search's budget ran out. */
  budgetHit: boolean;
  /** Why the result is not proven exact. */
  reason?: string;
}

export function oracle(sim: SimGraph, space: SearchSpace, starts: Assignment[], options: OracleOptions = {}): OracleResult {
  const maxExact = options.maxExactNodes ?? 25;
  const exactPossible = space.free.length <= maxExact;
  const seed = localSearch(space, starts, options.search);
  if (!exactPossible) {
    return { assign: seed.assign, cost: seed.cost, exact: false, explored: 0, evaluations: seed.evaluations, bestStart: seed.bestStart, budgetHit: seed.budgetHit, reason: `${space.free.length} free nodes > ${maxExact}: local search (${seed.evaluations} simulations${seed.budgetHit ? ", budget spent" : ""})` };
  }
  const maxExplored = options.maxExplored ?? 5_000_000;
  const bb = branchAndBound(sim, space, seed.assign, seed.cost, maxExplored, options.timeLimitMs);
  return {
    assign: bb.assign, cost: bb.cost, exact: bb.complete, explored: bb.explored, evaluations: seed.evaluations + bb.evaluations, bestStart: seed.bestStart, budgetHit: !bb.complete,
    reason: bb.complete ? undefined : `branch and bound stopped after ${bb.explored} nodes (budget ${maxExplored}${options.timeLimitMs !== undefined ? ` or ${options.timeLimitMs} ms` : ""})`,
  };
}

interface BBResult { assign: Assignment; cost: number; complete: boolean; explored: number; evaluations: number }

function branchAndBound(sim: SimGraph, space: SearchSpace, incumbent: Assignment, incumbentMs: number, maxExplored: number, timeLimitMs?: number): BBResult {
  const n = sim.nodes.length;
  const P = sim.processors.length;
  const host = sim.host;
  const deadline = timeLimitMs === undefined ? Infinity : Date.now() + timeLimitMs;
  const isFree = new Uint8Array(n);
  for (const i of space.free) isFree[i] = 1;
  const runOverheadMs = sim.profile.runOverheadUs / 1000;

  // Static lower bounds: a node's cheapest possible time, and the cheapest path from it to the end.
  const canFuseOn = (i: number, p: number) => sim.fuseParent[p]![i]! >= 0;
  const allowed = (i: number, p: number) => !sim.hostOnly[i] || p === host;
  const minDur = Float64Array.from(sim.nodes, (_, i) => {
    let m = Infinity;
    for (let p = 0; p < P; p++) if (allowed(i, p)) m = Math.min(m, canFuseOn(i, p) ? 0 : sim.duration[p]![i]!);
    return m;
  });
  const successors = sim.nodes.map((_, i) => [...new Set(sim.outputsOf[i]!.flatMap((vi) => sim.values[vi]!.consumers))]);
  const tailMin = new Float64Array(n);
  for (let i = n - 1; i >= 0; i--) {
    let t = 0;
    for (const s of successors[i]!) t = Math.max(t, tailMin[s]!);
    tailMin[i] = minDur[i]! + t;
  }
  const restMin = new Float64Array(n + 1);
  for (let i = n - 1; i >= 0; i--) restMin[i] = restMin[i + 1]! + minDur[i]!;

  const assign = new Int32Array(n).fill(-1);
  const fused = new Uint8Array(n);
  const finishLB = new Float64Array(n);
  const load = new Float64Array(P);
  let best = Int32Array.from(incumbent);
  let bestMs = incumbentMs;
  let explored = 0;
  let evaluations = 0;
  let aborted = false;

  /** Places node i on p; returns its contribution to the longest-path bound. */
  const place = (i: number, p: number): { cp: number; d: number } => {
    assign[i] = p;
    const parent = sim.fuseParent[p]![i]!;
    fused[i] = parent >= 0 && assign[parent] === p && (!sim.fuseNeedsParentFused[p]![i] || fused[parent] === 1) ? 1 : 0;
    const d = fused[i] ? 0 : sim.duration[p]![i]!;
    let start = 0;
    for (const vi of sim.inputsOf[i]!) {
      const v = sim.values[vi]!;
      const src = v.producer < 0 ? host : assign[v.producer]!;
      const at = v.producer < 0 ? 0 : finishLB[v.producer]!;
      start = Math.max(start, at + (src === p ? 0 : sim.transfer(src, p, v.bytes)));
    }
    finishLB[i] = start + d;
    let cp = finishLB[i]!;
    for (const s of successors[i]!) cp = Math.max(cp, finishLB[i]! + tailMin[s]!);
    for (const vi of sim.outputsOf[i]!) if (sim.values[vi]!.isGraphOutput && p !== host) cp = Math.max(cp, finishLB[i]! + sim.transfer(p, host, sim.values[vi]!.bytes));
    return { cp, d };
  };

  // Iterative DFS over topological positions; host-only nodes have one choice.
  const choices = sim.nodes.map((_, i) => {
    const order: number[] = [];
    const first = incumbent[i]!;
    if (!isFree[i]) return [first]; // fixed by a pin or a role: one choice
    if (allowed(i, first)) order.push(first);
    for (let p = 0; p < P; p++) if (p !== first && allowed(i, p)) order.push(p);
    return order;
  });
  const choiceAt = new Int32Array(n).fill(-1);
  const cpAt = new Float64Array(n + 1);
  const sumAt = new Float64Array(n + 1);
  const dAt = new Float64Array(n);
  let depth = 0;
  while (depth >= 0) {
    if (depth === n) {
      evaluations++;
      const ms = space.cost(assign);
      if (ms < bestMs - 1e-12) { bestMs = ms; best = Int32Array.from(assign); }
      depth--;
      continue;
    }
    const i = depth;
    if (choiceAt[i]! >= 0) { load[assign[i]!]! -= dAt[i]!; assign[i] = -1; }
    const k = ++choiceAt[i]!;
    if (k >= choices[i]!.length) { choiceAt[i] = -1; depth--; continue; }
    if (++explored > maxExplored || ((explored & 1023) === 0 && deadline !== Infinity && Date.now() > deadline)) { aborted = true; break; }
    const p = choices[i]![k]!;
    const { cp, d } = place(i, p);
    dAt[i] = d;
    load[p]! += d;
    cpAt[i + 1] = Math.max(cpAt[i]!, cp);
    sumAt[i + 1] = sumAt[i]! + d;
    let bound = cpAt[i + 1]!;
    for (let q = 0; q < P; q++) bound = Math.max(bound, load[q]!);
    bound = Math.max(bound, (sumAt[i + 1]! + restMin[i + 1]!) / P);
    if (bound + runOverheadMs >= bestMs - 1e-12) continue; // prune: try the next processor for i
    depth++;
  }
  return { assign: best, cost: bestMs, complete: !aborted, explored, evaluations };
}
