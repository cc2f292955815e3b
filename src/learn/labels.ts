// Labels for one (model, device profile): the grid search's best thresholds (what
// `chooseThresholds` picks, as quantiles of the model's own free-node values) and the plan cost
// of every grid point, so the regret of any other choice on this grid can be read off.
import { chooseThresholds } from "../planner/thresholds.ts";
import { place } from "../planner/place.ts";
import type { PlacementProblem } from "../planner/problem.ts";
import { quantileOf, sortedFreeValues, thresholdAt, type QuantileThresholds } from "../predictor/quantiles.ts";

export interface ThresholdLabels {
  /** The grid search's choice, as quantiles, and its exact plan cost (ms). */
  best: QuantileThresholds;
  bestMs: number;
  /** The grid: candidate quantiles per axis and the search cost (ms) of each pair, ms[s][i]. */
  grid: { sparsity: number[]; intensity: number[]; ms: number[][] };
  /** ms of the grid's slowest point (how much the thresholds matter on this pair). */
  worstMs: number;
  /**
   * The search cost at each of the predictor's fixed quantile bins (BIN_QUANTILES on both axes):
   * ms[s][i]. The bin head's training loss is the expected regret over these.
   */
  bins: number[][];
}

/** The quantiles the bin head chooses among, per axis: 0, 0.1, ..., 1. */
export const BIN_QUANTILES = Array.from({ length: 11 }, (_, k) => k / 10);

export function labelProblem(problem: PlacementProblem): ThresholdLabels {
  const choice = chooseThresholds(problem);
  const values = sortedFreeValues(problem);
  const judged = new Map<string, number>();
  const ms = choice.grid.sparsity.map((s) => choice.grid.intensity.map((i) => {
    const assign = place(problem, { sparsity: s, intensity: i }).assign;
    const key = assign.join(",");
    let cost = judged.get(key);
    if (cost === undefined) judged.set(key, (cost = problem.cost.searchCost(assign)));
    return cost;
  }));
  const cost = (assign: Int32Array) => {
    const key = assign.join(",");
    let c = judged.get(key);
    if (c === undefined) judged.set(key, (c = problem.cost.searchCost(assign)));
    return c;
  };
  const bins = BIN_QUANTILES.map((qs) => BIN_QUANTILES.map((qi) => cost(place(problem, { sparsity: thresholdAt(values.sparsity, qs), intensity: thresholdAt(values.intensity, qi) }).assign)));
  return {
    bins,
    best: { sparsity: quantileOf(values.sparsity, choice.sparsity), intensity: quantileOf(values.intensity, choice.intensity) },
    bestMs: problem.cost.latency(choice.outcome.assign).ms,
    grid: { sparsity: choice.grid.sparsity.map((t) => quantileOf(values.sparsity, t)), intensity: choice.grid.intensity.map((t) => quantileOf(values.intensity, t)), ms },
    worstMs: Math.max(...ms.flat()),
  };
}
