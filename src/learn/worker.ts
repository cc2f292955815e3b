// Runs training in a worker thread, so the main thread stays free to draw progress and answer
// Ctrl-C; the result (typed arrays) comes back through structured clone.
import { Worker } from "node:worker_threads";
import { datasetToJson, type Sample } from "./dataset.ts";
import type { EpochReport, TrainOptions, trainPredictor } from "./train.ts";

export type TrainResult = Awaited<ReturnType<typeof trainPredictor>>;

export function trainInWorker(samples: readonly Sample[], options: TrainOptions, onEpoch?: (r: EpochReport) => void): Promise<TrainResult> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(new URL("./train-worker.mjs", import.meta.url), { workerData: { samples: datasetToJson(samples), options } });
    let settled = false;
    worker.on("message", (m: { type: "epoch"; report: EpochReport } | { type: "done"; result: TrainResult } | { type: "error"; message: string }) => {
      if (m.type === "epoch") onEpoch?.(m.report);
      else if (m.type === "done") { settled = true; resolve(m.result); void worker.terminate(); }
      else { settled = true; reject(new Error(`training failed: ${m.message}`)); void worker.terminate(); }
    });
    worker.on("error", (e) => { if (!settled) { settled = true; reject(e); } });
    worker.on("exit", (code) => { if (!settled) { settled = true; reject(new Error(`training worker exited with code ${code}`)); } });
  });
}
