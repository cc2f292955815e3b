// Threshold selection, first version: try every pair of (sparsity, intensity) thresholds on a
// grid, place the model with each (quadrant rule + smoothing), simulate the plan on the target
// device, keep the fastest. The learned threshold predictor will be measured against this.
//
// The grid is the model's own distribution: the deciles of the free nodes' sparsities and
// intensities, plus "nothing qualifies" above the largest value. Thresholds between two
// consecutive node values give the same placement, so deciles lose little against every
// distinct value and keep the search at most 12 x 12 simulations.
import { place, type PlacementOutcome, type Thresholds } from "../../passes/placement/place.ts";
import { Role, type PlacementProblem } from "../../passes/placement/problem.ts";
import { deviceBatchedSegments } from "../../passes/partition.ts";
import { evaluate } from "../sim/simulator.ts";

/**
 * Predicted latency of a plan: the simulated inference plus one runtime call per extra
 * partition (the profile's runOverheadUs; the simulator charges it once per inference). Without
 * this term a plan of seventy one-node partitions can "win" by fractions of a millisecond that
 * the calls between partitions would more than eat up.
 */
export function planLatencyMs(problem: PlacementProblem, assign: Int32Array): { makespanMs: number; simulatedMs: number; partitions: number; crossings: number } {
  const r = evaluate(problem.sim, assign, false);
  const partitions = partitionEstimate(problem, assign);
  return { makespanMs: r.makespanMs + Math.max(0, partitions - 1) * (problem.profile.runOverheadUs / 1000), simulatedMs: r.makespanMs, partitions, crossings: r.crossings };
}

/** Partitions the partition pass will make, at most (its first, linear step). */
export function partitionEstimate(problem: PlacementProblem, assign: Int32Array): number {
  const devices = problem.scheduled.map((i) => assign[i]!);
  const seg = deviceBatchedSegments(devices, problem.scheduledPreds);
  let last = 0;
  for (const x of seg) last = Math.max(last, x);
  return last + 1;
}

export interface ThresholdChoice extends Thresholds {
  /** Predicted latency of the chosen plan, ms (planLatencyMs). */
  makespanMs: number;
  /** The chosen plan. */
  outcome: PlacementOutcome;
  /** Threshold pairs tried, and distinct placements among them (each simulated once). */
  evaluated: number;
  distinctPlans: number;
  grid: { sparsity: number[]; intensity: number[] };
}

export interface GridOptions {
  /** Fix one threshold and search only the other. */
  sparsity?: number;
  intensity?: number;
  /** Quantile steps per axis (default 10: deciles). */
  steps?: number;
}

/** Candidate thresholds for one feature: its quantiles over the free nodes, and one above them all. */
export function candidateThresholds(values: readonly number[], steps = 10): number[] {
  if (values.length === 0) return [0];
  const sorted = [...values].sort((a, b) => a - b);
  const out = new Set<number>();
  for (let k = 0; k <= steps; k++) out.add(sorted[Math.min(sorted.length - 1, Math.round((k / steps) * (sorted.length - 1)))]!);
  const top = sorted[sorted.length - 1]!;
  out.add(top > 0 ? top * 1.000001 + 1e-12 : 1e-12);
  return [...out].sort((a, b) => a - b);
}

/** Median of the free nodes' values (the default when a threshold is neither given nor searched). */
export function median(values: readonly number[]): number {
  if (values.length === 0) return 0;
  const s = [...values].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/**
 * chooseThresholds(features, device): `features` is the placement problem compiled for the
 * target device (node times, sizes, sparsity, intensity), so the device is part of it.
 */
export function chooseThresholds(features: PlacementProblem, options: GridOptions = {}): ThresholdChoice {
  const free: number[] = [];
  features.role.forEach((r, i) => { if (r === Role.Free) free.push(i); });
  const sparsities = free.map((i) => features.sparsity[i]!);
  const intensities = free.map((i) => features.intensity[i]!);
  const grid = {
    sparsity: options.sparsity !== undefined ? [options.sparsity] : candidateThresholds(sparsities, options.steps),
    intensity: options.intensity !== undefined ? [options.intensity] : candidateThresholds(intensities, options.steps),
  };
  const mid = { sparsity: median(sparsities), intensity: median(intensities) };
  let best: { t: Thresholds; ms: number; crossings: number; distance: number; outcome: PlacementOutcome } | undefined;
  let evaluated = 0;
  // Many threshold pairs give the same placement: simulate each distinct one once.
  const simulated = new Map<string, { makespanMs: number; crossings: number }>();
  for (const sparsity of grid.sparsity) {
    for (const intensity of grid.intensity) {
      const t = { sparsity, intensity };
      const outcome = place(features, t);
      const key = outcome.assign.join(",");
      let r = simulated.get(key);
      if (!r) simulated.set(key, (r = planLatencyMs(features, outcome.assign)));
      evaluated++;
      // Ties (many threshold pairs give one plan): fewer crossings, then closest to the medians.
      const distance = Math.abs(rank(grid.sparsity, sparsity) - rank(grid.sparsity, mid.sparsity)) + Math.abs(rank(grid.intensity, intensity) - rank(grid.intensity, mid.intensity));
      const better = !best || r.makespanMs < best.ms - 1e-9
        || (Math.abs(r.makespanMs - best.ms) <= 1e-9 && (r.crossings < best.crossings || (r.crossings === best.crossings && distance < best.distance)));
      if (better) best = { t, ms: r.makespanMs, crossings: r.crossings, distance, outcome };
    }
  }
  return { ...best!.t, makespanMs: best!.ms, outcome: best!.outcome, evaluated, distinctPlans: simulated.size, grid };
}

/** Position of `x` among sorted candidates (fractional when between two). */
function rank(sorted: readonly number[], x: number): number {
  let i = 0;
  while (i < sorted.length && sorted[i]! < x) i++;
  return i;
}
