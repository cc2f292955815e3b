// A strong local search over placements, judged by the plan cost (src/planner/cost.ts):
// hill climbing with single-node moves and moves of topologically contiguous runs of nodes (so a
// whole branch can change device at once), then iterated perturbation from the best found.
//
// The budget is a number of cost evaluations (simulations), never wall time, so the answer is
// the same on a busy and a quiet machine: same seed + same budget => same plan. The budget is
// shared across the starting plans: every start is evaluated first, then each is climbed in
// turn (best first) with an equal share of what is left (a share a climb does not use passes to
// the next), and iterated perturbation gets the rest. The result is never worse than the best
// start.
import { seededRandom } from "../../ir/random.ts";

/**
 * Evaluations when no budget is given (`--search-evaluations`): a function of the graph's size
 * alone (so still the same plan on any machine), since one full simulation costs time in
 * proportion to the nodes: 4000 for small graphs, fewer above 250 nodes (about a million
 * simulated nodes in all), never under 200.
 */
export function defaultSearchEvaluations(nodes: number): number {
  return Math.max(200, Math.min(4000, Math.floor(1_000_000 / Math.max(1, nodes))));
}
export const DEFAULT_SEARCH_EVALUATIONS_TEXT = "4000, fewer above 250 nodes: 1e6 / nodes, at least 200";

/** What a search moves and how it scores a plan. */
export interface SearchSpace {
  /** Node indices the search may move (topological order). */
  free: readonly number[];
  processors: number;
  /** Nodes in the graph (what one evaluation simulates; sizes the default budget). */
  nodes: number;
  /** Cost of a full assignment (lower is better); counted as one evaluation. */
  cost(assign: Int32Array): number;
}

export interface SearchOptions {
  /** Stop after this many cost evaluations. Default defaultSearchEvaluations(free nodes). */
  maxEvaluations?: number;
  /** Optional wall-time cap, ms (makes the result depend on the machine; off by default). */
  timeLimitMs?: number;
  seed?: number;
  /** Stop after this many perturbations in a row without improvement. Default 100. */
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

  /** First-improvement descent over single moves then run moves, until no move helps or the budget ends. */
  const climb = (a: Int32Array, c: number): { a: Int32Array; c: number; optimum: boolean } => {
    let improved = true;
    while (improved) {
      improved = false;
      for (const runLength of [1, 2, 4, 8, 16]) {
        if (runLength > free.length) break;
        for (let k = 0; k + runLength <= free.length; k += runLength === 1 ? 1 : Math.max(1, runLength >> 1)) {
          for (let p = 0; p < P; p++) {
            let changes = 0;
            for (let j = k; j < k + runLength; j++) if (a[free[j]!] !== p) changes++;
            if (changes === 0) continue;
            if (outOfBudget()) return { a, c, optimum: false };
            const saved = new Int32Array(runLength);
            for (let j = k; j < k + runLength; j++) { saved[j - k] = a[free[j]!]!; a[free[j]!] = p; }
            const c2 = cost(a);
            if (c2 < c - 1e-12) { c = c2; improved = true; }
            else for (let j = k; j < k + runLength; j++) a[free[j]!] = saved[j - k]!;
          }
        }
        if (improved) break; // restart from single moves after any improvement
      }
    }
    return { a, c, optimum: true };
  };

  // Every start is evaluated, whatever the budget (a start equal to an earlier one only once).
  const keys = starts.map((s) => s.join(","));
  const firstOf = new Map<string, number>();
  const order: number[] = [];
  const startCosts: number[] = [];
  starts.forEach((s, k) => {
    const first = firstOf.get(keys[k]!);
    if (first !== undefined) { startCosts.push(startCosts[first]!); return; }
    firstOf.set(keys[k]!, k);
    order.push(k);
    startCosts.push(cost(Int32Array.from(s)));
  });
  order.sort((x, y) => startCosts[x]! - startCosts[y]! || x - y);
  let bestStart = order[0]!;
  let best: { a: Int32Array; c: number } = { a: Int32Array.from(starts[bestStart]!), c: startCosts[bestStart]! };
  // Each start climbs with an equal share of what is left.
  for (let k = 0; k < order.length; k++) {
    const s = order[k]!;
    const share = Math.floor((maxEval - evaluations) / (order.length - k));
    limit = Math.min(maxEval, evaluations + Math.max(0, share));
    const r = climb(Int32Array.from(starts[s]!), startCosts[s]!);
    if (!r.optimum && limit < maxEval) budgetHit = true;
    if (r.c < best.c - 1e-12) { best = r; bestStart = s; }
  }
  limit = maxEval;
  // Iterated local search: perturb a few nodes of the best plan and climb again, until the budget
  // is spent or many perturbations in a row found nothing better.
  const maxStale = options.maxStale ?? 100;
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
