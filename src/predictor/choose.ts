// How the placement pass gets its thresholds: given (both fixed), the grid search, or the
// trained predictor (the default of `sparoa optimize`), and, on request, the grid search's
// result beside the prediction (plan cost of both threshold plans, unrefined and refined).
import { place, type Thresholds } from "../planner/place.ts";
import { planPlacement, type PlannerOptions } from "../planner/planner.ts";
import type { PlacementProblem } from "../planner/problem.ts";
import { chooseThresholds } from "../planner/thresholds.ts";
import { predictThresholds, type Prediction } from "./predict.ts";
import { quantilesOfThresholds, type QuantileThresholds } from "./quantiles.ts";
import { BUNDLED_PREDICTOR, loadPredictor, type Predictor } from "./weights.ts";

export type ThresholdMode = "predictor" | "grid";
export const THRESHOLD_MODES: readonly ThresholdMode[] = ["predictor", "grid"];

export interface ThresholdComparison {
  grid: Thresholds & { quantiles: QuantileThresholds; ms: number; refinedMs?: number; searchMs: number };
  predicted: { ms: number; refinedMs?: number };
  /** predicted / grid plan cost (> 1: the prediction's plan is slower). */
  regret: number;
  refinedRegret?: number;
}

export interface ThresholdDecision {
  source: "given" | "grid search" | "predictor";
  thresholds?: Thresholds;
  predictor?: { file: string; kind: string; quantiles: QuantileThresholds; ms: number; outOfRange: string[]; checked: number; simulated: number };
  comparison?: ThresholdComparison;
  warnings: string[];
}


const cache = new Map<string, Predictor>();

/** Loaded once per process and file. */
export function cachedPredictor(file = BUNDLED_PREDICTOR): Predictor {
  let p = cache.get(file);
  if (!p) cache.set(file, (p = loadPredictor(file)));
  return p;
}

/** The thresholds to plan with; undefined thresholds mean "let the planner grid-search". */
export function decideThresholds(problem: PlacementProblem, given: Partial<Thresholds>, mode: ThresholdMode, predictorFile?: string, candidates?: number): ThresholdDecision {
  if (given.sparsity !== undefined && given.intensity !== undefined) return { source: "given", thresholds: { sparsity: given.sparsity, intensity: given.intensity }, warnings: [] };
  // Without a GPU every node stays on the CPU whatever the thresholds: nothing to predict.
  if (mode === "grid" || given.sparsity !== undefined || given.intensity !== undefined || problem.gpu < 0) return { source: "grid search", warnings: [] };
  const predictor = cachedPredictor(predictorFile);
  // Undefined candidates: the predicted bin and the predictor's portfolio (predict.ts).
  const p: Prediction = predictThresholds(predictor, problem, candidates === undefined ? {} : { candidates });
  return {
    source: "predictor", thresholds: p.thresholds, warnings: p.warnings,
    predictor: { file: predictor.file, kind: predictor.config.kind, quantiles: p.quantiles, ms: p.ms, outOfRange: p.outOfRange, checked: p.checked, simulated: p.simulated },
  };
}

/** The grid search's thresholds and plan cost beside the predicted ones (refined too when the planner refines). */
export function compareWithGrid(problem: PlacementProblem, predicted: Thresholds, options: PlannerOptions, predictedRefinedMs?: number): ThresholdComparison {
  const start = performance.now();
  const grid = chooseThresholds(problem);
  const searchMs = performance.now() - start;
  const smoothing = options.smoothing ?? true;
  const gridMs = problem.cost.latency(place(problem, grid, smoothing).assign).ms;
  const predictedMs = problem.cost.latency(place(problem, predicted, smoothing).assign).ms;
  const refine = options.refine !== false && predictedRefinedMs !== undefined;
  const gridRefinedMs = refine ? planPlacement(problem, { ...options, sparsity: grid.sparsity, intensity: grid.intensity }).latency.ms : undefined;
  return {
    grid: { sparsity: grid.sparsity, intensity: grid.intensity, quantiles: quantilesOfThresholds(problem, grid), ms: gridMs, searchMs, ...(gridRefinedMs !== undefined ? { refinedMs: gridRefinedMs } : {}) },
    predicted: { ms: predictedMs, ...(refine ? { refinedMs: predictedRefinedMs } : {}) },
    regret: predictedMs / gridMs,
    ...(refine ? { refinedRegret: predictedRefinedMs! / gridRefinedMs! } : {}),
  };
}
