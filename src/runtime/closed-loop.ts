// Closed-loop load for `sparoa bench` and bench/ scripts: `concurrency` clients each send a
// request as soon as their previous one returns; every request's latency is kept.
import type * as ort from "onnxruntime-node";
import { openSession } from "../../ort/session.mjs";
import { summarize, type LatencySummary } from "./stats.ts";

export interface LoadResult { latenciesMs: number[]; wallMs: number }

export interface Measured extends LatencySummary { throughput: number; wallMs: number }

export async function closedLoop(send: () => Promise<unknown>, requests: number, concurrency = 1): Promise<LoadResult> {
  const latenciesMs: number[] = [];
  let issued = 0;
  const t0 = performance.now();
  const client = async () => {
    while (issued < requests) {
      issued++;
      const s = performance.now();
      await send();
      latenciesMs.push(performance.now() - s);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, concurrency) }, client));
  return { latenciesMs, wallMs: performance.now() - t0 };
}

export function measured(results: LoadResult[]): Measured {
  const all = results.flatMap((r) => r.latenciesMs);
  const wall = results.reduce((a, r) => a + r.wallMs, 0);
  return { ...summarize(all), throughput: (1000 * all.length) / wall, wallMs: wall };
}

/** Plain onnxruntime on the whole model, in this thread: the anchor every figure is compared with. */
export async function plainSession(model: { path: string } | { bytes: Uint8Array }, threads: number, spin = true): Promise<ort.InferenceSession> {
  const options: ort.InferenceSession.SessionOptions = {
    intraOpNumThreads: threads, interOpNumThreads: 1, executionMode: "sequential", logSeverityLevel: 3,
    extra: { session: { intra_op: { allow_spinning: spin ? "1" : "0" } } },
  };
  return openSession(model, options);
}
