// Timing onnxruntime sessions: warm up, then run until enough time and runs have passed, and take
// a low percentile (the machine is shared: see lowPercentile).
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type * as ort from "onnxruntime-node";
import { openSession } from "../../ort/session.mjs";
import { float32Tensor } from "../../ort/tensor-bridge.ts";
import type { Model } from "../../ir/model.ts";
import { modelBytes } from "../../ir/onnx/file.ts";
import { randomData } from "./grid.ts";

export interface TimingOptions {
  threads: number;
  executionProvider: string;
  /** Keep running until this many ms have passed... */
  minMs: number;
  /** ...and at least this many runs. */
  minRuns: number;
  maxRuns: number;
  warmup: number;
}

/** Per repetition of the grid (`sparoa profile` repeats it three times and takes medians). */
export const FULL_TIMING: Omit<TimingOptions, "threads" | "executionProvider"> = { minMs: 40, minRuns: 6, maxRuns: 200, warmup: 2 };
export const QUICK_TIMING: Omit<TimingOptions, "threads" | "executionProvider"> = { minMs: 10, minRuns: 5, maxRuns: 40, warmup: 1 };
/** The test suite's profiling: a handful of runs, figures good to tens of percent. */
export const SMOKE_TIMING: Omit<TimingOptions, "threads" | "executionProvider"> = { minMs: 2, minRuns: 4, maxRuns: 10, warmup: 1 };

export function sessionOptions(o: Pick<TimingOptions, "threads" | "executionProvider">): ort.InferenceSession.SessionOptions {
  // No spinning: idle pool threads of one session would steal the cores from the next one timed.
  return { executionProviders: [o.executionProvider], intraOpNumThreads: o.threads, interOpNumThreads: 1, executionMode: "sequential", graphOptimizationLevel: "all", logSeverityLevel: 3, extra: { session: { intra_op: { allow_spinning: "0" } } } };
}

/** Low-percentile ms of one `session.run` of `model` with float inputs of the model's input shapes. */
export async function timeModel(model: Model, options: TimingOptions, inputSparsity = 0): Promise<number> {
  return (await timeModels([{ model, inputSparsity }], options))[0]!;
}

/**
 * Medians of several models timed in alternation (A, B, A, B, ...): on a shared machine the load
 * changes from second to second, and alternating keeps ratios and differences between them fair.
 */
export async function timeModels(models: { model: Model; bytes?: Uint8Array; inputSparsity?: number }[], options: TimingOptions, stat: (xs: readonly number[]) => number = lowPercentile): Promise<number[]> {
  const sessions = await Promise.all(models.map(({ model, bytes }) => openSession(bytes ?? modelBytes(model), sessionOptions(options))));
  try {
    const runs = models.map(({ model, inputSparsity }, k) => {
      const feeds = randomFeeds(model, inputSparsity);
      return () => sessions[k]!.run(feeds);
    });
    return (await timeInTurn(runs, options)).map(stat);
  } finally {
    await Promise.all(sessions.map((s) => s.release()));
  }
}

/**
 * Every run's times in ms, the runs called in turn (A, B, C, A, B, C, ...) after `warmup` calls
 * each, until each has `minMs` of runs and at least `minRuns`, or `maxRuns`.
 */
export async function timeInTurn(runs: readonly (() => Promise<unknown>)[], options: Pick<TimingOptions, "warmup" | "minRuns" | "maxRuns" | "minMs">): Promise<number[][]> {
  for (const run of runs) for (let i = 0; i < options.warmup; i++) await run();
  const times: number[][] = runs.map(() => []);
  const start = performance.now();
  while (times[0]!.length < options.maxRuns && (times[0]!.length < options.minRuns || performance.now() - start < options.minMs * runs.length)) {
    for (let k = 0; k < runs.length; k++) {
      const t = performance.now();
      await runs[k]!();
      times[k]!.push(performance.now() - t);
    }
  }
  return times;
}

/**
 * The 10th percentile: the machine this runs on is shared, other work only ever adds time, and
 * the low percentile estimates the kernel's time on a quiet machine far more reproducibly than
 * the median does (measured: medians 3-4x the fastest runs at load 10 on 2 cores).
 */
export function lowPercentile(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor((s.length - 1) * 0.1)]!;
}

export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/** One kernel execution in onnxruntime's profile. */
export interface KernelEvent { node: string; op: string; ms: number }

/**
 * Runs a session with onnxruntime's profiler on (enableProfiling) and returns every kernel
 * execution after the warm-up runs: per-node times without session.run overhead. A kernel
 * preempted by other work shows up as one slow sample among many, which lowPercentile ignores.
 */
export async function profiledKernels(model: Model | string | Uint8Array, feeds: Record<string, ort.Tensor>, options: TimingOptions): Promise<KernelEvent[]> {
  const dir = mkdtempSync(join(tmpdir(), "sparoa-ortprof-"));
  try {
    const source = typeof model === "string" || model instanceof Uint8Array ? model : modelBytes(model);
    const opts = { ...sessionOptions(options), enableProfiling: true, profileFilePrefix: join(dir, "p") };
    const session = await openSession(source, opts);
    try {
      for (let i = 0; i < options.warmup; i++) await session.run(feeds);
      const start = performance.now();
      let runs = 0;
      while (runs < options.maxRuns && (runs < options.minRuns || performance.now() - start < options.minMs)) { await session.run(feeds); runs++; }
      (session as unknown as { endProfiling?: () => void }).endProfiling?.();
    } finally {
      await session.release();
    }
    const file = readdirSync(dir).find((f) => f.endsWith(".json"));
    if (!file) return [];
    const events = JSON.parse(readFileSync(join(dir, file), "utf8")) as { cat?: string; name?: string; ts?: number; dur?: number; args?: { op_name?: string } }[];
    const runs = events.filter((e) => e.cat === "Session" && e.name === "model_run").map((e) => e.ts!).sort((a, b) => a - b);
    // Warm-up runs come first in the file: keep kernels from the first timed run on.
    const firstTimed = runs[options.warmup] ?? 0;
    return events
      .filter((e) => e.cat === "Node" && e.name?.endsWith("_kernel_time") && (e.ts ?? 0) >= firstTimed)
      .map((e) => ({ node: e.name!.slice(0, -"_kernel_time".length), op: e.args?.op_name ?? "", ms: e.dur! / 1000 }));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Feeds of random floats for every input of `model` with a static shape. */
export function randomFeeds(model: Model, inputSparsity = 0): Record<string, ort.Tensor> {
  const feeds: Record<string, ort.Tensor> = {};
  model.graph.inputs.filter((v) => v.initializer === undefined).forEach((v, i) => {
    const t = v.type;
    const shape = t?.kind === "tensor" && t.shape ? t.shape.map((d) => (typeof d === "number" ? d : 1)) : [1];
    feeds[v.name] = float32Tensor(randomData(shape.reduce((a, b) => a * b, 1), inputSparsity, 1000 + i), shape);
  });
  return feeds;
}

/** Profiled times of the `opType` kernels of `model` (see profiledKernels); `bytes`: the model already encoded. */
export async function kernelSamples(model: Model, options: TimingOptions, opType: string, inputSparsity = 0, bytes?: Uint8Array): Promise<number[]> {
  return (await profiledKernels(bytes ?? model, randomFeeds(model, inputSparsity), options)).filter((k) => k.op === opType).map((k) => k.ms);
}

/** The q-quantile (0..1) of `xs`, linearly interpolated. */
export function quantile(xs: readonly number[], q: number): number {
  const s = [...xs].sort((a, b) => a - b);
  const at = (s.length - 1) * q;
  const lo = Math.floor(at);
  return s[lo]! + (s[Math.min(s.length - 1, lo + 1)]! - s[lo]!) * (at - lo);
}
