// The oracle: the best placement the simulator can find. Up to `maxExactNodes` placeable nodes it
// is exact: depth-first branch and bound over every node's processor, in topological order, with
// lower bounds the simulator can never beat (longest path so far plus the cheapest possible rest,
// each processor's load, total work over processors). Larger graphs, or a search that runs out of
// time, get the best of a strong local search, labelled "best known" rather than optimal.
import { evaluate } from "../sim/simulator.ts";
import type { SimGraph } from "../sim/sim-graph.ts";
import { localSearch, type SearchOptions } from "./local-search.ts";
import { placeableNodes, type Assignment } from "./plan.ts";

export interface OracleOptions {
  /** Branch and bound up to this many placeable nodes (default 25). */
  maxExactNodes?: number;
  /** Wall-time limit of the branch and bound (default 10 s); when hit the result is "best known". */
  timeLimitMs?: number;
  /** Budget of the local search that seeds the bound (and that answers alone for big graphs). */
  search?: SearchOptions;
}

export interface OracleResult {
  assign: Assignment;
  makespanMs: number;
  /** True when branch and bound proved this the optimum. */
  exact: boolean;
  /** Branch-and-bound nodes visited and full simulations run. */
  explored: number;
  evaluations: number;
  /** Why the result is not proven exact. */
  reason?: string;
}

export function oracle(sim: SimGraph, starts: Assignment[], options: OracleOptions = {}): OracleResult {
  const free = placeableNodes(sim);
  const maxExact = options.maxExactNodes ?? 25;
  const exactPossible = free.length <= maxExact;
  const seed = localSearch(sim, starts, exactPossible ? { maxEvaluations: 2000, timeLimitMs: 1000, ...options.search } : options.search);
  if (!exactPossible) {
    return { assign: seed.assign, makespanMs: seed.makespanMs, exact: false, explored: 0, evaluations: seed.evaluations, reason: `${free.length} placeable nodes > ${maxExact}: local search (${seed.evaluations} simulations)` };
  }
  const bb = branchAndBound(sim, seed.assign, seed.makespanMs, options.timeLimitMs ?? 10000);
  return {
    assign: bb.assign, makespanMs: bb.makespanMs, exact: bb.complete, explored: bb.explored, evaluations: seed.evaluations + bb.evaluations,
    reason: bb.complete ? undefined : `branch and bound stopped after ${options.timeLimitMs ?? 10000} ms (${bb.explored} nodes)`,
  };
}

interface BBResult { assign: Assignment; makespanMs: number; complete: boolean; explored: number; evaluations: number }

function branchAndBound(sim: SimGraph, incumbent: Assignment, incumbentMs: number, timeLimitMs: number): BBResult {
  const n = sim.nodes.length;
  const P = sim.processors.length;
  const host = sim.host;
  const deadline = Date.now() + timeLimitMs;
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
      const ms = evaluate(sim, assign, false).makespanMs;
      if (ms < bestMs - 1e-12) { bestMs = ms; best = Int32Array.from(assign); }
      depth--;
      continue;
    }
    const i = depth;
    if (choiceAt[i]! >= 0) { load[assign[i]!]! -= dAt[i]!; assign[i] = -1; }
    const k = ++choiceAt[i]!;
    if (k >= choices[i]!.length) { choiceAt[i] = -1; depth--; continue; }
    if ((++explored & 1023) === 0 && Date.now() > deadline) { aborted = true; break; }
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
  return { assign: best, makespanMs: bestMs, complete: !aborted, explored, evaluations };
}
