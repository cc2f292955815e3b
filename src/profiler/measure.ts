// Timing onnxruntime sessions: warm up, then run until enough time and runs have passed, and take
// a low percentile (the machine is shared: see lowPercentile).
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as ort from "onnxruntime-node";
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

export const FULL_TIMING: Omit<TimingOptions, "threads" | "executionProvider"> = { minMs: 60, minRuns: 10, maxRuns: 200, warmup: 2 };
export const QUICK_TIMING: Omit<TimingOptions, "threads" | "executionProvider"> = { minMs: 10, minRuns: 5, maxRuns: 40, warmup: 1 };

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
export async function timeModels(models: { model: Model; inputSparsity?: number }[], options: TimingOptions, stat: (xs: readonly number[]) => number = lowPercentile): Promise<number[]> {
  const sessions = await Promise.all(models.map(({ model }) => ort.InferenceSession.create(modelBytes(model), sessionOptions(options))));
  try {
    const runs = models.map(({ model, inputSparsity }, k) => {
      const feeds: Record<string, ort.Tensor> = {};
      model.graph.inputs.forEach((v, i) => {
        const t = v.type;
        const shape = t?.kind === "tensor" && t.shape ? t.shape.map(Number) : [1];
        feeds[v.name] = new ort.Tensor("float32", randomData(shape.reduce((a, b) => a * b, 1), inputSparsity ?? 0, 1000 + i), shape);
      });
      return () => sessions[k]!.run(feeds);
    });
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
    return times.map(stat);
  } finally {
    await Promise.all(sessions.map((s) => s.release()));
  }
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

/**
 * Per-kernel times of `opType` nodes from onnxruntime's own profiler (enableProfiling), over
 * repeated runs: the kernel's time without session.run overhead and without the layout
 * conversions at the model's edges (ReorderInput/ReorderOutput are other ops). A kernel preempted
 * by other work shows up as one slow sample among many, which lowPercentile ignores.
 */
export async function kernelSamples(model: Model, options: TimingOptions, opType: string, inputSparsity = 0): Promise<number[]> {
  const dir = mkdtempSync(join(tmpdir(), "sparoa-ortprof-"));
  try {
    const session = await ort.InferenceSession.create(modelBytes(model), { ...sessionOptions(options), enableProfiling: true, profileFilePrefix: join(dir, "p") });
    try {
      const feeds: Record<string, ort.Tensor> = {};
      model.graph.inputs.forEach((v, i) => {
        const t = v.type;
        const shape = t?.kind === "tensor" && t.shape ? t.shape.map(Number) : [1];
        feeds[v.name] = new ort.Tensor("float32", randomData(shape.reduce((a, b) => a * b, 1), inputSparsity, 1000 + i), shape);
      });
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
    const events = JSON.parse(readFileSync(join(dir, file), "utf8")) as { cat?: string; name?: string; dur?: number; args?: { op_name?: string } }[];
    const kernels = events.filter((e) => e.cat === "Node" && e.name?.endsWith("_kernel_time") && e.args?.op_name === opType).map((e) => e.dur! / 1000);
    // The warm-up runs come first in the file; drop their samples.
    const perRun = Math.max(1, model.graph.nodes.filter((n) => n.opType === opType).length);
    return kernels.slice(options.warmup * perRun);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
