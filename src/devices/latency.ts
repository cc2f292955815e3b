// The latency model: how long one node takes on one processor, from the cost annotations the
// analysis passes wrote (flops, bytes, sparsity; passes/annotations.ts). A roofline (the larger
// of compute time and memory time) plus the kernel dispatch overhead, with fitted efficiency
// factors per op family and the processor's sparsity effect; a measured table overrides it.
import type { Node } from "../../ir/node.ts";
import { formatShape } from "../../ir/types.ts";
import { dtypeName } from "../../ir/dtype.ts";
import { NodeKey, numberAnnotation } from "../../ir/annotation-keys.ts";
import { opFamily, type OpFamily } from "./op-family.ts";
import type { DeviceProfile, Efficiency, ProcessorSpec, SparsityEffect } from "./profile.ts";
import { ProfileError } from "./profile.ts";
import { isSkipSum } from "./fusion.ts";

export interface LatencyOptions {
  /** Batch multiplier: activations and FLOPs scale with it, weights are read once. Default 1. */
  batch?: number;
  /** The node runs fused into its producer's kernel (see devices/fusion.ts): it costs nothing. */
  fused?: boolean;
  /** Ignore the profile's measured table (for tests and for fitting). */
  ignoreTable?: boolean;
}

/** The parts of a node's predicted time, in milliseconds. */
export interface LatencyBreakdown {
  totalMs: number;
  computeMs: number;
  memoryMs: number;
  dispatchMs: number;
  /** Compute-time divisor from sparsity (1 when the kernels are dense). */
  sparsitySpeedup: number;
  family: OpFamily;
  /** "table" when a measured entry decided the time. */
  source: "model" | "table" | "fused";
}

/** Predicted milliseconds for `node` on `processorName` of `profile`. */
export function nodeLatencyMs(node: Node, processorName: string, profile: DeviceProfile, options: LatencyOptions = {}): number {
  return nodeLatency(node, processorName, profile, options).totalMs;
}

export function nodeLatency(node: Node, processorName: string, profile: DeviceProfile, options: LatencyOptions = {}): LatencyBreakdown {
  const processor = profile.processors[processorName];
  if (!processor) throw new ProfileError(`profile '${profile.name}' has no processor '${processorName}' (processors: ${Object.keys(profile.processors).join(", ")})`);
  const family = opFamily(node.opType);
  if (options.fused) return { totalMs: 0, computeMs: 0, memoryMs: 0, dispatchMs: 0, sparsitySpeedup: 1, family, source: "fused" };
  const batch = options.batch ?? 1;
  if (!options.ignoreTable && profile.measuredTable && batch === 1) {
    const key = opKey(node);
    const hit = profile.measuredTable.find((e) => e.processor === processorName && e.key === key);
    if (hit) return { totalMs: hit.ms, computeMs: 0, memoryMs: 0, dispatchMs: 0, sparsitySpeedup: 1, family, source: "table" };
  }
  const flops = (numberAnnotation(node, NodeKey.flops) ?? 0) * batch;
  const activationBytes = ((numberAnnotation(node, NodeKey.bytesRead) ?? 0) + (numberAnnotation(node, NodeKey.bytesWritten) ?? 0)) * batch;
  const bytes = activationBytes + (numberAnnotation(node, NodeKey.bytesWeights) ?? 0);
  const dtype = outputDtype(node);
  const r = rooflineMs(processor, family, flops, bytes, dtype, kernelClass(node));
  const speedup = sparsitySpeedup(processor.sparsity?.[family], node);
  const computeMs = r.computeMs / speedup;
  const dispatchMs = processor.dispatchUs / 1000;
  return { totalMs: dispatchMs + Math.max(computeMs, r.memoryMs), computeMs, memoryMs: r.memoryMs, dispatchMs, sparsitySpeedup: speedup, family, source: "model" };
}

/** Compute and memory time of a kernel of `flops` and `bytes` (no dispatch, no sparsity). */
export function rooflineMs(processor: ProcessorSpec, family: OpFamily, flops: number, bytes: number, dtype = "f32", opType?: string): { computeMs: number; memoryMs: number } {
  const eff = efficiencyFor(processor, family, opType);
  const peak = (processor.peakGflops[dtype] ?? processor.peakGflops.f32!) * 1e9;
  const mflop = flops / 1e6;
  const half = eff.computeHalfMflop ?? 0;
  const sizeFactor = half > 0 ? (mflop + (eff.computeSmallShare ?? 0) * half) / (mflop + half) : 1;
  const computeMs = flops > 0 ? (flops / (peak * eff.compute * sizeFactor)) * 1000 : 0;
  // View ops (Reshape, Squeeze, ...) alias their input: no bytes actually move.
  const memoryMs = family === "view" ? 0 : (bytes / (processor.memoryBandwidthGBs * 1e9 * eff.memory)) * 1000;
  return { computeMs, memoryMs };
}

/**
 * `kernel` is a kernelClass ("Conv:depthwise", "Conv:grouped") or an op type; a class falls back
 * to the broader class (depthwise to grouped), then to its op type.
 */
export function efficiencyFor(processor: ProcessorSpec, family: OpFamily, kernel?: string): Efficiency {
  const byOp = processor.opEfficiency;
  let own: Efficiency | undefined;
  if (kernel !== undefined && byOp) {
    const [op, cls] = kernel.split(":") as [string, string | undefined];
    own = byOp[kernel] ?? (cls === "depthwise" ? byOp[`${op}:grouped`] : undefined) ?? byOp[op];
  }
  return own ?? processor.efficiency[family] ?? processor.efficiency.default;
}

/**
 * onnxruntime's kernel for a residual sum and the LayerNormalization after it (its fusion of
 * Add+LayerNormalization, see devices/fusion.ts), the class of the Add that roots it: measured on a
 * 2-core EPYC, 3-6x the time of the LayerNormalization alone, so it is fitted on its own.
 */
export const SKIP_LAYER_NORM = "SkipLayerNormalization";

/**
 * The kernel a node runs, where one op type has kernels of very different speed: grouped
 * convolutions ("Conv:grouped") run far below dense ones per FLOP, and depthwise ones (one input
 * channel per group, "Conv:depthwise") are memory-bound kernels of their own.
 */
export function kernelClass(node: Node): string {
  if (isSkipSum(node)) return SKIP_LAYER_NORM;
  if (node.opType === "Conv" || node.opType === "ConvTranspose") {
    const g = node.attributes.get("group");
    if (g?.kind === "int" && g.value > 1n) {
      const w = node.inputs[1]?.type;
      const perGroup = w?.kind === "tensor" && w.shape ? w.shape[node.opType === "Conv" ? 1 : 0] : undefined;
      return `${node.opType}:${node.opType === "Conv" && perGroup === 1 ? "depthwise" : "grouped"}`;
    }
  }
  return node.opType;
}

/** Compute-time speedup from zeros (1 for dense kernels). */
export function sparsitySpeedup(effect: SparsityEffect | undefined, node: Node): number {
  if (!effect) return 1;
  const zeroFraction = zeroFractionFor(effect.source, node);
  return interpolate(effect.points, zeroFraction);
}

function zeroFractionFor(source: SparsityEffect["source"], node: Node): number {
  const w = numberAnnotation(node, NodeKey.weightSparsity) ?? 0;
  const a = numberAnnotation(node, NodeKey.inputSparsity) ?? 0;
  if (source === "weights") return w;
  if (source === "activations") return a;
  // A product is skippable when either factor is zero (independence assumed when no combined figure exists).
  return numberAnnotation(node, NodeKey.sparsity) ?? 1 - (1 - w) * (1 - a);
}

/** Piecewise-linear interpolation, clamped at both ends. */
export function interpolate(points: readonly (readonly [number, number])[], x: number): number {
  if (points.length === 0) return 1;
  if (x <= points[0]![0]) return points[0]![1];
  for (let i = 1; i < points.length; i++) {
    const [x1, y1] = points[i]!;
    if (x <= x1) {
      const [x0, y0] = points[i - 1]!;
      return y0 + ((y1 - y0) * (x - x0)) / (x1 - x0);
    }
  }
  return points[points.length - 1]![1];
}

function outputDtype(node: Node): string {
  const t = node.outputs[0]?.type;
  return t?.kind === "tensor" ? dtypeName(t.elemType) : "f32";
}

/** The measured-table key of a node: `Op(inshape,...)->outshape`, e.g. `Relu(1x64)->1x64`. */
export function opKey(node: Node): string {
  const shape = (v: { type?: { kind: string; shape?: (number | string | null)[] } } | null): string => {
    const t = v?.type;
    if (!t || t.kind !== "tensor" || !t.shape) return "?";
    return formatShape(t.shape).slice(1, -1).replaceAll(",", "x") || "scalar";
  };
  return `${node.opType}(${node.inputs.map((v) => (v ? shape(v) : "")).join(",")})->${node.outputs.map(shape).join(",")}`;
}
