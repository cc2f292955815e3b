// What a cut between partitions costs per op family, beyond the run call: two copies of an op in
// one session against one copy in each of two sessions run in sequence. 2 x t(one) - t(two) is
// one run call plus everything the boundary adds: onnxruntime's layout reorders around it
// (NCHWc <-> NCHW for convolutions), the fusions it prevents and the tensor's hand-off. Less the
// run call (charged on its own), that is an F|F cut; half of it is charged per side of a cut
// (src/sim/plan-charges.ts). Two tensor sizes per family give a bandwidth (GB/s, fitted through
// the origin: a fixed part is the run call's).
import type { OpFamily } from "../devices/op-family.ts";
import type { CutCostSpec } from "../devices/profile.ts";
import { round3 } from "./fit.ts";
import { profileGrid } from "./grid.ts";
import { timeModels, type TimingOptions } from "./measure.ts";

/** Grid cases (src/profiler/grid.ts ids) that stand for a family at a cut, two tensor sizes each. */
const CUT_CASES: [OpFamily, string[]][] = [
  ["conv", ["conv c64 h56 k1", "conv c128 h28 k1"]],
  ["matmul", ["matmul m16 k128", "matmul m16 k512"]],
  ["elementwise", ["relu n1000000", "add n250000"]],
  ["pool", ["maxpool c64 h56", "maxpool c256 h14"]],
  ["norm", ["batchnorm c64 h56", "batchnorm c256 h14"]],
];

/** Bandwidth standing for "no measurable cost" (GB/s). */
const FREE_GBS = 100;

export interface CutMeasurement {
  family: OpFamily;
  id: string;
  bytes: number;
  /** ms a cut adds between two copies of the op, run call excluded (may be <= 0: noise). */
  extraMs: number;
}

export interface CutCosts {
  costs: { default: CutCostSpec } & Partial<Record<OpFamily, CutCostSpec>>;
  measurements: CutMeasurement[];
}

/** `windowMs`: how long each pair is timed at least (a difference of two small times needs long windows). */
export async function measureCutCosts(t: TimingOptions, runOverheadUs: number, onStep?: (label: string) => void, windowMs = 150): Promise<CutCosts> {
  const grid = new Map(profileGrid(false).map((c) => [c.id, c]));
  const measurements: CutMeasurement[] = [];
  const costs: CutCosts["costs"] = { default: { latencyUs: 0, bandwidthGBs: FREE_GBS } };
  for (const [family, ids] of CUT_CASES) {
    for (const id of ids) {
      onStep?.(`cut cost: ${id}`);
      const c = grid.get(id)!;
      const [one, two] = await timeModels([{ model: c.build(1) }, { model: c.build(2) }], { ...t, minMs: Math.max(t.minMs, windowMs) }) as [number, number];
      measurements.push({ family, id, bytes: c.bytesWritten, extraMs: round3(2 * one - two - runOverheadUs / 1000) });
    }
    const own = measurements.filter((m) => m.family === family);
    // Least squares through the origin of extra ms on bytes; a side of a cut is half of it.
    const perByte = own.reduce((a, m) => a + m.extraMs * m.bytes, 0) / own.reduce((a, m) => a + m.bytes * m.bytes, 0);
    costs[family] = { latencyUs: 0, bandwidthGBs: perByte > 0 ? round3(Math.min(FREE_GBS, 2 / (perByte * 1e6))) : FREE_GBS };
  }
  return { costs, measurements };
}
