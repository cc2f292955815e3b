// A strong local search over placements, judged by the simulator: hill climbing with single-node
// moves and moves of topologically contiguous runs of nodes (so a whole branch can change device
// at once), then iterated perturbation from the best found. Deterministic for a given seed and
// evaluation budget; the time limit only cuts it short on very large graphs.
import { seededRandom } from "../../ir/random.ts";
import { evaluate } from "../sim/simulator.ts";
import type { SimGraph } from "../sim/sim-graph.ts";
import { placeableNodes, type Assignment } from "./plan.ts";

export interface SearchOptions {
  /** Stop after this many simulations. Default 20,000. */
  maxEvaluations?: number;
  /** Stop after this many milliseconds of wall time. Default 3,000. */
  timeLimitMs?: number;
  seed?: number;
  /** Stop after this many perturbations in a row without improvement. Default 100. */
  maxStale?: number;
}

export interface SearchResult {
  assign: Assignment;
  makespanMs: number;
  evaluations: number;
  /** True when a budget stopped it before a local optimum of every restart was reached. */
  budgetHit: boolean;
}

export function localSearch(sim: SimGraph, starts: Assignment[], options: SearchOptions = {}): SearchResult {
  const maxEval = options.maxEvaluations ?? 20000;
  const deadline = Date.now() + (options.timeLimitMs ?? 3000);
  const rand = seededRandom(options.seed ?? 1);
  const P = sim.processors.length;
  const free = placeableNodes(sim);
  let evaluations = 0;
  let budgetHit = false;
  const cost = (a: Assignment) => { evaluations++; return evaluate(sim, a, false).makespanMs; };
  const outOfBudget = () => {
    if (evaluations >= maxEval || ((evaluations & 15) === 0 && Date.now() > deadline)) { budgetHit = true; return true; }
    return false;
  };

  /** First-improvement descent over single moves then run moves, until no move helps. */
  const climb = (start: Assignment): { a: Assignment; c: number } => {
    const a = Int32Array.from(start);
    let c = cost(a);
    let improved = true;
    while (improved && !outOfBudget()) {
      improved = false;
      for (const runLength of [1, 2, 4, 8, 16]) {
        if (runLength > free.length) break;
        for (let k = 0; k + runLength <= free.length; k += runLength === 1 ? 1 : Math.max(1, runLength >> 1)) {
          for (let p = 0; p < P; p++) {
            if (outOfBudget()) return { a, c };
            const saved: number[] = [];
            let changes = 0;
            for (let j = k; j < k + runLength; j++) { saved.push(a[free[j]!]!); if (a[free[j]!] !== p) changes++; a[free[j]!] = p; }
            if (changes === 0) continue;
            const c2 = cost(a);
            if (c2 < c - 1e-12) { c = c2; improved = true; }
            else for (let j = k; j < k + runLength; j++) a[free[j]!] = saved[j - k]!;
          }
        }
        if (improved) break; // restart from single moves after any improvement
      }
    }
    return { a, c };
  };

  let best: { a: Assignment; c: number } | undefined;
  for (const s of starts) {
    if (best && outOfBudget()) break;
    const r = climb(s);
    if (!best || r.c < best.c) best = r;
  }
  if (!best) throw new Error("local search needs at least one start");
  // Iterated local search: perturb a few nodes of the best plan and climb again, until the budget
  // is spent or many perturbations in a row found nothing better.
  const maxStale = options.maxStale ?? 100;
  let stale = 0;
  while (free.length > 0 && stale < maxStale && !outOfBudget()) {
    const a = Int32Array.from(best.a);
    const kicks = 1 + Math.floor(rand() * Math.min(8, free.length));
    for (let k = 0; k < kicks; k++) a[free[Math.floor(rand() * free.length)]!] = Math.floor(rand() * P);
    const r = climb(a);
    if (r.c < best.c - 1e-12) { best = r; stale = 0; } else stale++;
  }
  return { assign: best.a, makespanMs: best.c, evaluations, budgetHit };
}
