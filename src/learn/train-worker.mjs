// The training worker: plain JS that registers tsx (the main thread's registration does not
// reach workers) and runs trainPredictor, posting one message per epoch and the result.
import { parentPort, workerData } from "node:worker_threads";
import { register } from "tsx/esm/api";

register();
const { trainPredictor } = await import("./train.ts");
const { datasetFromJson } = await import("./dataset.ts");
try {
  const samples = datasetFromJson(workerData.samples);
  const result = await trainPredictor(samples, workerData.options, (report) => parentPort.postMessage({ type: "epoch", report }));
  parentPort.postMessage({ type: "done", result });
} catch (e) {
  parentPort.postMessage({ type: "error", message: e instanceof Error ? e.message : String(e) });
}
