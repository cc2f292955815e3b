// The annotation keys passes write on nodes (node.annotations) and values (value.annotations),
// in one place so producers and consumers agree. Units are in the names.
import type { Node } from "./node.ts";
import type { Value } from "./value.ts";

export const NodeKey = {
  // cost pass
  flops: "flops",                   // floating-point operations, a multiply-add counts 2
  macs: "macs",                     // multiply-accumulates
  bytesRead: "bytes_read",          // activation bytes read (non-constant inputs)
  bytesWeights: "bytes_weights",    // constant-input bytes read (initializers, Constant outputs)
  bytesWritten: "bytes_written",    // output bytes
  intensity: "intensity",           // flops / (bytes_read + bytes_weights + bytes_written)
  params: "params",                 // elements in constant inputs
  costUnknown: "cost_unknown",      // true when the op has no cost formula (cost fields absent)
  // weight sparsity pass
  weightSparsity: "weight_sparsity",               // zero fraction over constant inputs, 0..1
  weightChannelSparsity: "weight_channel_sparsity", // fraction of all-zero output channels
  weightBlockSparsity: "weight_block_sparsity",     // fraction of all-zero 1x4 blocks
  // activation sparsity pass
  inputSparsity: "act_sparsity_in",   // zero fraction of non-constant inputs (element-weighted mean)
  outputSparsity: "act_sparsity_out", // zero fraction of outputs
  inputNearZero: "act_near_zero_in",   // fraction of |x| < eps in non-constant inputs (only with eps=)
  outputNearZero: "act_near_zero_out", // fraction of |x| < eps in outputs (only with eps=)
  // combined sparsity used by placement
  sparsity: "sparsity",
  // placement / partitioning
  processor: "processor",           // the processor it runs on, e.g. "cpu" | "gpu" (written `sparoa.processor`; packages before v2: `sparoa.device`)
  partition: "partition",           // partition index
  quadrant: "quadrant",             // "dense-heavy" | "dense-light" | "sparse-heavy" | "sparse-light"
  timeCpuMs: "time_cpu_ms",
  timeGpuMs: "time_gpu_ms",
  pinned: "pinned",
  placementReason: "placement_reason", // one line: why the node is on its processor
  transferMs: "transfer_ms",           // ms its inputs take to reach its processor
  // shape-inference pass
  shapeError: "shape_error",        // a shape rule found the node's inputs inconsistent (the message)
} as const;

export const ValueKey = {
  shapeSource: "shape_source",      // "static" | "observed" (from a calibration run)
  zeroFraction: "zero_fraction",    // activation sparsity of this value
  nearZeroFraction: "near_zero_fraction", // fraction of |x| < eps (only with eps=)
} as const;

export function numberAnnotation(node: Node | Value, key: string): number | undefined {
  const v = node.hasAnnotations ? node.annotations.get(key) : undefined;
  return typeof v === "number" ? v : undefined;
}

export function stringAnnotation(node: Node | Value, key: string): string | undefined {
  const v = node.hasAnnotations ? node.annotations.get(key) : undefined;
  return typeof v === "string" ? v : undefined;
}
