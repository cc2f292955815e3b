// What the predictor reads: one feature vector per free node (the nodes the thresholds decide),
// in topological order, resampled to a fixed number of steps, and one context vector: the device
// profile's figures and a few whole-model figures. Everything is a log or a fraction, so values
// stay within a few units whatever the model's size.
import { NodeKey, numberAnnotation } from "../../ir/annotation-keys.ts";
import { OP_FAMILIES, opFamily } from "../devices/op-family.ts";
import { linkBetween, processorsOfKind, type DeviceProfile } from "../devices/profile.ts";
import { Role, type PlacementProblem } from "../planner/problem.ts";

export const NODE_FEATURES = [
  ...OP_FAMILIES.map((f) => `family:${f}`),
  "log flops", "log bytes", "weight sparsity", "activation sparsity", "sparsity", "log flop/byte",
  "log cpu ms", "log gpu ms", "log cpu/gpu", "fan-in", "fan-out", "sparsity rank", "intensity rank",
] as const;

export const DEVICE_FEATURES = [
  "cpu log GFLOP/s", "gpu log GFLOP/s", "cpu log GB/s", "gpu log GB/s", "cpu log dispatch us", "gpu log dispatch us",
  "link log GB/s", "link log latency us", "link unified", "link copy engine", "link zero-copy", "log call overhead us",
] as const;

export const MODEL_FEATURES = ["log free nodes", "free share", "log cpu-only ms", "log gpu-only ms", "sparse share", "distinct sparsity share"] as const;

export const CONTEXT_FEATURES = [...DEVICE_FEATURES, ...MODEL_FEATURES] as const;

/** A (model, device) as the predictor sees it. */
export interface PredictorInput {
  /** steps x NODE_FEATURES.length, row-major. */
  sequence: Float32Array;
  steps: number;
  /** CONTEXT_FEATURES.length. */
  context: Float32Array;
}

const log10 = (x: number) => Math.log10(Math.max(x, 1e-12));

/** Ranks as fractions: the share of `values` strictly below each value (what a quantile threshold compares with). */
function ranks(values: Float64Array, free: readonly number[]): Map<number, number> {
  const sorted = free.map((i) => values[i]!).sort((a, b) => a - b);
  const out = new Map<number, number>();
  for (const i of free) {
    let lo = 0, hi = sorted.length;
    while (lo < hi) { const m = (lo + hi) >> 1; if (sorted[m]! < values[i]!) lo = m + 1; else hi = m; }
    out.set(i, sorted.length ? lo / sorted.length : 0);
  }
  return out;
}

export function freeNodes(problem: PlacementProblem): number[] {
  const out: number[] = [];
  problem.role.forEach((r, i) => { if (r === Role.Free) out.push(i); });
  return out;
}

/** Per free node features (rows in topological order). */
export function nodeFeatureRows(problem: PlacementProblem): Float32Array[] {
  const { sim, cpu, gpu } = problem;
  const free = freeNodes(problem);
  const sRank = ranks(problem.sparsity, free);
  const iRank = ranks(problem.intensity, free);
  const families = OP_FAMILIES as readonly string[];
  return free.map((i) => {
    const node = sim.nodes[i]!;
    const row = new Float32Array(NODE_FEATURES.length);
    row[families.indexOf(opFamily(node.opType))] = 1;
    let k = families.length;
    const flops = numberAnnotation(node, NodeKey.flops) ?? 0;
    const bytes = (numberAnnotation(node, NodeKey.bytesRead) ?? 0) + (numberAnnotation(node, NodeKey.bytesWeights) ?? 0) + (numberAnnotation(node, NodeKey.bytesWritten) ?? 0);
    const cpuMs = sim.duration[cpu]![i]!;
    const gpuMs = gpu >= 0 ? sim.duration[gpu]![i]! : cpuMs;
    row[k++] = Math.log10(1 + flops) / 10;
    row[k++] = Math.log10(1 + bytes) / 8;
    row[k++] = numberAnnotation(node, NodeKey.weightSparsity) ?? 0;
    row[k++] = numberAnnotation(node, NodeKey.inputNearZero) ?? numberAnnotation(node, NodeKey.inputSparsity) ?? 0;
    row[k++] = problem.sparsity[i]!;
    row[k++] = Math.log10(1 + (numberAnnotation(node, NodeKey.intensity) ?? 0)) / 3;
    row[k++] = (log10(cpuMs + 1e-4) + 2) / 2;
    row[k++] = (log10(gpuMs + 1e-4) + 2) / 2;
    row[k++] = log10((cpuMs + 1e-4) / (gpuMs + 1e-4));
    row[k++] = sim.inputsOf[i]!.length / 4;
    row[k++] = sim.outputsOf[i]!.reduce((n, v) => n + sim.values[v]!.consumers.length, 0) / 4;
    row[k++] = sRank.get(i)!;
    row[k++] = iRank.get(i)!;
    return row;
  });
}

/** The device profile's figures (first CPU and first GPU; the link between them). */
export function deviceFeatures(profile: DeviceProfile): Float32Array {
  const cpuName = processorsOfKind(profile, "cpu")[0] ?? profile.host;
  const gpuName = processorsOfKind(profile, "gpu")[0];
  const cpu = profile.processors[cpuName]!;
  const gpu = gpuName ? profile.processors[gpuName]! : cpu;
  const link = gpuName ? linkBetween(profile, cpuName, gpuName) : undefined;
  const peak = (p: typeof cpu) => p.peakGflops.f32 ?? Math.max(...Object.values(p.peakGflops));
  return Float32Array.from([
    log10(peak(cpu)), log10(peak(gpu)), log10(cpu.memoryBandwidthGBs), log10(gpu.memoryBandwidthGBs),
    log10(cpu.dispatchUs + 0.1), log10(gpu.dispatchUs + 0.1),
    log10(link?.bandwidthGBs ?? 1e3), log10((link?.latencyUs ?? 0) + 0.1),
    link?.memory === "unified" ? 1 : 0, link?.copyEngine ? 1 : 0, link?.zeroCopy ? 1 : 0,
    log10(profile.runOverheadUs + 0.1),
  ]);
}

function modelFeatures(problem: PlacementProblem, free: readonly number[]): number[] {
  const { sim, cpu, gpu } = problem;
  let cpuMs = 0, gpuMs = 0, sparse = 0;
  for (const i of free) {
    cpuMs += sim.duration[cpu]![i]!;
    gpuMs += (gpu >= 0 ? sim.duration[gpu]! : sim.duration[cpu]!)[i]!;
    if (problem.sparsity[i]! > 0.05) sparse++;
  }
  const n = Math.max(1, free.length);
  const distinct = new Set(free.map((i) => problem.sparsity[i]!)).size;
  return [log10(n) / 3, free.length / Math.max(1, sim.nodes.length), log10(cpuMs + 1e-3), log10(gpuMs + 1e-3), sparse / n, distinct / n];
}

/**
 * Resample rows to `steps`: mean of consecutive chunks when there are more rows (a 1,400-node
 * model's long stretches of similar blocks average well), repeated rows when there are fewer.
 */
export function resample(rows: readonly Float32Array[], steps: number, width: number): Float32Array {
  const out = new Float32Array(steps * width);
  const n = rows.length;
  if (n === 0) return out;
  for (let s = 0; s < steps; s++) {
    const target = out.subarray(s * width, (s + 1) * width);
    if (n <= steps) { target.set(rows[Math.floor((s * n) / steps)]!); continue; }
    const a = Math.floor((s * n) / steps), b = Math.floor(((s + 1) * n) / steps);
    for (let r = a; r < b; r++) for (let f = 0; f < width; f++) target[f]! += rows[r]![f]!;
    for (let f = 0; f < width; f++) target[f] = target[f]! / (b - a);
  }
  return out;
}

export function predictorInput(problem: PlacementProblem, steps: number): PredictorInput {
  const rows = nodeFeatureRows(problem);
  const free = freeNodes(problem);
  const context = Float32Array.from([...deviceFeatures(problem.profile), ...modelFeatures(problem, free)]);
  return { sequence: resample(rows, steps, NODE_FEATURES.length), steps, context };
}
