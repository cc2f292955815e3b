// The scheduler's training worker: plain JS that reads and analyses the zoo's train split, runs
// trainScheduler, and posts progress lines and the weights back. Beside the compiled build
// (dist/) it imports the compiled modules; beside the TypeScript sources it registers tsx first
// (the main thread's registration does not reach workers).
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { parentPort, workerData } from "node:worker_threads";

const compiled = existsSync(fileURLToPath(new URL("./scheduler-train.js", import.meta.url)));
if (!compiled) (await import("tsx/esm/api")).register();
const ext = compiled ? "js" : "ts";
const { schedulerBackend } = await import(`../scheduler/tf.${ext}`);
const { zooCorpus } = await import(`./scheduler-corpus.${ext}`);
const { trainScheduler } = await import(`./scheduler-train.${ext}`);
try {
  const backend = await schedulerBackend();
  const { zoo, options } = workerData;
  const corpus = await zooCorpus(zoo, "train", { maxNodes: options.maxNodes, onModel: (done, total, name) => parentPort.postMessage({ type: "model", done, total, name }) });
  if (corpus.length === 0) throw new Error(`${zoo}: no model in the training split (at most ${options.maxNodes} nodes)`);
  let last = 0;
  const result = trainScheduler(corpus, { ...options, onProgress: (p) => {
    const now = Date.now();
    if (now - last > 200 || p.step >= p.steps) { last = now; parentPort.postMessage({ type: "progress", progress: p }); }
  } });
  parentPort.postMessage({ type: "done", weights: result.weights, backend });
} catch (e) {
  parentPort.postMessage({ type: "error", message: e instanceof Error ? e.message : String(e) });
}
