// What a cut between partitions on two CPU workers costs per op family, measured through the
// bundled runtime itself: a chain of two copies of an op, run by the runtime with both copies on
// one worker, and with the first on worker cpu0 and the second on cpu1, timed in turns. The
// difference is everything the cut adds: one more run call, the hand-off between worker threads
// (a message, waking the other thread, its cold cache), onnxruntime's layout reorders around the
// boundary (NCHWc <-> NCHW for convolutions) and the fusions it prevents. Less the run call and the
// link time the simulator already charges (both priced on their own), the rest is an F|F cut;
// half of it is charged per side of a cut (src/sim/plan-charges.ts). Two tensor sizes per family
// give a fixed part (latencyUs) and a bandwidth (GB/s).
//
// An earlier version timed two plain sessions in one thread against one session: it missed the
// hand-off between threads, about 0.2 ms per cut here, and split plans were predicted 20-30% fast
// (docs/benchmarks.md, issue 13).
import type { Model } from "../../ir/model.ts";
import { topologicalOrder } from "../../ir/topo.ts";
import type { OpFamily } from "../devices/op-family.ts";
import type { CutCostSpec } from "../devices/profile.ts";
import { PROCESSOR_KEY } from "../package/manifest.ts";
import { Runtime } from "../runtime/runtime.ts";
import { round3 } from "./fit.ts";
import { profileGrid } from "./grid.ts";
import { lowPercentile, randomFeeds, timeInTurn } from "./measure.ts";

/** Grid cases (src/profiler/grid.ts ids) that stand for a family at a cut, two tensor sizes each. */
const CUT_CASES: [OpFamily, string[]][] = [
  ["conv", ["conv c64 h56 k1", "conv c128 h28 k1"]],
  ["matmul", ["matmul m16 k128", "matmul m64 k1024"]],
  ["elementwise", ["add n250000", "relu n1000000"]],
  ["pool", ["maxpool c256 h14", "maxpool c64 h56"]],
  ["norm", ["batchnorm c256 h14", "batchnorm c64 h56"]],
];

/** Bandwidth standing for "no measurable cost" (GB/s). */
const FREE_GBS = 100;

export interface CutMeasurement {
  family: OpFamily;
  id: string;
  bytes: number;
  /** ms a cut adds between two copies of the op, run call and link time excluded (may be <= 0: noise). */
  extraMs: number;
}

export interface CutCosts {
  costs: { default: CutCostSpec } & Partial<Record<OpFamily, CutCostSpec>>;
  measurements: CutMeasurement[];
}

export interface CutTiming {
  /** Intra-op threads of each worker. */
  threads: number;
  /** How long each pair is timed at least, ms (a difference of two small times needs long windows). */
  windowMs: number;
  /** One run call, ms (the profile's runOverheadUs), charged apart. */
  callMs: number;
  /** Link time between the two workers for `bytes`, ms, charged apart. */
  linkMs: (bytes: number) => number;
}

/** The chain `model` with its first half of scheduled nodes on `first` and the rest on `second`. */
function placed(model: Model, first: string, second: string): Model {
  const nodes = topologicalOrder(model.graph).filter((n) => n.opType !== "Constant");
  nodes.forEach((n, i) => n.metadata.set(PROCESSOR_KEY, i < nodes.length / 2 ? first : second));
  return model;
}

export async function measureCutCosts(t: CutTiming, onStep?: (label: string) => void): Promise<CutCosts> {
  const grid = new Map(profileGrid(false).map((c) => [c.id, c]));
  const measurements: CutMeasurement[] = [];
  const costs: CutCosts["costs"] = { default: { latencyUs: 0, bandwidthGBs: FREE_GBS } };
  for (const [family, ids] of CUT_CASES) {
    for (const id of ids) {
      onStep?.(`cut cost: ${id}`);
      const c = grid.get(id)!;
      const one = placed(c.build(2), "cpu0", "cpu0");
      const two = placed(c.build(2), "cpu0", "cpu1");
      const feeds = randomFeeds(one);
      const runtimes = [await Runtime.load(one, { processorMap: ["cpu0=cpu"], threads: t.threads })];
      try {
        runtimes.push(await Runtime.load(two, { processorMap: ["cpu0=cpu", "cpu1=cpu"], threads: t.threads }));
        const [tOne, tTwo] = (await timeInTurn(runtimes.map((r) => () => r.run(feeds)), { warmup: 3, minRuns: 15, maxRuns: 400, minMs: t.windowMs })).map(lowPercentile) as [number, number];
        measurements.push({ family, id, bytes: c.bytesWritten, extraMs: round3(tTwo - tOne - t.callMs - t.linkMs(c.bytesWritten)) });
      } finally {
        await Promise.all(runtimes.map((r) => r.close()));
      }
    }
    costs[family] = sideCost(measurements.filter((m) => m.family === family));
  }
  return { costs, measurements };
}

/**
 * One side of a cut (half the measured extra) as a fixed part and a per-byte part, through the two
 * sizes; a negative part (noise) is dropped and the other refitted alone.
 */
function sideCost(own: readonly CutMeasurement[]): CutCostSpec {
  const points = own.map((m) => ({ bytes: m.bytes, ms: Math.max(0, m.extraMs / 2) })).sort((a, b) => a.bytes - b.bytes);
  const [small, large] = [points[0]!, points[points.length - 1]!];
  let perByte = large.bytes > small.bytes ? (large.ms - small.ms) / (large.bytes - small.bytes) : 0;
  let fixed = small.ms - perByte * small.bytes;
  if (perByte <= 0) { perByte = 0; fixed = points.reduce((a, p) => a + p.ms, 0) / points.length; }
  else if (fixed < 0) { fixed = 0; perByte = points.reduce((a, p) => a + p.ms * p.bytes, 0) / points.reduce((a, p) => a + p.bytes * p.bytes, 0); }
  return { latencyUs: round3(fixed * 1000), bandwidthGBs: perByte > 0 ? round3(Math.min(FREE_GBS, 1 / (perByte * 1e6))) : FREE_GBS };
}
