// Runs the scheduler's pretraining in a worker thread, so the main thread stays free to draw
// progress and answer Ctrl-C.
import { Worker } from "node:worker_threads";
import type { TrainProgress } from "./train.ts";
import type { SchedulerWeights } from "./weights.ts";

export interface WorkerTrainOptions { seed: number; steps: number; hidden?: number; pool?: number; maxNodes?: number }

export interface WorkerEvents {
  onModel?: (done: number, total: number, name: string) => void;
  onProgress?: (p: TrainProgress) => void;
}

export function trainSchedulerInWorker(zoo: string, options: WorkerTrainOptions, events: WorkerEvents = {}): Promise<{ weights: SchedulerWeights; backend: string }> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(new URL("./train-worker.mjs", import.meta.url), { workerData: { zoo, options } });
    let settled = false;
    type Message = { type: "model"; done: number; total: number; name: string } | { type: "progress"; progress: TrainProgress } | { type: "done"; weights: SchedulerWeights; backend: string } | { type: "error"; message: string };
    worker.on("message", (m: Message) => {
      if (m.type === "model") events.onModel?.(m.done, m.total, m.name);
      else if (m.type === "progress") events.onProgress?.(m.progress);
      else if (m.type === "done") { settled = true; resolve({ weights: m.weights, backend: m.backend }); void worker.terminate(); }
      else { settled = true; reject(new Error(`training failed: ${m.message}`)); void worker.terminate(); }
    });
    worker.on("error", (e) => { if (!settled) { settled = true; reject(e); } });
    worker.on("exit", (code) => { if (!settled) { settled = true; reject(new Error(`training worker exited with code ${code}`)); } });
  });
}
