// Per-op truth: the latency model against onnxruntime's own per-node profile (enableProfiling) of
// a whole model, node by node and per op family. onnxruntime renames what it rewrites: a kernel
// named after a node is that node; one named after a value (`<value>_nchwc` for the NCHWc
// convolutions, pools and activations) is that value's producer; a fused chain (Conv -> Relu)
// is timed as one kernel and charged to its fusion root, as the simulator charges it. Kernels
// that match no node (ReorderInput/ReorderOutput layout conversions, rewrites we do not model)
// are reported apart. The matched nodes are also samples for fitting the efficiency curves
// (src/profiler/fit.ts), so a profile can be calibrated on real models' kernels.
import type { Model } from "../../ir/model.ts";
import type { Node } from "../../ir/node.ts";
import { NodeKey, numberAnnotation } from "../../ir/annotation-keys.ts";
import { kernelClass, nodeLatency, SKIP_LAYER_NORM } from "../devices/latency.ts";
import { opFamily, type OpFamily } from "../devices/op-family.ts";
import type { DeviceProfile } from "../devices/profile.ts";
import { compileSim } from "../sim/sim-graph.ts";
import { durationsOf, fusedNodes } from "../sim/simulator.ts";
import type { Sample } from "./fit.ts";
import { lowPercentile, profiledKernels, randomFeeds, type TimingOptions } from "./measure.ts";

export interface NodeTruth {
  node: Node;
  family: OpFamily;
  /** The simulator's time for the node and everything fused into it on `processor`. */
  predictedMs: number;
  /** onnxruntime's kernels charged to it: 10th percentile per kernel over runs, less the profiler's overhead. */
  measuredMs: number;
}

export interface FamilyTruth { family: OpFamily | "unmatched"; nodes: number; predictedMs: number; measuredMs: number }

export interface PerOpTruth {
  nodes: NodeTruth[];
  families: FamilyTruth[];
  /** onnxruntime kernels that match no node of the model, by op (layout reorders mostly), ms per run. */
  unmatched: Record<string, number>;
  /** Predicted ms of nodes no kernel was charged to (onnxruntime removed or folded them). */
  predictedUnmatchedMs: number;
  /** The per-kernel dispatch included in the predicted times (outside onnxruntime's kernel times). */
  predictedDispatchMs: number;
}

/**
 * Profiles `model` (analysed: shapes and cost annotations) in onnxruntime with the profile's
 * thread count and compares every kernel with the latency model of `processor`.
 */
export async function perOpTruth(model: Model, source: Model | string, profile: DeviceProfile, processor: string, t: TimingOptions, profilerOverheadMs: number): Promise<PerOpTruth> {
  const sim = compileSim(model, profile);
  const p = sim.processors.indexOf(processor);
  const assign = new Int32Array(sim.nodes.length).fill(p);
  const fused = fusedNodes(sim, assign);
  const durations = durationsOf(sim, assign, fused);
  const root = (i: number): number => { let k = i; while (fused[k]) k = sim.fuseParent[p]![k]!; return k; };

  const byName = new Map<string, number>();
  const byValue = new Map<string, number>();
  sim.nodes.forEach((n, i) => {
    if (n.name) byName.set(n.name, i);
    for (const v of n.outputs) byValue.set(v.name, i);
  });
  // SkipLayerNormalization kernels carry made-up names ("SkipLayerNormalization_token_138"): they
  // are the skip sums of the model in execution order, which in a residual stream is the only order.
  const skipSums = sim.nodes.flatMap((n, i) => (kernelClass(n) === SKIP_LAYER_NORM && root(i) === i ? [i] : []));
  let skipSeen = 0;
  const match = (kernel: string, op: string): number | undefined => {
    const direct = byName.get(kernel) ?? byValue.get(kernel);
    if (direct !== undefined) return direct;
    if (op === SKIP_LAYER_NORM) return skipSums[skipSeen++];
    // onnxruntime names a fused kernel after its root and the fusion ("<node>/MatMulAddFusion").
    const fusion = kernel.replace(/\/[A-Za-z]+Fusion\/?$/, "");
    if (fusion !== kernel) return byName.get(fusion);
    // `<value>_nchwc`, and `<value>_bn_nchwc` / `<value>_mul_nchwc` where the NCHWc pass turned a
    // BatchNormalization or a channel Mul/Add into a convolution.
    const stripped = kernel.replace(/_nchwc$/, "");
    const base = stripped.replace(/_[a-z]+$/, "");
    return byValue.get(stripped) ?? byName.get(stripped) ?? byValue.get(base) ?? byName.get(base);
  };

  const kernels = await profiledKernels(source, randomFeeds(model), t);
  const samples = new Map<string, { ms: number[]; op: string }>();
  for (const k of kernels) {
    const s = samples.get(k.node) ?? { ms: [], op: k.op };
    s.ms.push(k.ms);
    samples.set(k.node, s);
  }
  const measured = new Float64Array(sim.nodes.length);
  const charged = new Uint8Array(sim.nodes.length);
  const unmatched: Record<string, number> = {};
  for (const [name, s] of samples) {
    const ms = Math.max(0, lowPercentile(s.ms) - profilerOverheadMs);
    const i = match(name, s.op);
    if (i === undefined) { unmatched[s.op] = (unmatched[s.op] ?? 0) + ms; continue; }
    const r = root(i);
    measured[r] += ms;
    charged[r] = 1;
  }
  const nodes: NodeTruth[] = [];
  let predictedUnmatchedMs = 0;
  let predictedDispatchMs = 0;
  sim.nodes.forEach((node, i) => {
    if (fused[i]) return;
    if (durations[i]! > 0) predictedDispatchMs += nodeLatency(node, processor, profile).dispatchMs;
    if (!charged[i]) { predictedUnmatchedMs += durations[i]!; return; }
    // The chain's predicted time: the root's, its fused members cost 0.
    nodes.push({ node, family: opFamily(node.opType), predictedMs: durations[i]!, measuredMs: measured[i]! });
  });
  const families = new Map<string, FamilyTruth>();
  for (const n of nodes) {
    const f = families.get(n.family) ?? { family: n.family, nodes: 0, predictedMs: 0, measuredMs: 0 };
    f.nodes++;
    f.predictedMs += n.predictedMs;
    f.measuredMs += n.measuredMs;
    families.set(n.family, f);
  }
  const unmatchedMs = Object.values(unmatched).reduce((a, b) => a + b, 0);
  if (unmatchedMs > 0 || predictedUnmatchedMs > 0) families.set("unmatched", { family: "unmatched", nodes: 0, predictedMs: predictedUnmatchedMs, measuredMs: unmatchedMs });
  return { nodes, families: [...families.values()], unmatched, predictedUnmatchedMs, predictedDispatchMs };
}

/**
 * Elementwise ops that compute a transcendental per element (GELU's erf, exp, ...): several times
 * slower per byte than Add or Relu, they get their own factors rather than dragging the family's.
 */
const TRANSCENDENTAL = new Set(["Gelu", "FastGelu", "Erf", "Exp", "Log", "Tanh", "Softplus", "Mish", "Pow", "Sqrt", "Sin", "Cos"]);

/**
 * Ops fitted apart from their family: LRN (a pow per element); Transpose, a strided copy several
 * times slower per byte than Concat's contiguous one (the rest of the data family); and
 * LayerNormalization, two passes over small rows, against BatchNormalization's one scale and shift
 * (measured on this machine: one shared fit priced DenseNet's BatchNorms 4x and its Concats 5x slow).
 */
const OWN_OPS = new Set(["LRN", "Transpose", "LayerNormalization"]);

/**
 * Fit samples from matched nodes: each node's own FLOPs and bytes (cost pass) and its measured
 * kernel time. A fused chain counts as its root (its members cost nothing in the model either);
 * nodes without a cost count and view ops (no kernel of their own) are left out.
 */
export function truthSamples(truth: PerOpTruth): Sample[] {
  const out: Sample[] = [];
  for (const t of truth.nodes) {
    const n = t.node;
    const flops = numberAnnotation(n, NodeKey.flops);
    if (flops === undefined || t.family === "view" || t.measuredMs <= 0) continue;
    const bytes = (numberAnnotation(n, NodeKey.bytesRead) ?? 0) + (numberAnnotation(n, NodeKey.bytesWeights) ?? 0) + (numberAnnotation(n, NodeKey.bytesWritten) ?? 0);
    const kernel = kernelClass(n);
    const ownOp = kernel.startsWith("Conv:") || kernel === SKIP_LAYER_NORM || OWN_OPS.has(n.opType) || TRANSCENDENTAL.has(n.opType) ? kernel : undefined;
    out.push({ family: t.family, flops, bytes, ms: t.measuredMs, ownOp, fromModel: true });
  }
  return out;
}
