// Randomly perturbed device profiles, so the predictor sees hardware as an input and not a
// constant: one of the bundled spec-sheet profiles with its CPU and GPU compute, memory
// bandwidths, kernel dispatch, link bandwidth and latency and the per-call overhead each scaled
// by a log-uniform factor. The ranges (compute and dispatch 0.5-2x, bandwidth 0.6-1.6x, links
// 0.5-2x) cover clock and power modes (Orin Nano 7 W vs 25 W is ~2x on the GPU), other boards
// of the same families and runtime differences; beyond them the predictor warns (predict.ts).
import { loadProfile, processorsOfKind, type DeviceProfile } from "../devices/profile.ts";

export const BUNDLED_TRAINING_PROFILES = ["orin-nano", "agx-orin", "h100-pcie"] as const;

export const PERTURBATION_RANGES = {
  cpuCompute: [0.5, 2], gpuCompute: [0.5, 2], bandwidth: [0.6, 1.6], dispatch: [0.5, 2], linkBandwidth: [0.5, 2], linkLatency: [0.5, 2], callOverhead: [0.5, 2],
} as const;

const logUniform = (rand: () => number, [lo, hi]: readonly [number, number]) => Math.exp(Math.log(lo) + rand() * (Math.log(hi) - Math.log(lo)));

/** A perturbed copy of `base` (never modifies it), named `<base>~<tag>`. */
export function perturbProfile(base: DeviceProfile, rand: () => number, tag: string): DeviceProfile {
  const p = structuredClone(base);
  p.name = `${base.name}~${tag}`;
  p.measuredTable = undefined;
  const r = PERTURBATION_RANGES;
  const cpu = new Set(processorsOfKind(p, "cpu"));
  const gpu = new Set(processorsOfKind(p, "gpu"));
  const compute = { cpu: logUniform(rand, r.cpuCompute), gpu: logUniform(rand, r.gpuCompute) };
  for (const [name, spec] of Object.entries(p.processors)) {
    const scale = cpu.has(name) ? compute.cpu : gpu.has(name) ? compute.gpu : 1;
    for (const k of Object.keys(spec.peakGflops)) spec.peakGflops[k] = spec.peakGflops[k]! * scale;
    spec.memoryBandwidthGBs *= logUniform(rand, r.bandwidth);
    spec.dispatchUs *= logUniform(rand, r.dispatch);
  }
  for (const link of p.links) {
    link.bandwidthGBs *= logUniform(rand, r.linkBandwidth);
    link.latencyUs *= logUniform(rand, r.linkLatency);
  }
  p.runOverheadUs *= logUniform(rand, r.callOverhead);
  return p;
}

export function bundledTrainingProfiles(): DeviceProfile[] {
  return BUNDLED_TRAINING_PROFILES.map((n) => loadProfile(n));
}
