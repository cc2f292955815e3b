// Runs the scheduler's pretraining in a worker thread (src/io/training-worker.ts).
import { runTrainingWorker } from "../io/training-worker.ts";
import type { TrainProgress } from "./scheduler-train.ts";
import type { SchedulerWeights } from "../scheduler/weights.ts";

export interface WorkerTrainOptions { seed: number; steps: number; hidden?: number; pool?: number; maxNodes?: number }

export interface WorkerEvents {
  onModel?: (done: number, total: number, name: string) => void;
  onProgress?: (p: TrainProgress) => void;
}

export function trainSchedulerInWorker(zoo: string, options: WorkerTrainOptions, events: WorkerEvents = {}): Promise<{ weights: SchedulerWeights; backend: string }> {
  type Progress = { type: "model"; done: number; total: number; name: string } | { type: "progress"; progress: TrainProgress };
  return runTrainingWorker<{ weights: SchedulerWeights; backend: string }, Progress>(new URL("./scheduler-train-worker.mjs", import.meta.url), { zoo, options }, (m) => {
    if (m.type === "model") events.onModel?.(m.done, m.total, m.name);
    else events.onProgress?.(m.progress);
  });
}
