// Contention between CPU workers of one machine: the same kernel run by 1, 2, 3 ... workers at
// once (worker threads with one onnxruntime session each, started together), for a compute-bound
// kernel (MatMul 64x1024x1024) and a memory-bound one (Add of 4 M floats). Each worker's median
// run time with k busy against one alone is the slowdown the simulator's plan cost charges while
// k workers overlap (src/sim/plan-charges.ts).
import { Worker } from "node:worker_threads";
import type { Model } from "../../ir/model.ts";
import { modelBytes } from "../../ir/onnx/file.ts";
import { round3 } from "./fit.ts";
import { profileGrid } from "./grid.ts";
import { median, randomFeeds } from "./measure.ts";

const WORKER = new URL("./contention-worker.mjs", import.meta.url);

export interface ContentionMeasurement {
  /** Slowdown (median run time with k busy / alone) for k = 2, 3, ... of the compute-bound kernel. */
  computeSlowdown: number[];
  memorySlowdown: number[];
  /** Median ms of one run alone, per kernel. */
  aloneMs: { compute: number; memory: number };
}

export interface ContentionOptions {
  /** Intra-op threads of each worker's session. Default 1. */
  threads?: number;
  /** Largest number of workers at once. Default 3. */
  maxWorkers?: number;
  /** How long all workers run together per measurement, ms. Default 800. */
  durationMs?: number;
  /** Rounds over 1..maxWorkers (medians of the ratios). Default 2. */
  rounds?: number;
  onStep?: (label: string) => void;
}

/** Median run times of `k` workers running `model` at once (all of them, pooled). */
async function runTogether(model: Model, k: number, threads: number, durationMs: number): Promise<number> {
  const bytes = modelBytes(model);
  const feeds = Object.entries(randomFeeds(model)).map(([name, t]) => ({ name, dims: [...t.dims], data: t.data as Float32Array }));
  const start = new SharedArrayBuffer(4);
  const workers = Array.from({ length: k }, () => new Worker(WORKER, { workerData: { model: bytes, feeds, threads, durationMs, start } }));
  try {
    const messages = workers.map((w) => {
      const queue: unknown[] = [];
      const waiters: ((m: unknown) => void)[] = [];
      w.on("message", (m) => { const next = waiters.shift(); if (next) next(m); else queue.push(m); });
      const failed = new Promise<never>((_, reject) => { w.once("error", reject); w.once("exit", (code) => { if (code !== 0) reject(new Error(`contention worker exited with code ${code}`)); }); });
      return () => Promise.race([queue.length ? Promise.resolve(queue.shift()) : new Promise((resolve) => waiters.push(resolve)), failed]);
    });
    await Promise.all(messages.map((next) => next()));
    Atomics.store(new Int32Array(start), 0, 1);
    Atomics.notify(new Int32Array(start), 0);
    const results = (await Promise.all(messages.map((next) => next()))) as { times: number[] }[];
    return median(results.flatMap((r) => r.times));
  } finally {
    await Promise.all(workers.map((w) => w.terminate()));
  }
}

export async function measureContention(o: ContentionOptions = {}): Promise<ContentionMeasurement> {
  const threads = o.threads ?? 1;
  const maxWorkers = o.maxWorkers ?? 3;
  const durationMs = o.durationMs ?? 800;
  const rounds = o.rounds ?? 2;
  const grid = profileGrid(false);
  const kernel = (id: string) => grid.find((c) => c.id === id)!.build(1);
  const kernels = { compute: kernel("matmul m64 k1024"), memory: kernel("add n4000000") };
  const out: ContentionMeasurement = { computeSlowdown: [], memorySlowdown: [], aloneMs: { compute: 0, memory: 0 } };
  for (const [kind, model] of Object.entries(kernels) as ["compute" | "memory", Model][]) {
    const ratios: number[][] = Array.from({ length: maxWorkers - 1 }, () => []);
    const alone: number[] = [];
    for (let r = 0; r < rounds; r++) {
      o.onStep?.(`contention: ${kind}-bound kernel, round ${r + 1}`);
      // Alone before and after the shared runs: the load of other work drifts.
      const before = await runTogether(model, 1, threads, durationMs);
      const shared: number[] = [];
      for (let k = 2; k <= maxWorkers; k++) shared.push(await runTogether(model, k, threads, durationMs));
      const after = await runTogether(model, 1, threads, durationMs);
      const base = (before + after) / 2;
      alone.push(base);
      shared.forEach((ms, j) => ratios[j]!.push(ms / base));
    }
    // Slowdowns below 1 are noise (k workers never help each other); keep them non-decreasing.
    let last = 1;
    out[`${kind}Slowdown`] = ratios.map((rs) => (last = round3(Math.max(last, median(rs)))));
    out.aloneMs[kind] = round3(median(alone));
  }
  return out;
}
