// A model's main graph compiled for fast simulation: nodes in topological order, every node's
// time on every processor, the values between them with their sizes, and the fusion links. The
// oracle and local search evaluate thousands of placements against one compiled graph.
import type { Model } from "../../ir/model.ts";
import type { Node } from "../../ir/node.ts";
import type { Value } from "../../ir/value.ts";
import { byteSize } from "../../ir/dtype.ts";
import { staticSize } from "../../ir/types.ts";
import { effectiveInputs, topologicalOrder } from "../../ir/topo.ts";
import { NodeKey, numberAnnotation } from "../../ir/annotation-keys.ts";
import { fusionParent } from "../devices/fusion.ts";
import { nodeLatencyMs } from "../devices/latency.ts";
import { constantNodes, shapeComputingNodes } from "../../ir/node-roles.ts";
import { linkBetween, transferMs, type DeviceProfile } from "../devices/profile.ts";
import { upwardRanks } from "./upward-rank.ts";

/** Overrides the latency model (tests, measured times): ms of `node` on `processor`, unfused. */
export type LatencyFn = (node: Node, processor: string, batch: number) => number;

export interface SimValue {
  value: Value;
  /** Producing node index, -1 for a graph input. */
  producer: number;
  bytes: number;
  /** Consuming node indices (deduplicated). */
  consumers: number[];
  isGraphOutput: boolean;
}

export interface SimGraph {
  profile: DeviceProfile;
  batch: number;
  nodes: Node[];
  index: Map<Node, number>;
  processors: string[];
  host: number;
  /** duration[p][i]: ms of node i on processor p when it is not fused. */
  duration: Float64Array[];
  /** fuseParent[p][i]: node index that i fuses into on p, or -1; fuseNeedsParentFused[p][i] likewise. */
  fuseParent: Int32Array[];
  fuseNeedsParentFused: Uint8Array[];
  values: SimValue[];
  /** Value indices each node reads (deduplicated; constants excluded). */
  inputsOf: number[][];
  /** Value indices of each node's outputs that someone reads or that are model outputs. */
  outputsOf: number[][];
  /** transfer[a][b](bytes): ms from processor a to b. */
  transfer: (a: number, b: number, bytes: number) => number;
  /** copyEngine[a][b]: whether transfers a->b overlap compute. */
  copyEngine: boolean[][];
  /** Nodes that stay on the host: constants (folded at load, free), shape computations, pinned. */
  hostOnly: Uint8Array;
  /** Values whose size was unknown (counted as 0 bytes). */
  unknownSizes: number;
  /**
   * HEFT's upward rank of each node (upward-rank.ts): the simulator's list-scheduling priority,
   * fixed per compiled graph so that it does not depend on the placement being evaluated.
   */
  upwardRank: Float64Array;
}

export interface CompileOptions {
  batch?: number;
  latency?: LatencyFn;
}

export function compileSim(model: Model, profile: DeviceProfile, options: CompileOptions = {}): SimGraph {
  const batch = options.batch ?? 1;
  const nodes = topologicalOrder(model.graph);
  const index = new Map<Node, number>();
  nodes.forEach((n, i) => index.set(n, i));
  const processors = Object.keys(profile.processors);
  const host = processors.indexOf(profile.host);
  const latency: LatencyFn = options.latency ?? ((node, p, b) => nodeLatencyMs(node, p, profile, { batch: b }));

  // Constant nodes (weights computed from stored data) are folded when a session loads: they cost
  // nothing per inference and their outputs are resident like initializers. Shape computations
  // stay on the host, as the placement passes keep them (passes/node-roles.ts).
  const constant = constantNodes(model.graph, nodes);
  const shapeNodes = shapeComputingNodes(model.graph, nodes);
  const duration = processors.map((p) => Float64Array.from(nodes, (n) => (constant.has(n) ? 0 : onTimeGrid(latency(n, p, batch)))));
  const fuseParent = processors.map(() => new Int32Array(nodes.length).fill(-1));
  const fuseNeedsParentFused = processors.map(() => new Uint8Array(nodes.length));
  processors.forEach((p, pi) => {
    const memo = new Map<Node, string>();
    nodes.forEach((n, i) => {
      const link = fusionParent(n, profile.processors[p]!, memo);
      const parent = link ? index.get(link.parent) : undefined;
      if (link && parent !== undefined) {
        fuseParent[pi]![i] = parent;
        fuseNeedsParentFused[pi]![i] = link.parentMustBeFused ? 1 : 0;
      }
    });
  });

  const values: SimValue[] = [];
  const valueIndex = new Map<Value, number>();
  let unknownSizes = 0;
  const valueOf = (v: Value): number | undefined => {
    if (v.initializer !== undefined || (v.producer && constant.has(v.producer))) return undefined; // weights live on every processor already
    const known = valueIndex.get(v);
    if (known !== undefined) return known;
    const producer = v.producer ? index.get(v.producer) : -1;
    if (producer === undefined) return undefined; // produced outside the main graph
    const bytes = valueBytes(v, batch);
    if (bytes === undefined) unknownSizes++;
    values.push({ value: v, producer, bytes: bytes ?? 0, consumers: [], isGraphOutput: v.isGraphOutput && v.graph === model.graph });
    valueIndex.set(v, values.length - 1);
    return values.length - 1;
  };
  for (const v of model.graph.inputs) valueOf(v);
  const inputsOf = nodes.map((n, i) => {
    const ins = new Set<number>();
    for (const v of effectiveInputs(n)) {
      const vi = valueOf(v);
      if (vi !== undefined) ins.add(vi);
    }
    for (const vi of ins) values[vi]!.consumers.push(i);
    return [...ins];
  });
  for (const v of model.graph.outputs) valueOf(v);
  const outputsOf = nodes.map((n) => n.outputs.flatMap((v) => { const vi = valueIndex.get(v); return vi === undefined ? [] : [vi]; }));

  const copyEngine = processors.map((a) => processors.map((b) => a === b || (linkBetween(profile, a, b)?.copyEngine ?? false)));
  const transfer = (a: number, b: number, bytes: number) => onTimeGrid(transferMs(profile, processors[a]!, processors[b]!, bytes));
  const hostOnly = Uint8Array.from(nodes, (n) => (constant.has(n) || shapeNodes.has(n) || isPinnedToHost(n, profile) ? 1 : 0));
  const graph = { profile, batch, nodes, index, processors, host, duration, fuseParent, fuseNeedsParentFused, values, inputsOf, outputsOf, transfer, copyEngine, hostOnly, unknownSizes };
  return { ...graph, upwardRank: upwardRanks(graph) };
}

/**
 * The simulator's time grid: 2^-36 ms (about 15 fs). Node and transfer times are rounded to it, so
 * every time the simulator computes (sums, maxima) is an exact multiple of it below 2^17 ms: no
 * rounding, and a schedule shifted by any grid amount is the same schedule. The plan evaluator
 * (fast-eval.ts) relies on that to reuse the unchanged part of a schedule after a move.
 */
export const TIME_GRID_MS = 2 ** -36;
/** Times below this many ms on the grid add exactly (2^53 grid steps). */
export const EXACT_TIME_LIMIT_MS = 2 ** 17;

export function onTimeGrid(ms: number): number {
  return Math.round(ms / TIME_GRID_MS) * TIME_GRID_MS;
}

function isPinnedToHost(node: Node, profile: DeviceProfile): boolean {
  const pinned = node.annotations.get(NodeKey.pinned);
  return typeof pinned === "string" && pinned === profile.host;
}

/** Bytes of a value from its static shape, else from its producer's bytes_written. */
function valueBytes(v: Value, batch: number): number | undefined {
  const t = v.type;
  if (t?.kind === "tensor") {
    const size = staticSize(t.shape);
    if (size !== undefined) return byteSize(t.elemType, size) * batch;
  }
  const p = v.producer;
  const written = p ? numberAnnotation(p, NodeKey.bytesWritten) : undefined;
  if (p && written !== undefined) return (written / p.outputs.length) * batch;
  return undefined;
}
