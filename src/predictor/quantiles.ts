// Thresholds as quantiles of the model's own free-node distribution, so one predicted number
// means the same thing on every model: q = the fraction of free nodes whose value lies below the
// threshold. Absolute thresholds do not transfer (a 0.3 sparsity cut splits a pruned ViT and a
// dense ReLU CNN completely differently; FLOP counts span six decades between zoo models).
//
// The map back picks the midpoint between the k-th and (k+1)-th smallest values (k = round(q n)),
// "below every value" for k = 0 and "above every value" for k = n: exactly the grid search's
// candidates (src/planner/thresholds.ts), so a grid threshold survives the round trip unchanged.
import type { Thresholds } from "../planner/place.ts";
import { freeValues } from "../planner/thresholds.ts";
import type { PlacementProblem } from "../planner/problem.ts";

/** Fraction of `values` strictly below `t`. */
export function quantileOf(values: readonly number[], t: number): number {
  if (values.length === 0) return 0.5;
  let below = 0;
  for (const v of values) if (v < t) below++;
  return below / values.length;
}

/** The threshold at quantile q (0..1) of `sorted` (ascending). */
export function thresholdAt(sorted: readonly number[], q: number): number {
  const n = sorted.length;
  if (n === 0) return 0;
  const k = Math.max(0, Math.min(n, Math.round(Math.max(0, Math.min(1, q)) * n)));
  const lo = sorted[0]!;
  const hi = sorted[n - 1]!;
  if (k === 0) return lo - Math.max(1e-9, Math.abs(lo) * 0.5);
  if (k === n) return hi + Math.max(1e-9, Math.abs(hi) * 1e-6);
  return (sorted[k - 1]! + sorted[k]!) / 2;
}

export interface QuantileThresholds { sparsity: number; intensity: number }

export function sortedFreeValues(problem: PlacementProblem): { sparsity: number[]; intensity: number[] } {
  return {
    sparsity: freeValues(problem, "sparsity").sort((a, b) => a - b),
    intensity: freeValues(problem, "intensity").sort((a, b) => a - b),
  };
}

/** Absolute thresholds on `problem` from quantiles. */
export function thresholdsFromQuantiles(problem: PlacementProblem, q: QuantileThresholds): Thresholds {
  const v = sortedFreeValues(problem);
  return { sparsity: thresholdAt(v.sparsity, q.sparsity), intensity: thresholdAt(v.intensity, q.intensity) };
}

/** Quantiles of absolute thresholds on `problem`. */
export function quantilesOfThresholds(problem: PlacementProblem, t: Thresholds): QuantileThresholds {
  return { sparsity: quantileOf(freeValues(problem, "sparsity"), t.sparsity), intensity: quantileOf(freeValues(problem, "intensity"), t.intensity) };
}
