// Thresholds for a placement problem from a trained predictor: features (features.ts) ->
// forward pass (forward.ts) -> quantiles -> absolute thresholds on this model's own values
// (quantiles.ts). A profile whose figures fall outside the training range gets a warning naming
// the features; the prediction is still made (the planner's refinement and guarantee follow).
import type { Thresholds } from "../planner/place.ts";
import type { PlacementProblem } from "../planner/problem.ts";
import { DEVICE_FEATURES, predictorInput } from "./features.ts";
import { forward, outputLayer } from "./forward.ts";
import { binQuantiles } from "./architecture.ts";
import { place } from "../planner/place.ts";
import { thresholdsFromQuantiles, type QuantileThresholds } from "./quantiles.ts";
import type { Predictor } from "./weights.ts";

export interface PredictOptions {
  /**
   * Bins to check (bin output only): the most likely bin, then the predictor's portfolio in
   * order, then the next most likely bins, up to K; each is placed and judged by the plan cost and
   * the cheapest kept (ties: the earlier). 1: the most likely bin alone, no simulation. Default:
   * 1 + the portfolio's size (the hybrid; `defaultCandidates`).
   */
  candidates?: number;
}

export interface Prediction {
  quantiles: QuantileThresholds;
  /** Bins placed and judged (1: none judged, the most likely taken). */
  checked: number;
  /** Distinct plans among them simulated (0 when one bin is taken unjudged). */
  simulated: number;
  thresholds: Thresholds;
  /** Device features outside the training range, with value and range. */
  outOfRange: string[];
  warnings: string[];
  ms: number;
}

/** Slack on the training range before a feature counts as outside (log10 units: about 12%). */
const RANGE_SLACK = 0.05;

export function normaliseContext(p: Predictor, raw: Float32Array): Float32Array {
  return raw.map((v, i) => (v - p.contextMean[i]!) / p.contextStd[i]!);
}

export function predictQuantiles(p: Predictor, sequence: Float32Array, rawContext: Float32Array): QuantileThresholds {
  const [sparsity, intensity] = forward(p.config, p.params, sequence, normaliseContext(p, rawContext));
  return { sparsity, intensity };
}

/** Bins judged by default: the predicted one and the portfolio. */
export function defaultCandidates(p: Predictor): number {
  return p.config.output === "bins" ? 1 + p.portfolio.length : 1;
}

/** K bins' quantile pairs: the most likely, the portfolio, then the next most likely (no repeats). */
export function candidateBins(p: Predictor, sequence: Float32Array, rawContext: Float32Array, k: number): QuantileThresholds[] {
  const logits = outputLayer(p.config, p.params, sequence, normaliseContext(p, rawContext));
  const order = Array.from(logits.keys()).sort((a, b) => logits[b]! - logits[a]! || a - b);
  const bins = [...new Set([order[0]!, ...p.portfolio, ...order])].slice(0, k);
  return bins.map((bin) => { const [sparsity, intensity] = binQuantiles(p.config, bin); return { sparsity, intensity }; });
}

export function predictThresholds(p: Predictor, problem: PlacementProblem, options: PredictOptions = {}): Prediction {
  const start = performance.now();
  const input = predictorInput(problem, p.config.steps);
  const outOfRange: string[] = [];
  DEVICE_FEATURES.forEach((name, i) => {
    const v = input.context[i]!;
    if (v < p.contextMin[i]! - RANGE_SLACK || v > p.contextMax[i]! + RANGE_SLACK) outOfRange.push(`${name} ${v.toFixed(2)} (trained on ${p.contextMin[i]!.toFixed(2)}..${p.contextMax[i]!.toFixed(2)})`);
  });
  const warnings = outOfRange.length ? [`profile '${problem.profile.name}' is outside the threshold predictor's training range in ${outOfRange.length} feature(s): ${outOfRange.join("; ")}; the prediction may be poor (--thresholds grid searches instead)`] : [];
  const k = p.config.output === "bins" ? Math.max(1, Math.min(options.candidates ?? defaultCandidates(p), p.config.bins * p.config.bins)) : 1;
  if (k === 1) {
    const quantiles = predictQuantiles(p, input.sequence, input.context);
    return { quantiles, checked: 1, simulated: 0, thresholds: thresholdsFromQuantiles(problem, quantiles), outOfRange, warnings, ms: performance.now() - start };
  }
  let best: { quantiles: QuantileThresholds; thresholds: ReturnType<typeof thresholdsFromQuantiles>; cost: number } | undefined;
  // Bins often give the same plan (as in the grid search): simulate each distinct plan once.
  const judged = new Map<string, number>();
  for (const quantiles of candidateBins(p, input.sequence, input.context, k)) {
    const thresholds = thresholdsFromQuantiles(problem, quantiles);
    const assign = place(problem, thresholds).assign;
    const key = assign.join(",");
    let cost = judged.get(key);
    if (cost === undefined) judged.set(key, (cost = problem.cost.searchCost(assign)));
    if (!best || cost < best.cost - 1e-12) best = { quantiles, thresholds, cost };
  }
  return { quantiles: best!.quantiles, checked: k, simulated: judged.size, thresholds: best!.thresholds, outOfRange, warnings, ms: performance.now() - start };
}
