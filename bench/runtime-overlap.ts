// Real overlap: a model with two independent branches of equal cost, cut into left / right /
// join. On two CPU devices of one thread each the branches run at once; on one device of one
// thread they take turns. Target: >= 1.8x (the limit is 2x on 2 cores).
// The branches must cost enough that the two thread hops a request takes (0.1-0.3 ms each on
// this host) stay small beside them: batch 256 makes a branch ~15 ms.
//   node --import tsx bench/runtime-overlap.ts [--rounds 15] [--block 8] [--batch 256] [--width 512] [--depth 8]
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { saveModel } from "../ir/index.ts";
import { Worker } from "node:worker_threads";
import { loadPackage, type Feeds, type Runtime } from "../src/runtime/runtime.ts";
import { generateFeeds } from "../src/runtime/generate-inputs.ts";
import { closedLoop, plainSession } from "../src/runtime/closed-loop.ts";
import { median } from "../src/runtime/stats.ts";
import { writeHandPackage } from "../test/support/hand-package.ts";
import { twoBranchModel } from "./support/models.ts";

/** Share of the partition-0/1 run time during which both processor workers were running (wall clock). */
function overlapShare(rt: Runtime): number {
  const spans = rt.trace!.toJSON().traceEvents.filter((e) => e.ph === "X" && (e.name === "partition 0" || e.name === "partition 1"));
  const byRequest = new Map<unknown, { ts: number; end: number }[]>();
  for (const e of spans) {
    const list = byRequest.get(e.args!.request) ?? [];
    list.push({ ts: e.ts, end: e.ts + e.dur! });
    byRequest.set(e.args!.request, list);
  }
  let both = 0;
  let total = 0;
  for (const [a, b] of [...byRequest.values()].filter((l) => l.length === 2)) {
    both += Math.max(0, Math.min(a!.end, b!.end) - Math.max(a!.ts, b!.ts));
    total += Math.max(a!.end, b!.end) - Math.min(a!.ts, b!.ts);
  }
  return total > 0 ? both / total : 0;
}

/**
 * The machine's own ceiling right now: one plain onnxruntime worker thread running the whole
 * model alone, then two such workers at once (throughput ratio, no sparoa runtime involved).
 */
async function machineCeiling(modelPath: string, feeds: Feeds, runs: number): Promise<number> {
  const source = `
    const { parentPort, workerData } = require("node:worker_threads");
    const ort = require("onnxruntime-node");
    (async () => {
      const s = await ort.InferenceSession.create(workerData.model, { intraOpNumThreads: 1, interOpNumThreads: 1, logSeverityLevel: 3 });
      const feeds = Object.fromEntries(Object.entries(workerData.feeds).map(([k, t]) => [k, new ort.Tensor(t.type, t.data, t.dims)]));
      for (let i = 0; i < 3; i++) await s.run(feeds);
      parentPort.on("message", async (n) => { for (let i = 0; i < n; i++) await s.run(feeds); parentPort.postMessage("done"); });
      parentPort.postMessage("ready");
    })();`;
  const plainFeeds = Object.fromEntries(Object.entries(feeds).map(([k, t]) => [k, { type: t.type, data: t.data, dims: t.dims }]));
  const start = () => new Promise<Worker>((resolve) => { const w = new Worker(source, { eval: true, workerData: { model: modelPath, feeds: plainFeeds } }); w.once("message", () => resolve(w)); });
  const batch = (w: Worker, n: number) => new Promise<void>((resolve) => { w.once("message", () => resolve()); w.postMessage(n); });
  const [a, b] = await Promise.all([start(), start()]);
  const ratios: number[] = [];
  for (let r = 0; r < 5; r++) {
    let t0 = performance.now();
    await batch(a, runs);
    const alone = performance.now() - t0;
    t0 = performance.now();
    await Promise.all([batch(a, runs), batch(b, runs)]);
    ratios.push((2 * alone) / (performance.now() - t0));
  }
  await Promise.all([a.terminate(), b.terminate()]);
  return median(ratios);
}

const { values } = parseArgs({ options: { rounds: { type: "string", default: "15" }, block: { type: "string", default: "8" }, batch: { type: "string", default: "256" }, width: { type: "string", default: "512" }, depth: { type: "string", default: "8" } } });
const rounds = Number(values.rounds);
const block = Number(values.block);
const dir = mkdtempSync(join(tmpdir(), "sparoa-overlap-"));
try {
  const modelPath = join(dir, "two-branch.onnx");
  saveModel(twoBranchModel(Number(values.width), Number(values.depth)), modelPath);
  const side = (name: string) => (name.startsWith("left") ? 0 : name.startsWith("right") ? 1 : 2);
  const split = join(dir, "two-devices");
  await writeHandPackage(modelPath, split, (n) => ({ partition: side(n.name), processor: side(n.name) === 1 ? "cpu1" : "cpu0" }));
  const single = join(dir, "one-device");
  await writeHandPackage(modelPath, single, (n) => ({ partition: side(n.name), processor: "cpu0" }));
  writeFileSync(join(dir, "README"), "scratch folder of bench/runtime-overlap.ts\n");

  const two = await loadPackage(split, { threads: 1, trace: true });
  const one = await loadPackage(single, { threads: 1 });
  const plain1 = await plainSession({ path: modelPath }, 1);
  const plain2 = await plainSession({ path: modelPath }, 2);
  const feeds = generateFeeds(two.manifest.source.inputs, 1, { batch: Number(values.batch) });
  const senders = { one: () => one.run(feeds), two: () => two.run(feeds), plain1: () => plain1.run(feeds), plain2: () => plain2.run(feeds) };
  for (const send of Object.values(senders)) await closedLoop(send, 3);
  two.resetStats();
  // Rounds of `block` back-to-back requests per configuration, the order turned around every
  // round. Blocks, not single requests in turn: a worker left idle while the others run sleeps,
  // and waking an idle vCPU of this shared host costs more than the hops being measured.
  const times = { one: [] as number[], two: [] as number[], plain1: [] as number[], plain2: [] as number[] };
  const perRound: number[] = [];
  let twoWall = 0;
  for (let r = 0; r < rounds; r++) {
    const order = ["one", "two", "plain1", "plain2"] as const;
    const p50 = { one: 0, two: 0, plain1: 0, plain2: 0 };
    for (const side of r % 2 === 0 ? order : [...order].reverse()) {
      const res = await closedLoop(senders[side], block);
      times[side].push(...res.latenciesMs);
      p50[side] = median(res.latenciesMs);
      if (side === "two") twoWall += res.wallMs;
    }
    perRound.push(p50.one / p50.two);
  }
  const ceiling = await machineCeiling(modelPath, feeds, 10);
  const util = (rt: Runtime) => rt.processorStats().map((s) => `${s.processor} ${((100 * s.busyMs) / twoWall).toFixed(0)}%`).join(", ");
  const m = { two: median(times.two), one: median(times.one), plain1: median(times.plain1), plain2: median(times.plain2) };
  const deciles = (xs: number[]) => [0.1, 0.5, 0.9].map((q) => [...xs].sort((a, b) => a - b)[Math.floor(q * (xs.length - 1))]!.toFixed(2)).join(" / ");
  console.log(`two-branch ${values.width}x${values.depth} per branch, batch ${values.batch}; ${rounds} interleaved rounds x ${block} requests`);
  console.log(`  one device, 1 thread          p50 ${m.one.toFixed(2)} ms`);
  console.log(`  two devices, 1 thread each    p50 ${m.two.toFixed(2)} ms   (utilisation ${util(two)})`);
  console.log(`  plain onnxruntime, 1 thread   p50 ${m.plain1.toFixed(2)} ms`);
  console.log(`  plain onnxruntime, 2 threads  p50 ${m.plain2.toFixed(2)} ms`);
  console.log(`  speed-up two processors vs one processor: ${(m.one / m.two).toFixed(2)}x (target >= 1.8x); per round p10 / p50 / p90: ${deciles(perRound)}`);
  console.log(`  two devices vs plain ORT 1 thread: ${(m.plain1 / m.two).toFixed(2)}x faster; vs plain ORT 2 threads: ${(m.plain2 / m.two).toFixed(2)}x`);
  console.log(`  machine ceiling now (two plain onnxruntime workers at once vs one, throughput): ${ceiling.toFixed(2)}x`);
  console.log(`  branches running at the same time (from the trace): ${(100 * overlapShare(two)).toFixed(0)}% of the branch time`);
  await Promise.all([two.close(), one.close(), plain1.release(), plain2.release()]);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
