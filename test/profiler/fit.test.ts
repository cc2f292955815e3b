// The profile fit (src/profiler/fit.ts) on samples drawn from a known latency model: what it must
// recover, whatever noise of the kind a shared machine adds.
import { expect } from "chai";
import { rooflineMs } from "../../src/devices/latency.ts";
import type { Efficiency, ProcessorSpec } from "../../src/devices/profile.ts";
import { fitProcessor, type Sample } from "../../src/profiler/fit.ts";
import { seededRandom } from "../../ir/random.ts";

const PEAK = 180;
const BANDWIDTH = 80;
const DISPATCH_US = 0.5;

/** A processor whose convolutions reach 90% of peak when large and a third of it when small. */
const truth: Efficiency = { compute: 0.9, memory: 0.2, computeHalfMflop: 10, computeSmallShare: 0.35 };
const spec = (e: Efficiency): ProcessorSpec => ({ kind: "cpu", executionProvider: "cpu", peakGflops: { f32: PEAK }, memoryBandwidthGBs: BANDWIDTH, dispatchUs: DISPATCH_US, efficiency: { default: e }, powerW: { busy: 0, idle: 0 } });
const ms = (e: Efficiency, flops: number, bytes: number) => { const r = rooflineMs(spec(e), "conv", flops, bytes); return DISPATCH_US / 1000 + Math.max(r.computeMs, r.memoryMs); };

/** `noise`: relative scatter of kernels under 50 MFLOP (real models' mid-size kernels scatter most); large ones get a tenth of it. */
function samples(seed: number, noise: number, lowIntensity = 50): Sample[] {
  const rand = seededRandom(seed);
  const out: Sample[] = [];
  // Convolutions from 0.5 to 400 MFLOP (compute-bound, 50 FLOP per byte); memory-bound elementwise kernels pin the bandwidth.
  for (let k = 0; k < 40; k++) {
    const flops = 0.5e6 * 800 ** (k / 39);
    const scatter = flops >= 50e6 ? noise / 10 : noise;
    const bytes = flops / (k % 2 ? 50 : lowIntensity);
    out.push({ family: "conv", flops, bytes, ms: ms(truth, flops, bytes) * (1 + scatter * (rand() * 2 - 1)) });
  }
  for (const n of [1e6, 4e6, 16e6]) out.push({ family: "elementwise", flops: n / 4, bytes: n * 3, ms: (n * 3) / (BANDWIDTH * 1e9 * 0.4) * 1000 * (1 + noise * (rand() * 2 - 1)) });
  return out;
}

describe("profile fit", () => {
  it("recovers the large-kernel rate and the small-kernel curve of a known processor", () => {
    const fit = fitProcessor(samples(1, 0), DISPATCH_US);
    const e = fit.efficiency.conv!;
    const rate = (x: Efficiency, mflop: number) => (mflop * 1e6) / (ms(x, mflop * 1e6, (mflop * 1e6) / 50) - DISPATCH_US / 1000) / 1e6;
    // peak = the best rate measured; efficiencies are relative to it, so compare rates.
    const fitted = { ...e };
    const scaled = (mflop: number) => rate({ ...fitted, compute: fitted.compute * (fit.peakGflops / PEAK) }, mflop);
    for (const mflop of [1, 10, 100, 400]) expect(scaled(mflop) / rate(truth, mflop), `${mflop} MFLOP`).to.be.within(0.93, 1.07);
  });

  it("leaves a memory side no kernel decides unbinding, whatever the noise", () => {
    // The convolutions are all compute-bound (15 and 50 FLOP per byte): they say nothing of their
    // bandwidth, so the fit may not price a 4 FLOP-per-byte convolution memory-bound from noise
    // (it did: memory 0.34 of a 32 GB/s bandwidth, the first grid point that fitted the noise).
    for (const seed of [2, 3, 4, 5]) {
      const fit = fitProcessor(samples(seed, 0.1, 15), DISPATCH_US);
      const e = fit.efficiency.conv!;
      const r = rooflineMs({ ...spec(e), peakGflops: { f32: fit.peakGflops }, memoryBandwidthGBs: fit.memoryBandwidthGBs }, "conv", 4e6, 1e6);
      expect(r.memoryMs, `seed ${seed}: memory ${e.memory}`).to.be.below(r.computeMs);
    }
  });

  it("anchors on the grid's large kernels, not on a whole model's timed in a slow phase", () => {
    const grid = samples(6, 0.05);
    // Twenty 76 MFLOP convolutions of calibration models, timed once while the machine ran 40% slow.
    const slow: Sample[] = Array.from({ length: 20 }, () => ({ family: "conv", flops: 76e6, bytes: 76e6 / 40, ms: ms(truth, 76e6, 76e6 / 40) / 0.6, fromModel: true }));
    const e = fitProcessor([...grid, ...slow], DISPATCH_US).efficiency.conv!;
    const anchoredOnGrid = fitProcessor(grid, DISPATCH_US).efficiency.conv!;
    expect(e.compute / anchoredOnGrid.compute).to.be.within(0.97, 1.03);
  });

  it("anchors the large-kernel rate on the large kernels, however the small ones scatter", () => {
    // Mid-size kernels scatter +-40% (kernel classes onnxruntime picks differently), large ones +-4%.
    for (const seed of [2, 3, 4, 5]) {
      const fit = fitProcessor(samples(seed, 0.4), DISPATCH_US);
      const e = fit.efficiency.conv!;
      const at = (mflop: number) => fit.peakGflops * e.compute * ((mflop + (e.computeSmallShare ?? 0) * (e.computeHalfMflop ?? 0)) / (mflop + (e.computeHalfMflop ?? 0)));
      const want = (mflop: number) => PEAK * truth.compute * ((mflop + truth.computeSmallShare! * truth.computeHalfMflop!) / (mflop + truth.computeHalfMflop!));
      expect(at(200) / want(200), `seed ${seed}`).to.be.within(0.96, 1.04);
    }
  });
});
