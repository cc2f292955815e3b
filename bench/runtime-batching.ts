// Batching: the throughput-versus-batch curve of a MobileNet-like model (v1 layout, width 0.5,
// 128x128, batch dim symbolic) on one CPU device, then the online tuner under closed-loop load
// with a latency bound, and its choice against the best feasible point of the curve.
//   node --import tsx bench/runtime-batching.ts [--max-latency-ms 150] [--threads 2] [--requests 600]
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { saveModel } from "../ir/index.ts";
import { loadPackage } from "../src/runtime/runtime.ts";
import { generateFeeds } from "../src/runtime/generate-inputs.ts";
import { closedLoop, plainSession } from "../src/runtime/closed-loop.ts";
import { median, summarize } from "../src/runtime/stats.ts";
import { BatchQueue } from "../src/runtime/batching.ts";
import { BatchTuner } from "../src/runtime/batch-tuner.ts";
import { mobileNetLike } from "./support/models.ts";

const { values } = parseArgs({ options: {
  "max-latency-ms": { type: "string", default: "150" }, threads: { type: "string", default: "2" }, requests: { type: "string", default: "600" },
  sizes: { type: "string", default: "1,2,4,8,16,32" }, runs: { type: "string", default: "5" },
} });
const bound = Number(values["max-latency-ms"]);
const threads = Number(values.threads);
const dir = mkdtempSync(join(tmpdir(), "sparoa-batching-"));
try {
  const path = join(dir, "mobilenet-like.onnx");
  saveModel(mobileNetLike(), path);
  const rt = await loadPackage(path, { threads });
  const plain = await plainSession({ path }, threads);
  const sizes = values.sizes!.split(",").map(Number);
  console.log(`MobileNet-like (v1 layout, width 0.5, 128x128), one CPU device, ${threads} threads; latency bound ${bound} ms`);
  console.log(`  batch  service p50   throughput   plain ORT p50  (median of ${values.runs} runs each)`);
  const curve: { b: number; ms: number; tput: number }[] = [];
  for (const b of sizes) {
    const feeds = generateFeeds(rt.manifest.source.inputs, b, { batch: b });
    await rt.run(feeds);
    await plain.run(feeds);
    const ms = median((await closedLoop(() => rt.run(feeds), Number(values.runs))).latenciesMs);
    const plainMs = median((await closedLoop(() => plain.run(feeds), Number(values.runs))).latenciesMs);
    curve.push({ b, ms, tput: (1000 * b) / ms });
    console.log(`  ${String(b).padStart(5)}  ${ms.toFixed(2).padStart(9)} ms  ${((1000 * b) / ms).toFixed(1).padStart(8)} img/s  ${plainMs.toFixed(2).padStart(9)} ms`);
  }
  const feasible = curve.filter((p) => 2 * p.ms <= bound);
  const best = feasible.reduce((a, p) => (p.tput > a.tput ? p : a), feasible[0] ?? curve[0]!);
  const bestOverall = curve.reduce((a, p) => (p.tput > a.tput ? p : a));

  const tuner = new BatchTuner({ maxLatencyMs: bound, limit: Math.max(...sizes) });
  const queue = new BatchQueue(rt, { tuner });
  const one = generateFeeds(rt.manifest.source.inputs, 99, { batch: 1 });
  const requests = Number(values.requests);
  // Warm up long enough for the tuner to explore every size (5 full batches each) before the
  // closed loop winds down: the last batches of a run are part-full, and part-full batches
  // while exploring make the tuner settle early.
  const clients = 2 * Math.max(...sizes);
  const warmRequests = Math.max(requests / 2, 10 * sizes.reduce((a, b) => a + b, 0));
  const warm = await closedLoop(() => queue.submit(one), warmRequests, clients);
  const steady = await closedLoop(() => queue.submit(one), requests, clients);
  const lat = summarize(steady.latenciesMs);
  const chosen = queue.policy;
  const chosenPoint = curve.find((p) => p.b === chosen.maxBatch);
  const unbatched = curve.find((p) => p.b === 1)!;
  console.log(`  best point within the bound (2 x service <= ${bound} ms): batch ${best.b}, ${best.tput.toFixed(1)} img/s (best overall: batch ${bestOverall.b}, ${bestOverall.tput.toFixed(1)} img/s)`);
  console.log(`  tuner (${tuner.state().phase} after ${queue.history.length} batches, warm-up ${warm.latenciesMs.length} requests): batch ${chosen.maxBatch}, max wait ${chosen.maxWaitMs.toFixed(1)} ms`);
  const seen = tuner.state();
  console.log(`  tuner's own measurements (service time with up to 2 batches in flight): ${Object.entries(seen.throughput).map(([b, t]) => `${b}: ${t.toFixed(0)}`).join(", ")} img/s`);
  console.log(`  tuner steady state: ${((1000 * steady.latenciesMs.length) / steady.wallMs).toFixed(1)} img/s, request latency p50 ${lat.p50.toFixed(1)} / p99 ${lat.p99.toFixed(1)} ms (bound ${bound})`);
  console.log(`  tuner's choice on the curve: ${chosenPoint ? `${chosenPoint.tput.toFixed(1)} img/s = ${(chosenPoint.tput / best.tput).toFixed(2)}x of the best feasible point` : "not a curve size"}; vs unbatched: ${(((1000 * steady.latenciesMs.length) / steady.wallMs) / unbatched.tput).toFixed(2)}x`);
  await queue.drain();
  await rt.close();
  await plain.release();
} finally {
  rmSync(dir, { recursive: true, force: true });
}
