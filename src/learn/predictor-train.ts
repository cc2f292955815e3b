// Training: seeded initialisation and shuffling, Adam on the expected regret over the quantile
// bins (log of the bin plan's cost over the grid's best, weighted by the softmax of the logits;
// or, for output "quantiles", the squared error to the grid's best quantiles), early stopping on the validation loss (whole models held out of the training
// split, so validation measures new models, not new profiles of seen ones), best weights kept.
import * as tf from "@tensorflow/tfjs";
import { seededRandom } from "../../ir/random.ts";
import { DEFAULT_SIZES, outputWidth, parameterShapes, type PredictorConfig, type PredictorKind, type PredictorOutput } from "../predictor/architecture.ts";
import { BIN_QUANTILES } from "./labels.ts";
import { choosePortfolio } from "./portfolio.ts";
import { CONTEXT_FEATURES, NODE_FEATURES } from "../predictor/features.ts";
import type { Params } from "../predictor/forward.ts";
import type { Predictor, TrainingRecord } from "../predictor/weights.ts";
import type { Sample } from "./dataset.ts";
import { tfForward, tfReady, type TfParams } from "./tf-model.ts";

export interface TrainOptions {
  kind: PredictorKind;
  /** "bins" (default): expected regret over the quantile bins; "quantiles": squared error to the grid's best. */
  output?: PredictorOutput;
  epochs: number;
  seed: number;
  batch?: number;
  learningRate?: number;
  /** Epochs without a better validation loss before stopping (default 8). */
  patience?: number;
  /** Share of training models held out for validation (default 0.2). */
  validationShare?: number;
  /** Stop after this many optimiser steps in all (tests). */
  maxSteps?: number;
  sizes?: Partial<Record<keyof typeof DEFAULT_SIZES, number>>;
}

export interface EpochReport { epoch: number; epochs: number; trainLoss: number; validationLoss: number; ms: number; best: boolean; stepLosses: number[] }

export type TrainedPredictor = Omit<Predictor, "file" | "bytes">;

/** Glorot-uniform matrices, zero biases, LayerNorm gains 1, LSTM forget bias 1; from the seed. */
export function initialParams(c: PredictorConfig, seed: number): Params {
  const rand = seededRandom(seed);
  const out: Params = new Map();
  for (const [name, shape] of parameterShapes(c)) {
    const size = shape.reduce((a, b) => a * b, 1);
    const a = new Float32Array(size);
    if (name.endsWith(".g")) a.fill(1);
    else if (name === "lstm.b") a.fill(1, c.lstm, 2 * c.lstm);
    else if (shape.length === 2) {
      const limit = Math.sqrt(6 / (shape[0]! + shape[1]!)) * (name === "embed.pos" ? 0.1 : 1);
      for (let i = 0; i < size; i++) a[i] = (rand() * 2 - 1) * limit;
    }
    out.set(name, a);
  }
  return out;
}

function stats(samples: readonly Sample[]) {
  const C = CONTEXT_FEATURES.length;
  const mean = new Float32Array(C), std = new Float32Array(C), min = new Float32Array(C).fill(Infinity), max = new Float32Array(C).fill(-Infinity);
  for (const s of samples) s.input.context.forEach((v, i) => { mean[i]! += v / samples.length; min[i] = Math.min(min[i]!, v); max[i] = Math.max(max[i]!, v); });
  for (const s of samples) s.input.context.forEach((v, i) => { std[i]! += (v - mean[i]!) ** 2 / samples.length; });
  for (let i = 0; i < C; i++) std[i] = Math.max(Math.sqrt(std[i]!), 1e-3);
  return { mean, std, min, max };
}

/** Splits training samples by model: a seeded share of models for validation. */
export function validationSplit(samples: readonly Sample[], share: number, seed: number): { train: Sample[]; validation: Sample[] } {
  const models = [...new Set(samples.map((s) => s.model))].sort();
  const rand = seededRandom(seed ^ 0x5bd1e995);
  for (let i = models.length - 1; i > 0; i--) { const j = Math.floor(rand() * (i + 1)); [models[i], models[j]] = [models[j]!, models[i]!]; }
  const held = new Set(models.slice(0, Math.max(1, Math.round(models.length * share))));
  if (models.length < 2) held.clear();
  return { train: samples.filter((s) => !held.has(s.model)), validation: samples.filter((s) => held.has(s.model)) };
}

export async function trainPredictor(samples: readonly Sample[], options: TrainOptions, onEpoch?: (r: EpochReport) => void): Promise<{ predictor: TrainedPredictor; record: Omit<TrainingRecord, "command" | "zoo" | "date"> }> {
  await tfReady();
  const started = performance.now();
  const steps = samples[0]!.input.steps;
  const config: PredictorConfig = { kind: options.kind, steps, nodeFeatures: NODE_FEATURES.length, contextFeatures: CONTEXT_FEATURES.length, output: options.output ?? "bins", bins: BIN_QUANTILES.length, ...DEFAULT_SIZES, ...options.sizes };
  const W = outputWidth(config);
  const { train, validation } = validationSplit(samples, options.validationShare ?? 0.2, options.seed);
  const norm = stats(train);
  const initial = initialParams(config, options.seed);
  const vars: TfParams = new Map([...initial].map(([name, a]) => [name, tf.variable(tf.tensor(a, parameterShapes(config).find(([n]) => n === name)![1]), true, `${name}`)]));
  const optimizer = tf.train.adam(options.learningRate ?? 1e-3);
  const batchSize = options.batch ?? 16;
  const rand = seededRandom(options.seed ^ 0x27d4eb2d);
  const F = NODE_FEATURES.length, C = CONTEXT_FEATURES.length;
  const tensors = (set: readonly Sample[]) => {
    const x = new Float32Array(set.length * steps * F), ctx = new Float32Array(set.length * C), y = new Float32Array(set.length * W);
    set.forEach((s, k) => {
      x.set(s.input.sequence, k * steps * F);
      s.input.context.forEach((v, i) => { ctx[k * C + i] = (v - norm.mean[i]!) / norm.std[i]!; });
      if (config.output === "quantiles") {
        y[2 * k] = s.labels.best.sparsity;
        y[2 * k + 1] = s.labels.best.intensity;
      } else {
        const flat = s.labels.bins.flat();
        const best = Math.min(...flat, ...s.labels.grid.ms.flat());
        flat.forEach((ms, j) => { y[k * W + j] = Math.log(ms / best); });
      }
    });
    return { x: tf.tensor3d(x, [set.length, steps, F]), ctx: tf.tensor2d(ctx, [set.length, C]), y: tf.tensor2d(y, [set.length, W]) };
  };
  /** Bins: the expected log-regret under the softmax; quantiles: squared error. */
  const objective = (y: tf.Tensor2D, out: tf.Tensor2D): tf.Scalar => config.output === "quantiles" ? tf.losses.meanSquaredError(y, out) as tf.Scalar : tf.softmax(out).mul(y).sum(1).mean() as tf.Scalar;
  const loss = (set: readonly Sample[]) => tf.tidy(() => {
    if (set.length === 0) return NaN;
    const t = tensors(set);
    return objective(t.y, tfForward(config, vars, t.x, t.ctx)).dataSync()[0]!;
  });
  const snapshot = (): Params => new Map([...vars].map(([n, v]) => [n, v.dataSync().slice() as Float32Array]));
  let best = { loss: Infinity, epoch: 0, params: snapshot(), train: NaN };
  let stepsTaken = 0, sinceBest = 0, epochsRun = 0;
  const patience = options.patience ?? 8;
  for (let epoch = 1; epoch <= options.epochs; epoch++) {
    const t0 = performance.now();
    const order = train.map((_, i) => i);
    for (let i = order.length - 1; i > 0; i--) { const j = Math.floor(rand() * (i + 1)); [order[i], order[j]] = [order[j]!, order[i]!]; }
    const stepLosses: number[] = [];
    for (let b = 0; b < order.length; b += batchSize) {
      if (options.maxSteps !== undefined && stepsTaken >= options.maxSteps) break;
      const batch = order.slice(b, b + batchSize).map((i) => train[i]!);
      const value = tf.tidy(() => {
        const t = tensors(batch);
        const cost = optimizer.minimize(() => objective(t.y, tfForward(config, vars, t.x, t.ctx)), true, [...vars.values()]);
        return cost!.dataSync()[0]!;
      });
      stepLosses.push(value);
      stepsTaken++;
    }
    epochsRun = epoch;
    const trainLoss = stepLosses.length ? stepLosses.reduce((a, b) => a + b, 0) / stepLosses.length : NaN;
    const validationLoss = validation.length ? loss(validation) : trainLoss;
    const isBest = validationLoss < best.loss - 1e-6;
    if (isBest) { best = { loss: validationLoss, epoch, params: snapshot(), train: trainLoss }; sinceBest = 0; } else sinceBest++;
    onEpoch?.({ epoch, epochs: options.epochs, trainLoss, validationLoss, ms: performance.now() - t0, best: isBest, stepLosses });
    if (sinceBest >= patience || (options.maxSteps !== undefined && stepsTaken >= options.maxSteps)) break;
  }
  for (const v of vars.values()) v.dispose();
  optimizer.dispose();
  return {
    // From every training-split pair's labels (validation models included: labels, not weights).
    predictor: { config, params: best.params, portfolio: config.output === "bins" ? choosePortfolio(samples.map((s) => s.labels)) : [], contextMean: norm.mean, contextStd: norm.std, contextMin: norm.min, contextMax: norm.max },
    record: { seed: options.seed, epochs: epochsRun, bestEpoch: best.epoch, trainLoss: best.train, validationLoss: best.loss, samples: { train: train.length, validation: validation.length }, ms: performance.now() - started },
  };
}
