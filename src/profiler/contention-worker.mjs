// @ts-check
// One onnxruntime session in a worker thread, for src/profiler/contention.ts: load, warm up,
// say "ready", wait for the shared start flag, then run back to back for `durationMs` and post
// the per-run times. Checked JavaScript that reaches onnxruntime through ort/ (sessions and
// tensors), so it runs unchanged from the compiled build without a TypeScript loader.
/** @import { Tensor } from "onnxruntime-node" */
import { parentPort, workerData } from "node:worker_threads";
import { openSession } from "../../ort/session.mjs";
import { fromWire, ownedBuffer } from "../../ort/wire.mjs";

if (!parentPort) throw new Error("contention-worker.mjs must run in a worker thread");
const port = parentPort;
/** @type {{ model: Uint8Array, feeds: { name: string, dims: number[], data: Float32Array }[], threads: number, durationMs: number, start: SharedArrayBuffer }} */
const { model, feeds, threads, durationMs, start } = workerData;
const session = await openSession(model, {
  intraOpNumThreads: threads, interOpNumThreads: 1, executionMode: "sequential", graphOptimizationLevel: "all", logSeverityLevel: 3,
  extra: { session: { intra_op: { allow_spinning: "0" } } },
});
/** @type {Record<string, Tensor>} */
const inputs = Object.fromEntries(feeds.map((f) => [f.name, fromWire({ name: f.name, type: "float32", dims: f.dims, data: ownedBuffer(f.data) })]));
for (let i = 0; i < 3; i++) await session.run(inputs);
port.postMessage({ ready: true });
Atomics.wait(new Int32Array(start), 0, 0);
/** @type {number[]} */
const times = [];
const t0 = performance.now();
while (performance.now() - t0 < durationMs || times.length < 5) {
  const t = performance.now();
  await session.run(inputs);
  times.push(performance.now() - t);
}
await session.release();
port.postMessage({ times });
