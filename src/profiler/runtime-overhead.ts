// What the bundled runtime adds to a request over a plain onnxruntime session, for profiles whose
// processors are the runtime's CPU workers (host-2x1). Each model runs as one partition on a
// worker and as a plain session in this thread, timed in turns:
//
// - a request's fixed cost (the message to the worker, waking it, the results back): the
//   difference on a one-Add model, whose session run is next to nothing;
// - a worker's session runs slower than the same session in the main thread: the median over
//   whole models of (runtime - fixed) / plain;
// - a value a worker both keeps and sends (or sends to two places) is copied into a fresh
//   buffer per extra place, since buffers move between threads: the GB/s of such a copy
//   (page faults included: 3-8 GB/s here, against 10-20 GB/s for a copy into warm memory).
//
// Measured here (2-core VM, 2026-11-30, six profile runs): 0.14-0.30 ms per request, worker
// sessions x1.04-1.16, copies 5-9 GB/s. Before these were charged, split plans were predicted 24%
// fast (median, 9 of 9 optimistic) and one-worker plans through the runtime 6-40% fast
// (docs/benchmarks.md, issue 13).
import type { Model } from "../../ir/model.ts";
import { modelBytes } from "../../ir/onnx/file.ts";
import { openSession } from "../../ort/session.mjs";
import { PROCESSOR_KEY } from "../package/manifest.ts";
import { Runtime } from "../runtime/runtime.ts";
import { round3 } from "./fit.ts";
import { dispatchModel } from "./grid.ts";
import { lowPercentile, median, randomFeeds, sessionOptions, timeInTurn } from "./measure.ts";

export interface RuntimeOverheadMeasurement {
  model: string;
  plainMs: number;
  runtimeMs: number;
}

export interface RuntimeOverhead {
  /** Fixed cost of one request through a worker, beyond a plain session's run, µs. */
  requestUs: number;
  /** A worker's session time over the same session in the main thread (clamped to 0.8-2). */
  slowdown: number;
  /** GB/s of copying a value into a fresh buffer (freshCopyGBs). */
  copyGBs: number;
  measurements: RuntimeOverheadMeasurement[];
}

export interface RuntimeOverheadTiming {
  threads: number;
  /** How long each pair is timed at least, ms. */
  windowMs: number;
}

const SLOWDOWN_RANGE: [number, number] = [0.8, 2];

/** Times `model` (named `name`) on one runtime worker and as a plain session, in turns; p10s in ms. */
async function timePair(name: string, model: Model, t: RuntimeOverheadTiming): Promise<RuntimeOverheadMeasurement> {
  const bytes = modelBytes(model);
  for (const n of model.graph.nodes) n.metadata.set(PROCESSOR_KEY, "cpu0");
  const feeds = randomFeeds(model);
  const runtime = await Runtime.load(model, { processorMap: ["cpu0=cpu"], threads: t.threads });
  const plain = await openSession(bytes, sessionOptions({ threads: t.threads, executionProvider: "cpu" }));
  try {
    const [runtimeMs, plainMs] = (await timeInTurn([() => runtime.run(feeds), () => plain.run(feeds)], { warmup: 3, minRuns: 20, maxRuns: 400, minMs: t.windowMs })).map(lowPercentile) as [number, number];
    return { model: name, plainMs: round3(plainMs), runtimeMs: round3(runtimeMs) };
  } finally {
    await runtime.close();
    await plain.release();
  }
}

/** `models`: whole models (named) for the slowdown; the fixed cost comes from a one-Add model. */
export async function measureRuntimeOverhead(models: readonly { name: string; build: () => Model }[], t: RuntimeOverheadTiming, onStep?: (label: string) => void): Promise<RuntimeOverhead> {
  onStep?.("runtime request overhead");
  const tiny = await timePair("one Add", dispatchModel(1), t);
  const requestMs = Math.max(0, tiny.runtimeMs - tiny.plainMs);
  const measurements = [tiny];
  for (const m of models) {
    onStep?.(`runtime overhead: ${m.name}`);
    measurements.push(await timePair(m.name, m.build(), t));
  }
  const ratios = measurements.slice(1).map((m) => (m.runtimeMs - requestMs) / m.plainMs);
  const slowdown = ratios.length ? Math.min(SLOWDOWN_RANGE[1], Math.max(SLOWDOWN_RANGE[0], median(ratios))) : 1;
  return { requestUs: round3(requestMs * 1000), slowdown: round3(slowdown), copyGBs: freshCopyGBs(), measurements };
}

/** GB/s of ArrayBuffer.slice (a fresh buffer, as the workers copy a value), median over 1 and 4 MB. */
export function freshCopyGBs(): number {
  const rates: number[] = [];
  for (const mb of [1, 4]) {
    const source = new Uint8Array(mb << 20).fill(1);
    const times: number[] = [];
    for (let i = 0; i < 12; i++) {
      const t = performance.now();
      const copy = source.buffer.slice(0);
      // The first copies warm the allocator up (the first of all ran at 1.3 GB/s, the rest 8-10).
      if (i >= 3) times.push(performance.now() - t);
      if (copy.byteLength !== source.byteLength) throw new Error("internal error: short copy");
    }
    rates.push(source.length / median(times) / 1e6);
  }
  return round3(median(rates));
}
