// Runs the predictor's training in a worker thread (src/io/training-worker.ts); the result
// (typed arrays) comes back through structured clone.
import { runTrainingWorker } from "../io/training-worker.ts";
import { datasetToJson, type Sample } from "./dataset.ts";
import type { EpochReport, TrainOptions, trainPredictor } from "./predictor-train.ts";

export type TrainResult = Awaited<ReturnType<typeof trainPredictor>>;

export async function trainInWorker(samples: readonly Sample[], options: TrainOptions, onEpoch?: (r: EpochReport) => void): Promise<TrainResult> {
  const done = await runTrainingWorker<{ result: TrainResult }, { type: "epoch"; report: EpochReport }>(
    new URL("./predictor-train-worker.mjs", import.meta.url), { samples: datasetToJson(samples), options }, (m) => onEpoch?.(m.report));
  return done.result;
}
