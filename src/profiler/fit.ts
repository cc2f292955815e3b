// Fitting a processor's profile to measurements: the peak FLOP/s and memory bandwidth are the best
// rates any measured kernel reached; each op family then gets the efficiency factors (compute,
// memory, half-efficiency work size) that minimise the squared log error of the latency model
// (devices/latency.ts, the same code that predicts) over that family's measurements.
import { rooflineMs } from "../devices/latency.ts";
import type { OpFamily } from "../devices/op-family.ts";
import type { Efficiency, ProcessorSpec } from "../devices/profile.ts";
import { median } from "./measure.ts";

export interface Sample {
  family: OpFamily;
  flops: number;
  bytes: number;
  ms: number;
  /** Fit this op type on its own (an outlier in its family), into `opEfficiency`. */
  ownOp?: string;
  /** A whole model's kernel, timed once (per-op.ts), not a grid kernel's median over repetitions. */
  fromModel?: boolean;
}

export interface FittedProcessor {
  peakGflops: number;
  memoryBandwidthGBs: number;
  efficiency: { default: Efficiency } & Partial<Record<OpFamily, Efficiency>>;
  opEfficiency: Record<string, Efficiency>;
  /** Median absolute % error of the fitted model on each family's samples. */
  fitErrorPct: Record<string, number>;
}

const logGrid = (lo: number, hi: number, steps: number) => Array.from({ length: steps }, (_, i) => lo * (hi / lo) ** (i / (steps - 1)));
const COMPUTE = logGrid(0.02, 2, 48);
/** Outlier ops can be very slow per FLOP (LRN: a pow per element). */
const COMPUTE_WIDE = logGrid(0.0005, 2, 72);
const MEMORY = logGrid(0.02, 2, 48);
const HALF = [0, ...logGrid(0.01, 50, 16)];
/** computeSmallShare candidates: 0 is the plain curve (a fixed cost per kernel), the rest a rate floor for small kernels. */
const SMALL_SHARE = [0, 0.35, 0.5, 0.65];
const COMPUTE_FAMILIES = new Set<OpFamily>(["conv", "matmul"]);
const MIN_FIT_MS = 0.005;
/** The memory efficiency of a group fitted on its compute side only: high enough never to bind. */
const UNBINDING_MEMORY = 4;
/** Kernels of this many MFLOP or more anchor a compute-bound family's efficiency (see fitGroup). */
const LARGE_MFLOP = 50;

export function fitProcessor(samples: readonly Sample[], dispatchUs: number): FittedProcessor {
  const d = dispatchUs / 1000;
  // Kernels under 5 us are below what the profiler resolves (its own overhead is about that):
  // they are dispatch-bound and say nothing about rates.
  samples = samples.filter((s) => s.ms >= MIN_FIT_MS);
  const net = (s: Sample) => Math.max(1e-6, s.ms - d);
  const computeRates = samples.filter((s) => s.flops >= 10e6 && COMPUTE_FAMILIES.has(s.family)).map((s) => s.flops / net(s) / 1e6);
  const memoryRates = samples.filter((s) => s.bytes >= 1e6 && (s.family === "elementwise" || s.family === "data")).map((s) => s.bytes / net(s) / 1e6);
  // The median of the three best rates, not the best: the best of many noisy kernels jitters
  // between runs (bandwidth 70-92 GB/s in three quiet runs) and every efficiency, relative to
  // it, jitters the other way.
  const peakGflops = round3(Math.max(1, topMedian(computeRates)));
  const memoryBandwidthGBs = round3(Math.max(0.1, topMedian(memoryRates)));
  const spec = (e: Efficiency): ProcessorSpec => ({
    kind: "cpu", executionProvider: "cpu", peakGflops: { f32: peakGflops }, memoryBandwidthGBs, dispatchUs, efficiency: { default: e }, powerW: { busy: 0, idle: 0 },
  });
  const predict = (e: Efficiency, s: Sample) => {
    const r = rooflineMs(spec(e), s.family === "view" ? "view" : "other", s.flops, s.bytes);
    return d + Math.max(r.computeMs, r.memoryMs);
  };

  const efficiency: FittedProcessor["efficiency"] = { default: { compute: 0.5, memory: 0.5 } };
  const opEfficiency: Record<string, Efficiency> = {};
  const fitErrorPct: Record<string, number> = {};
  const fitGroup = (group: Sample[], computeBound: boolean, computeGrid = COMPUTE): { e: Efficiency; errPct: number } => {
    const hasCompute = computeBound && group.some((s) => s.flops > 0);
    // The half-efficiency size may not extrapolate far below the smallest kernel measured.
    const smallest = Math.min(...group.map((s) => s.flops / 1e6));
    const largest = Math.max(...group.map((s) => s.flops / 1e6));
    // A size effect needs kernels of many sizes: with fewer than four, or a span under 10x, the
    // half-efficiency size trades freely against the compute efficiency and fits noise (LRN's
    // two kernels gave 0.03 and 0.7 MFLOP in two repetitions).
    let halves = group.length >= 4 && largest >= 10 * smallest ? HALF.filter((h) => h <= largest / 4) : [0];
    // Anchored on the large kernels (the ones that decide a heavy model's time): when there are
    // three or more compute-bound kernels of LARGE_MFLOP or more, the compute efficiency is not
    // searched but set, for each size curve, so that their median rate is met. Left free, it
    // traded against the size curve and two profiles of one machine landed 40% apart on large
    // convolutions (docs/benchmarks.md, issue 13).
    const largeOf = (xs: Sample[]) => (hasCompute ? xs.filter((s) => s.flops / 1e6 >= LARGE_MFLOP && s.flops / Math.max(1, s.bytes) >= 20) : []);
    // The grid's large kernels anchor when there are three: they are medians over repetitions,
    // while a calibration model is timed once, and one slow phase of the machine during it
    // (resnet-medium's ten 76 MFLOP convolutions) set the 2-thread conv rate 40% low.
    const largeGrid = largeOf(group.filter((s) => !s.fromModel));
    const large = largeGrid.length >= 3 ? largeGrid : largeOf(group);
    // Anchored, the curve's knee stays well below the large kernels (else `compute`, the rate far
    // beyond them, trades against the knee: 0.8 and 2.3 for one machine's MatMuls in two runs).
    if (large.length >= 3) halves = halves.filter((h) => h <= LARGE_MFLOP / 5);
    // Kernels of one arithmetic intensity cannot tell a compute rate from a bandwidth (LayerNorm's
    // kernels gave 0.023 and 0.016 compute with 0.056 and 0.040 memory in two runs): such a
    // compute-bound group gets a compute rate only, its memory side left unbinding.
    const intensities = group.map((s) => s.flops / Math.max(1, s.bytes));
    const oneSide = hasCompute && (group.length < 3 || Math.max(...intensities) < 2 * Math.min(...intensities));
    const anchored = (half: number, share: number): number[] => {
      if (large.length < 3) return computeGrid;
      const need = large.map((s) => { const m = s.flops / 1e6; return s.flops / net(s) / 1e6 / (peakGflops * (half > 0 ? (m + share * half) / (m + half) : 1)); });
      return [Math.min(4, median(need))];
    };
    const error = (e: Efficiency) => group.reduce((err, s) => err + Math.log(predict(e, s) / s.ms) ** 2, 0);
    const candidates: { e: Efficiency; err: number }[] = [];
    for (const computeHalfMflop of hasCompute ? halves : [0]) {
      for (const computeSmallShare of computeHalfMflop > 0 ? SMALL_SHARE : [0]) {
        for (const compute of hasCompute ? anchored(computeHalfMflop, computeSmallShare) : [1]) {
          for (const memory of oneSide ? [UNBINDING_MEMORY] : MEMORY) {
            const e = { compute, memory, computeHalfMflop, computeSmallShare };
            candidates.push({ e, err: error(e) });
          }
        }
      }
    }
    const best = refine(simplest(candidates, group.length), hasCompute && large.length < 3, !oneSide, Math.max(...halves), error);
    const e: Efficiency = { compute: round3(best.e.compute), memory: round3(best.e.memory) };
    if (best.e.computeHalfMflop) e.computeHalfMflop = round3(best.e.computeHalfMflop);
    if (best.e.computeHalfMflop && best.e.computeSmallShare) e.computeSmallShare = round3(best.e.computeSmallShare);
    return { e, errPct: round3(median(group.map((s) => (Math.abs(predict(e, s) - s.ms) / s.ms) * 100))) };
  };
  const families = [...new Set(samples.filter((s) => !s.ownOp).map((s) => s.family))];
  for (const family of families) {
    // Only Conv and MatMul kernels are compute-bound on a CPU; fitting a FLOP rate to the other
    // families would fit noise. Their compute efficiency stays 1 (memory decides).
    const r = fitGroup(samples.filter((s) => s.family === family && !s.ownOp), COMPUTE_FAMILIES.has(family));
    efficiency[family] = r.e;
    fitErrorPct[family] = r.errPct;
  }
  // Outlier operators get their own factors; their compute side is fitted (LRN, say, is slow arithmetic).
  for (const op of new Set(samples.flatMap((s) => (s.ownOp ? [s.ownOp] : [])))) {
    const r = fitGroup(samples.filter((s) => s.ownOp === op), true, COMPUTE_WIDE);
    opEfficiency[op] = r.e;
    fitErrorPct[`op:${op}`] = r.errPct;
  }
  // Families not measured: the compute side of the compute-bound families, the memory side of all.
  const compute = [...COMPUTE_FAMILIES].map((f) => efficiency[f]).filter((e): e is Efficiency => e !== undefined);
  const all = families.map((f) => efficiency[f]!);
  if (all.length > 0) {
    efficiency.default = {
      compute: compute.length ? round3(median(compute.map((e) => e.compute))) : 1,
      memory: round3(median(all.map((e) => e.memory))),
    };
  }
  return { peakGflops, memoryBandwidthGBs, efficiency, opEfficiency, fitErrorPct };
}

/**
 * Where the samples do not decide a figure, the fit must not pick it from their noise: of the
 * candidates within a 2% RMS error of the best, the one whose memory side binds least (a family
 * of compute-bound kernels says nothing about its bandwidth: conv.memory came out 0.14 and 0.24 in
 * two runs and priced a small model's 1x1 convolutions 4x slow), then the smallest size effect.
 */
function simplest(candidates: readonly { e: Efficiency; err: number }[], samples: number): { e: Efficiency; err: number } {
  const bestErr = candidates.reduce((m, c) => Math.min(m, c.err), Infinity);
  const near = candidates.filter((c) => c.err <= bestErr + samples * FLAT_RMS ** 2);
  return near.reduce((a, b) => {
    if (b.e.memory !== a.e.memory) return b.e.memory > a.e.memory ? b : a;
    if ((b.e.computeHalfMflop ?? 0) !== (a.e.computeHalfMflop ?? 0)) return (b.e.computeHalfMflop ?? 0) < (a.e.computeHalfMflop ?? 0) ? b : a;
    return b.err < a.err ? b : a;
  });
}

/** The RMS log error within which two fits count as equally good. */
const FLAT_RMS = 0.02;

/**
 * Local refinement of the grid's best point: the grid steps are 10% apart, so two measurements
 * a few percent apart would otherwise land a whole step apart. Three rounds over the neighbouring
 * multiplicative factors, each a quarter as wide as the last (down to a fraction of a percent).
 */
function refine(start: { e: Efficiency; err: number }, fitCompute: boolean, fitMemory: boolean, maxHalf: number, error: (e: Efficiency) => number): { e: Efficiency; err: number } {
  let best = start;
  let span = COMPUTE[1]! / COMPUTE[0]!;
  let halfSpan = HALF[2]! / HALF[1]!;
  const factors = (s: number) => Array.from({ length: 9 }, (_, k) => s ** ((k - 4) / 4));
  for (let round = 0; round < 3; round++) {
    const around = best.e;
    for (const fc of fitCompute ? factors(span) : [1]) {
      for (const fh of fitCompute && (around.computeHalfMflop ?? 0) > 0 ? factors(halfSpan) : [1]) {
        for (const fm of fitMemory ? factors(span) : [1]) {
          const e: Efficiency = { compute: Math.min(4, around.compute * fc), memory: Math.min(4, around.memory * fm), computeHalfMflop: Math.min(maxHalf, (around.computeHalfMflop ?? 0) * fh), computeSmallShare: around.computeSmallShare ?? 0 };
          const err = error(e);
          if (err < best.err) best = { e, err };
        }
      }
    }
    span **= 0.25;
    halfSpan **= 0.25;
  }
  return best;
}

/** The median of the three largest values (the largest when fewer); 0 for none. */
function topMedian(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => b - a);
  return s.length === 0 ? 0 : s[Math.min(1, s.length - 1)]!;
}

export function round3(x: number): number {
  return Number(x.toPrecision(3));
}
