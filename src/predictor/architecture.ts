// The predictor's two architectures and their parameter shapes, shared by training (tfjs,
// src/learn/) and inference (plain TypeScript, forward.ts), which must agree on every name and
// layout.
//
// transformer-lstm (SparOA's): node features -> linear embedding + learned position ->
//   one Transformer encoder block (multi-head self-attention, residual, LayerNorm, ReLU
//   feed-forward, residual, LayerNorm) -> LSTM over the steps (last hidden state) -> concat the
//   normalised context (device + model figures) -> dense ReLU -> dense sigmoid: 2 quantiles.
// mlp (the cheap alternative): mean and max of the node features over the steps + context ->
//   two dense ReLU layers -> the same output layer.
//
// Output "bins" (the default): logits over a fixed bins x bins grid of quantile pairs (0, 0.1,
// ..., 1 on each axis), trained on the expected regret of the grid's plan costs; the prediction
// is the most likely bin. Output "quantiles": two sigmoids regressing the grid search's best
// quantiles by squared error (simpler, but the best pair is often one of many near-ties, and
// their mean can sit in a slow region).

export type PredictorKind = "transformer-lstm" | "mlp";
export const PREDICTOR_KINDS: readonly PredictorKind[] = ["transformer-lstm", "mlp"];

export type PredictorOutput = "bins" | "quantiles";
export const PREDICTOR_OUTPUTS: readonly PredictorOutput[] = ["bins", "quantiles"];

export interface PredictorConfig {
  kind: PredictorKind;
  output: PredictorOutput;
  /** Bins per axis (output "bins"). */
  bins: number;
  steps: number;
  nodeFeatures: number;
  contextFeatures: number;
  /** Model width, attention heads, feed-forward width, LSTM units, head width. */
  d: number;
  heads: number;
  ffn: number;
  lstm: number;
  hidden: number;
}

export const DEFAULT_SIZES = { d: 32, heads: 2, ffn: 64, lstm: 32, hidden: 32 } as const;

/** Width of the output layer. */
export function outputWidth(c: PredictorConfig): number {
  return c.output === "bins" ? c.bins * c.bins : 2;
}

/** The quantile pair of bin `index` (row-major: sparsity bin, then intensity bin). */
export function binQuantiles(c: PredictorConfig, index: number): [number, number] {
  return [Math.floor(index / c.bins) / (c.bins - 1), (index % c.bins) / (c.bins - 1)];
}

/** Every parameter's name and shape, in a fixed order. */
export function parameterShapes(c: PredictorConfig): [string, number[]][] {
  if (c.kind === "mlp") {
    const input = 2 * c.nodeFeatures + c.contextFeatures;
    return [["mlp.w1", [input, c.hidden]], ["mlp.b1", [c.hidden]], ["mlp.w2", [c.hidden, c.hidden]], ["mlp.b2", [c.hidden]], ["mlp.w3", [c.hidden, outputWidth(c)]], ["mlp.b3", [outputWidth(c)]]];
  }
  const { d, ffn, lstm, hidden } = c;
  return [
    ["embed.w", [c.nodeFeatures, d]], ["embed.b", [d]], ["embed.pos", [c.steps, d]],
    ["att.wq", [d, d]], ["att.bq", [d]], ["att.wk", [d, d]], ["att.bk", [d]], ["att.wv", [d, d]], ["att.bv", [d]], ["att.wo", [d, d]], ["att.bo", [d]],
    ["ln1.g", [d]], ["ln1.b", [d]],
    ["ffn.w1", [d, ffn]], ["ffn.b1", [ffn]], ["ffn.w2", [ffn, d]], ["ffn.b2", [d]],
    ["ln2.g", [d]], ["ln2.b", [d]],
    // Gates in the order input, forget, cell, output.
    ["lstm.wx", [d, 4 * lstm]], ["lstm.wh", [lstm, 4 * lstm]], ["lstm.b", [4 * lstm]],
    ["head.w1", [lstm + c.contextFeatures, hidden]], ["head.b1", [hidden]], ["head.w2", [hidden, outputWidth(c)]], ["head.b2", [outputWidth(c)]],
  ];
}

export const LAYER_NORM_EPSILON = 1e-5;
