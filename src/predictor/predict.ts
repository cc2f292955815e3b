// Thresholds for a placement problem from a trained predictor: features (features.ts) ->
// forward pass (forward.ts) -> quantiles -> absolute thresholds on this model's own values
// (quantiles.ts). A profile whose figures fall outside the training range gets a warning naming
// the features; the prediction is still made (the planner's refinement and guarantee follow).
import type { Thresholds } from "../planner/place.ts";
import type { PlacementProblem } from "../planner/problem.ts";
import { DEVICE_FEATURES, predictorInput } from "./features.ts";
import { forward } from "./forward.ts";
import { thresholdsFromQuantiles, type QuantileThresholds } from "./quantiles.ts";
import type { Predictor } from "./weights.ts";

export interface Prediction {
  quantiles: QuantileThresholds;
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

export function predictThresholds(p: Predictor, problem: PlacementProblem): Prediction {
  const start = performance.now();
  const input = predictorInput(problem, p.config.steps);
  const outOfRange: string[] = [];
  DEVICE_FEATURES.forEach((name, i) => {
    const v = input.context[i]!;
    if (v < p.contextMin[i]! - RANGE_SLACK || v > p.contextMax[i]! + RANGE_SLACK) outOfRange.push(`${name} ${v.toFixed(2)} (trained on ${p.contextMin[i]!.toFixed(2)}..${p.contextMax[i]!.toFixed(2)})`);
  });
  const warnings = outOfRange.length ? [`profile '${problem.profile.name}' is outside the threshold predictor's training range in ${outOfRange.length} feature(s): ${outOfRange.join("; ")}; the prediction may be poor (--thresholds grid searches instead)`] : [];
  const quantiles = predictQuantiles(p, input.sequence, input.context);
  return { quantiles, thresholds: thresholdsFromQuantiles(problem, quantiles), outOfRange, warnings, ms: performance.now() - start };
}
