// A strong local search over placements, judged by the plan cost (src/planner/plan-cost.ts):
// hill climbing with single-node moves and moves of topologically contiguous runs of nodes (so a
// whole branch can change processor at once), then iterated perturbation from the best found.
//
// The budget is a number of cost evaluations (simulations), never wall time, so the answer is
// the same on a busy and a quiet machine: same seed + same budget => same plan. The budget is
// shared across the starting plans: every start is evaluated first, then each is climbed in
// turn (best first) with an equal share of what is left (a share a climb does not use passes to
// the next), and iterated perturbation gets the rest. The result is never worse than the best
// start.
import { seededRandom } from "../../ir/random.ts";
import type { SimGraph } from "../sim/sim-graph.ts";
import type { IncrementalCost } from "./plan-cost.ts";

/**
 * Evaluations when no budget is given (`--search-evaluations`): a function of the graph's size
 * alone (so still the same plan on any machine), since one full simulation costs time in
 * proportion to the nodes: 8000 for small graphs, fewer above 250 nodes (about two million
 * simulated nodes in all), never under 200.
 */
export function defaultSearchEvaluations(nodes: number): number {
  return Math.max(200, Math.min(8000, Math.floor(2_000_000 / Math.max(1, nodes))));
}
export const DEFAULT_SEARCH_EVALUATIONS_TEXT = "8000, fewer above 250 nodes: 2e6 / nodes, at least 200";

/** What a search moves and how it scores a plan. */
export interface SearchSpace {
  /** Node indices the search may move (topological order). */
  free: readonly number[];
  processors: number;
  /** Groups of nodes moved together after single moves (branches: chains of single-reader nodes). */
  groups?: readonly (readonly number[])[];
  /** The order single moves are tried in (most promising first); default `free`. */
  order?: readonly number[];
  /** Nodes in the graph (what one evaluation simulates; sizes the default budget). */
  nodes: number;
  /** Cheaper single-node moves (same values as `cost`), when the evaluator has them. */
  incremental?: IncrementalCost;
  /** Cost of a full assignment (lower is better); counted as one evaluation. */
  cost(assign: Int32Array): number;
}

/** `free` ordered by each node's largest time on any processor, heaviest first (ties: topological). */
export function heaviestFirst(sim: SimGraph, free: readonly number[]): number[] {
  const weight = (i: number) => { let w = 0; for (const d of sim.duration) w = Math.max(w, d[i]!); return w; };
  return [...free].sort((x, y) => weight(y) - weight(x) || x - y);
}

/**
 * Branches: maximal chains of free nodes where each link is a node's only reader of a node that
 * reads only it (Inception's 1x1 -> 3x3 -> ReLU, an attention head's path), so a whole branch
 * can change processor in one move, which single moves (each paying new transfers) rarely reach.
 */
export function branches(sim: SimGraph, free: readonly number[]): number[][] {
  const n = sim.nodes.length;
  const isFree = new Uint8Array(n);
  for (const i of free) isFree[i] = 1;
  const succ = sim.nodes.map((_, i) => [...new Set(sim.outputsOf[i]!.flatMap((vi) => sim.values[vi]!.consumers))]);
  const pred = sim.nodes.map((_, i) => [...new Set(sim.inputsOf[i]!.map((vi) => sim.values[vi]!.producer).filter((p) => p >= 0))]);
  const linked = (u: number, v: number) => isFree[u] === 1 && isFree[v] === 1 && succ[u]!.length === 1 && pred[v]!.length === 1;
  const out: number[][] = [];
  for (const i of free) {
    const p = pred[i]!;
    if (p.length === 1 && linked(p[0]!, i)) continue; // not the head of its chain
    const chain = [i];
    let u = i;
    while (succ[u]!.length === 1 && linked(u, succ[u]![0]!)) { u = succ[u]![0]!; chain.push(u); }
    if (chain.length >= 2) out.push(chain);
  }
  return out;
}

export interface SearchOptions {
  /** Stop after this many cost evaluations. Default defaultSearchEvaluations(free nodes). */
  maxEvaluations?: number;
  /** Optional wall-time cap, ms (makes the result depend on the machine; off by default). */
  timeLimitMs?: number;
  seed?: number;
  /** Stop after this many perturbations in a row without improvement. Default: never (only the budget stops it). */
  maxStale?: number;
}

export interface SearchResult {
  assign: Int32Array;
  cost: number;
  evaluations: number;
  /** True when a budget stopped it before every climb reached a local optimum. */
  budgetHit: boolean;
  /** Cost of each start, and which start the best plan was climbed from. */
  startCosts: number[];
  bestStart: number;
}

export function localSearch(space: SearchSpace, starts: readonly Int32Array[], options: SearchOptions = {}): SearchResult {
  if (starts.length === 0) throw new Error("local search needs at least one start");
  const maxEval = options.maxEvaluations ?? defaultSearchEvaluations(space.nodes);
  const deadline = options.timeLimitMs !== undefined ? Date.now() + options.timeLimitMs : Infinity;
  const rand = seededRandom(options.seed ?? 1);
  const P = space.processors;
  const free = space.free;
  let evaluations = 0;
  let budgetHit = false;
  const cost = (a: Int32Array) => { evaluations++; return space.cost(a); };
  let limit = maxEval;
  const outOfBudget = () => {
    if (evaluations >= limit) { if (limit >= maxEval) budgetHit = true; return true; }
    if (deadline !== Infinity && (evaluations & 15) === 0 && Date.now() > deadline) { budgetHit = true; limit = 0; return true; }
    return false;
  };

  /**
   * First-improvement descent. Single moves sweep the nodes in `space.order` (most promising
   * first) and carry on after an improvement rather than starting over, so a budget smaller than
   * a few sweeps still reaches every node; when a whole sweep finds nothing, runs of 2..16
   * topologically consecutive nodes are tried, and any run that helps sends it back to single moves.
   */
  const order = space.order ?? free;
  const inc = space.incremental;
  const moveCost = inc ? (a: Int32Array, i: number) => { evaluations++; return inc.moveCost(a, i); } : (a: Int32Array) => cost(a);
  // Group and run moves change several nodes of the plan the climb holds (the evaluator's current
  // one): the same cost, evaluated against its recorded schedule when the evaluator can.
  const runNodes: number[] = [];
  const groupCost = inc ? (a: Int32Array, nodes: readonly number[]) => { evaluations++; return inc.movesCost(a, nodes); } : (a: Int32Array) => cost(a);
  const climb = (a: Int32Array, c: number): { a: Int32Array; c: number; optimum: boolean } => {
    for (;;) {
      inc?.sync(a);
      let sinceImprovement = 0;
      for (let k = 0; sinceImprovement < order.length; k = k + 1 === order.length ? 0 : k + 1) {
        const i = order[k]!;
        let improved = false;
        for (let p = 0; p < P; p++) {
          const was = a[i]!;
          if (was === p) continue;
          if (outOfBudget()) return { a, c, optimum: false };
          a[i] = p;
          const c2 = moveCost(a, i);
          if (c2 < c - 1e-12) { c = c2; improved = true; inc?.commit(i, p); } else a[i] = was;
        }
        sinceImprovement = improved ? 0 : sinceImprovement + 1;
      }
      let improvedRun = false;
      const groupMove = (nodes: readonly number[]): boolean | undefined => {
        for (let p = 0; p < P; p++) {
          let changes = 0;
          for (const i of nodes) if (a[i] !== p) changes++;
          if (changes === 0) continue;
          if (outOfBudget()) return undefined;
          const saved = nodes.map((i) => a[i]!);
          for (const i of nodes) a[i] = p;
          const c2 = groupCost(a, nodes);
          if (c2 < c - 1e-12) { c = c2; return true; }
          nodes.forEach((i, j) => { a[i] = saved[j]!; });
        }
        return false;
      };
      for (const g of space.groups ?? []) {
        const r = groupMove(g);
        if (r === undefined) return { a, c, optimum: false };
        if (r) { improvedRun = true; break; }
      }
      if (!improvedRun) runs: for (const runLength of [2, 4, 8, 16]) {
        if (runLength > free.length) break;
        for (let k = 0; k + runLength <= free.length; k += Math.max(1, runLength >> 1)) {
          for (let p = 0; p < P; p++) {
            let changes = 0;
            for (let j = k; j < k + runLength; j++) if (a[free[j]!] !== p) changes++;
            if (changes === 0) continue;
            if (outOfBudget()) return { a, c, optimum: false };
            const saved = new Int32Array(runLength);
            runNodes.length = 0;
            for (let j = k; j < k + runLength; j++) { saved[j - k] = a[free[j]!]!; a[free[j]!] = p; runNodes.push(free[j]!); }
            const c2 = groupCost(a, runNodes);
            if (c2 < c - 1e-12) { c = c2; improvedRun = true; break runs; }
            for (let j = k; j < k + runLength; j++) a[free[j]!] = saved[j - k]!;
          }
        }
      }
      if (!improvedRun) return { a, c, optimum: true };
    }
  };

  // Every start is evaluated, whatever the budget (a start equal to an earlier one only once).
  const keys = starts.map((s) => s.join(","));
  const firstOf = new Map<string, number>();
  const starting: number[] = [];
  const startCosts: number[] = [];
  starts.forEach((s, k) => {
    const first = firstOf.get(keys[k]!);
    if (first !== undefined) { startCosts.push(startCosts[first]!); return; }
    firstOf.set(keys[k]!, k);
    starting.push(k);
    startCosts.push(cost(Int32Array.from(s)));
  });
  starting.sort((x, y) => startCosts[x]! - startCosts[y]! || x - y);
  let bestStart = starting[0]!;
  let best: { a: Int32Array; c: number } = { a: Int32Array.from(starts[bestStart]!), c: startCosts[bestStart]! };
  // Each start climbs in turn, cheapest first, with a share of what is left that falls with its
  // rank (weights 1, 1/2, 1/3, ...): the best starts get the most, every start some.
  for (let k = 0; k < starting.length; k++) {
    const s = starting[k]!;
    let rest = 0;
    for (let j = k; j < starting.length; j++) rest += 1 / (j + 1);
    const share = Math.floor(((maxEval - evaluations) * (1 / (k + 1))) / rest);
    limit = Math.min(maxEval, evaluations + Math.max(0, share));
    const r = climb(Int32Array.from(starts[s]!), startCosts[s]!);
    if (!r.optimum && limit < maxEval) budgetHit = true;
    if (r.c < best.c - 1e-12) { best = r; bestStart = s; }
  }
  limit = maxEval;
  // Iterated local search: perturb a few nodes of the best plan and climb again, until the budget
  // is spent or many perturbations in a row found nothing better.
  const maxStale = options.maxStale ?? Infinity;
  let stale = 0;
  while (free.length > 0 && stale < maxStale && !outOfBudget()) {
    const a = Int32Array.from(best.a);
    const kicks = 1 + Math.floor(rand() * Math.min(8, free.length));
    for (let k = 0; k < kicks; k++) a[free[Math.floor(rand() * free.length)]!] = Math.floor(rand() * P);
    const r = climb(a, cost(a));
    if (r.c < best.c - 1e-12) { best = r; stale = 0; } else stale++;
  }
  return { assign: best.a, cost: best.c, evaluations, budgetHit, startCosts, bestStart };
}
