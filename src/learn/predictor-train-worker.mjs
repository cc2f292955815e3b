// The training worker: plain JS that runs trainPredictor, posting one message per epoch and the
// result. Beside the compiled build (dist/) it imports the compiled modules; beside the
// TypeScript sources it registers tsx first (the main thread's registration does not reach
// workers).
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { parentPort, workerData } from "node:worker_threads";

const compiled = existsSync(fileURLToPath(new URL("./predictor-train.js", import.meta.url)));
if (!compiled) (await import("tsx/esm/api")).register();
const ext = compiled ? "js" : "ts";
const { trainPredictor } = await import(`./predictor-train.${ext}`);
const { datasetFromJson } = await import(`./dataset.${ext}`);
try {
  const samples = datasetFromJson(workerData.samples);
  const result = await trainPredictor(samples, workerData.options, (report) => parentPort.postMessage({ type: "epoch", report }));
  parentPort.postMessage({ type: "done", result });
} catch (e) {
  parentPort.postMessage({ type: "error", message: e instanceof Error ? e.message : String(e) });
}
