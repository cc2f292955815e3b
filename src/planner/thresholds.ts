// Threshold search: try pairs of (sparsity, intensity) thresholds, place the model with each
// (quadrant rule + smoothing, place.ts), judge each distinct plan by the plan cost, keep the
// cheapest. The learned threshold predictor will be measured against this.
//
// Candidates lie between distinct node values (midpoints), so no node sits exactly on a
// threshold: the free nodes' distinct values, sorted, give one midpoint per gap, thinned to
// `steps` evenly spread gaps, plus "every node qualifies" (below the smallest value) and
// "no node qualifies" (above the largest). Thresholds in the same gap give the same placement,
// so nothing between two kept candidates is lost but the gaps thinned away.
import { place, type PlacementOutcome, type Thresholds } from "./place.ts";
import { Role, type PlacementProblem } from "./problem.ts";

export interface ThresholdChoice extends Thresholds {
  /** searchCost of the chosen plan. */
  cost: number;
  /** The chosen plan. */
  outcome: PlacementOutcome;
  /** Threshold pairs tried, and distinct placements among them (each judged once). */
  evaluated: number;
  distinctPlans: number;
  grid: { sparsity: number[]; intensity: number[] };
}

export interface GridOptions {
  /** Fix one threshold and search only the other. */
  sparsity?: number;
  intensity?: number;
  /** Gaps per axis (default 10). */
  steps?: number;
}

/** Candidate thresholds for one feature: midpoints between distinct values, and one below and one above them all. */
export function candidateThresholds(values: readonly number[], steps = 10): number[] {
  const distinct = [...new Set(values)].sort((a, b) => a - b);
  if (distinct.length === 0) return [0];
  const lo = distinct[0]!;
  const hi = distinct[distinct.length - 1]!;
  const out = new Set<number>([lo - Math.max(1e-9, Math.abs(lo) * 0.5), hi + Math.max(1e-9, Math.abs(hi) * 1e-6)]);
  const gaps = distinct.length - 1;
  const keep = Math.min(gaps, steps);
  for (let k = 0; k < keep; k++) {
    const j = gaps <= steps ? k : Math.round(((k + 0.5) / keep) * gaps - 0.5);
    out.add((distinct[j]! + distinct[j + 1]!) / 2);
  }
  return [...out].sort((a, b) => a - b);
}

/** Median of the free nodes' values (ties in cost go to the thresholds nearest the medians). */
export function median(values: readonly number[]): number {
  if (values.length === 0) return 0;
  const s = [...values].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/** Where a threshold puts every free node on one side: "all" qualify, "none", or null (it splits them). */
export function thresholdSplit(values: readonly number[], t: number): "all" | "none" | null {
  if (values.length === 0) return null;
  const above = values.filter((v) => v >= t).length;
  return above === values.length ? "all" : above === 0 ? "none" : null;
}

/** The free nodes' values of one feature. */
export function freeValues(problem: PlacementProblem, feature: "sparsity" | "intensity"): number[] {
  const out: number[] = [];
  problem.role.forEach((r, i) => { if (r === Role.Free) out.push(problem[feature][i]!); });
  return out;
}

/**
 * chooseThresholds(features): `features` is the placement problem compiled for the target
 * device (node times, sizes, sparsity, intensity), so the device is part of it.
 */
export function chooseThresholds(features: PlacementProblem, options: GridOptions = {}): ThresholdChoice {
  const sparsities = freeValues(features, "sparsity");
  const intensities = freeValues(features, "intensity");
  const grid = {
    sparsity: options.sparsity !== undefined ? [options.sparsity] : candidateThresholds(sparsities, options.steps),
    intensity: options.intensity !== undefined ? [options.intensity] : candidateThresholds(intensities, options.steps),
  };
  const mid = { sparsity: median(sparsities), intensity: median(intensities) };
  let best: { t: Thresholds; cost: number; distance: number; outcome: PlacementOutcome } | undefined;
  let evaluated = 0;
  // Many threshold pairs give the same placement: judge each distinct one once.
  const judged = new Map<string, number>();
  for (const sparsity of grid.sparsity) {
    for (const intensity of grid.intensity) {
      const t = { sparsity, intensity };
      const outcome = place(features, t);
      const key = outcome.assign.join(",");
      let cost = judged.get(key);
      if (cost === undefined) judged.set(key, (cost = features.cost.searchCost(outcome.assign)));
      evaluated++;
      // Ties (many threshold pairs give one plan): closest to the medians.
      const distance = Math.abs(rank(grid.sparsity, sparsity) - rank(grid.sparsity, mid.sparsity)) + Math.abs(rank(grid.intensity, intensity) - rank(grid.intensity, mid.intensity));
      const better = !best || cost < best.cost - 1e-9 || (Math.abs(cost - best.cost) <= 1e-9 && distance < best.distance);
      if (better) best = { t, cost, distance, outcome };
    }
  }
  return { ...best!.t, cost: best!.cost, outcome: best!.outcome, evaluated, distinctPlans: judged.size, grid };
}

/** Position of `x` among sorted candidates (fractional when between two). */
function rank(sorted: readonly number[], x: number): number {
  let i = 0;
  while (i < sorted.length && sorted[i]! < x) i++;
  return i;
}
