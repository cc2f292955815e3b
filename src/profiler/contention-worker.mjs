// One onnxruntime session in a worker thread, for src/profiler/contention.ts: load, warm up,
// say "ready", wait for the shared start flag, then run back to back for `durationMs` and post
// the per-run times. Plain JavaScript so it runs unchanged from the compiled build.
import { parentPort, workerData } from "node:worker_threads";
import * as ort from "onnxruntime-node";

const { model, feeds, threads, durationMs, start } = workerData;
const session = await ort.InferenceSession.create(model, {
  intraOpNumThreads: threads, interOpNumThreads: 1, executionMode: "sequential", graphOptimizationLevel: "all", logSeverityLevel: 3,
  extra: { session: { intra_op: { allow_spinning: "0" } } },
});
const inputs = Object.fromEntries(feeds.map((f) => [f.name, new ort.Tensor("float32", f.data, f.dims)]));
for (let i = 0; i < 3; i++) await session.run(inputs);
parentPort.postMessage({ ready: true });
Atomics.wait(new Int32Array(start), 0, 0);
const times = [];
const t0 = performance.now();
while (performance.now() - t0 < durationMs || times.length < 5) {
  const t = performance.now();
  await session.run(inputs);
  times.push(performance.now() - t);
}
await session.release();
parentPort.postMessage({ times });
