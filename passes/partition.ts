// The partition pass: cuts a graph whose nodes carry a device (NodeKey.device) into maximal
// single-device subgraphs and writes each node's partition index (NodeKey.partition).
//
// Why not just merge adjacent same-device nodes? Contracting every connected same-device
// component can create a cycle between partitions: with A(gpu) -> B(cpu) -> C(gpu) and A -> C,
// putting A and C together gives {A,C} -> {B} -> {A,C}. The runtime needs a partition graph it
// can run in order, so the algorithm keeps acyclicity by construction and then merges only
// where a cycle check allows:
//
// 1. Device-batched topological order. Kahn's algorithm with one ready queue per device: keep
//    taking ready nodes of the current device (lowest original position first) until none is
//    ready, then close the partition and switch to the device whose ready node comes first.
//    A partition also closes right after a node that gives an idle device work (a node of
//    another device becomes ready and that device had none): the next ready nodes of this
//    device go to a new partition, so the other device can start at once. Every
//    partition is a contiguous run of one topological order, so every edge between
//    partitions goes forward and the partition graph is acyclic.
// 2. Cycle-checked contraction. Two same-device partitions P and Q (P first) may merge when no
//    path of two or more partition edges leads from P to Q (such a path would become a cycle
//    through the merged partition), and when merging delays nothing: every other partition Q
//    reads from must already be an ancestor of P, and every other reader of P a descendant of
//    Q. Without that rule a branch on one device
//    merged with the join after a branch on another device would wait for that other branch,
//    and the two branches would run one after the other instead of at once (the runtime starts
//    a partition when all of its inputs exist). Reachability is kept as bitsets over the
//    partition graph; merging repeats until no pair qualifies, so the result is maximal: no two
//    same-device partitions can be merged without a cycle or a delay.
// 3. Constant nodes (computable from initializers alone; passes/node-roles.ts) are not
//    scheduled: each joins the first partition that reads it, and other readers recompute
//    it (describePartitions clones it), so weights never cross devices at run time.
//
// If/Loop/Scan nodes are single main-graph nodes here, so their subgraphs stay whole in one
// partition; the outer values their bodies capture count as the node's inputs (effectiveInputs)
// and so become partition inputs when produced elsewhere.
import type { Graph } from "../ir/graph.ts";
import type { Model } from "../ir/model.ts";
import type { Node } from "../ir/node.ts";
import { effectiveInputs, topologicalOrder } from "../ir/topo.ts";
import { Heap } from "../ir/heap.ts";
import { NodeKey, stringAnnotation } from "./annotations.ts";
import { constantNodes, topLevelReader } from "./node-roles.ts";
import { crossDeviceEdges, describePartitions, PartitionError } from "./partitioning.ts";
import type { Pass, PassOptions, PassResult } from "./pass.ts";
import { registerPass } from "./registry.ts";

export interface PartitionOptions {
  /** Device for nodes without NodeKey.device; undefined: such a node is an error. */
  defaultDevice?: string;
}

export interface PartitionAssignment {
  /** Partition index per main-graph node; indices are a topological order of the partition graph. */
  partitionOf: Map<Node, number>;
  /** Device of each partition. */
  devices: string[];
}

export function assignPartitions(graph: Graph, options: PartitionOptions = {}): PartitionAssignment {
  const order = topologicalOrder(graph);
  const constants = constantNodes(graph, order);
  const scheduled = order.filter((n) => !constants.has(n));
  const index = new Map<Node, number>();
  scheduled.forEach((n, i) => index.set(n, i));
  const device = scheduled.map((n) => {
    const d = stringAnnotation(n, NodeKey.device) ?? options.defaultDevice;
    if (d === undefined) throw new PartitionError(`node '${n.name || n.opType}' (${n.opType}) has no device; run placement first or pin it`);
    return d;
  });
  const preds = scheduled.map((n) => {
    const s = new Set<number>();
    for (const v of effectiveInputs(n)) {
      const p = v.producer ? index.get(v.producer) : undefined;
      if (p !== undefined) s.add(p);
    }
    return [...s];
  });

  const segmentOf = deviceBatchedSegments(device, preds);
  const merged = contract(segmentOf, device, preds);
  const result = new Map<Node, number>();
  scheduled.forEach((n, i) => result.set(n, merged[i]!));

  const partitionCount = merged.reduce((a, b) => Math.max(a, b), -1) + 1; // no spread: 200,000 arguments overflow the stack
  const devices = new Array<string>(partitionCount);
  merged.forEach((p, i) => { devices[p] = device[i]!; });
  // Constants, consumers first: each joins the earliest partition that reads it.
  for (let i = order.length - 1; i >= 0; i--) {
    const c = order[i]!;
    if (!constants.has(c)) continue;
    let best: number | undefined;
    for (const v of c.outputs) {
      for (const u of v.uses) {
        const p = result.get(topLevelReader(u.node, graph));
        if (p !== undefined && (best === undefined || p < best)) best = p;
      }
    }
    if (best === undefined) best = partitionCount === 0 ? 0 : partitionCount - 1; // only a model output (or dead)
    result.set(c, best);
    devices[best] ??= stringAnnotation(c, NodeKey.device) ?? options.defaultDevice ?? "cpu"; // an all-constant graph
  }
  return { partitionOf: result, devices };
}

/**
 * Step 1: partition index per node from a device-batched Kahn order (see the header). Also an
 * upper bound on the partition count that placement's threshold search uses (linear time).
 */
export function deviceBatchedSegments<D extends string | number>(device: ArrayLike<D>, preds: readonly (readonly number[])[]): number[] {
  const n = device.length;
  const succ: number[][] = Array.from({ length: n }, () => []);
  const pending = preds.map((p) => p.length);
  preds.forEach((ps, i) => ps.forEach((p) => succ[p]!.push(i)));
  const ready = new Map<D, Heap<number>>();
  const queue = (d: D) => { let q = ready.get(d); if (!q) ready.set(d, (q = smallestFirst())); return q; };
  pending.forEach((c, i) => { if (c === 0) queue(device[i]!).push(i); });
  const segment = new Array<number>(n).fill(-1);
  let current: D | undefined;
  let seg = -1;
  let handedOff = false;
  for (let placed = 0; placed < n; placed++) {
    if (current === undefined || queue(current).size === 0) {
      let bestDevice: D | undefined;
      for (const [d, q] of ready) if (q.size > 0 && (bestDevice === undefined || q.peek()! < queue(bestDevice).peek()!)) bestDevice = d;
      if (bestDevice === undefined) throw new PartitionError("the graph has a cycle"); // topologicalOrder would have thrown first
      current = bestDevice;
      seg++;
    } else if (handedOff) {
      seg++; // another device reads what this segment made: more work here would keep it waiting
    }
    handedOff = false;
    const i = queue(current).pop()!;
    segment[i] = seg;
    for (const s of succ[i]!) {
      if (--pending[s]! > 0) continue;
      const q = queue(device[s]!);
      // Another device that was waiting gets work from this node: cut here so it can start.
      if (device[s] !== current && q.size === 0) handedOff = true;
      q.push(s);
    }
  }
  return segment;
}

/** Step 2: merge same-device partitions while no path of length >= 2 joins them; renumber topologically. */
function contract(initial: readonly number[], device: readonly string[], preds: readonly number[][]): number[] {
  let part = [...initial];
  for (;;) {
    const count = part.reduce((a, b) => Math.max(a, b), -1) + 1;
    const partDevice = new Array<string>(count);
    part.forEach((p, i) => { partDevice[p] = device[i]!; });
    const succ = Array.from({ length: count }, () => new Set<number>());
    preds.forEach((ps, i) => ps.forEach((p) => { if (part[p] !== part[i]) succ[part[p]!]!.add(part[i]!); }));
    const topo = kahn(count, succ);
    const words = (count + 31) >>> 5;
    // reach[p]: partitions reachable from p by one or more edges; via[p]: by two or more.
    const reach = Array.from({ length: count }, () => new Uint32Array(words));
    const via = Array.from({ length: count }, () => new Uint32Array(words));
    for (let k = topo.length - 1; k >= 0; k--) {
      const p = topo[k]!;
      for (const s of succ[p]!) {
        const r = reach[p]!, rs = reach[s]!, v = via[p]!;
        for (let w = 0; w < words; w++) { r[w]! |= rs[w]!; v[w]! |= rs[w]!; }
        r[s >>> 5]! |= 1 << (s & 31);
      }
    }
    const predParts = Array.from({ length: count }, () => [] as number[]);
    succ.forEach((ss, r) => ss.forEach((t) => predParts[t]!.push(r)));
    const reaches = (from: number, to: number) => ((reach[from]![to >>> 5]! >>> (to & 31)) & 1) === 1;
    let pair: [number, number] | undefined;
    search: for (let a = 0; a < topo.length; a++) {
      for (let b = a + 1; b < topo.length; b++) {
        const p = topo[a]!, q = topo[b]!;
        if (partDevice[p] !== partDevice[q]) continue;
        if ((via[p]![q >>> 5]! >>> (q & 31)) & 1) continue;
        // No delay: every other partition q reads from must be done before p can start anyway,
        // else the merged partition would hold p back until that (other device's) work is done
        // and run p after it instead of beside it; and every other reader of p must wait for q
        // anyway, else it would wait for q's work too.
        if (!predParts[q]!.every((r) => r === p || reaches(r, p))) continue;
        if (![...succ[p]!].every((r) => r === q || reaches(q, r))) continue;
        pair = [p, q];
        break search;
      }
    }
    if (!pair) {
      const rank = new Array<number>(count);
      topo.forEach((p, i) => { rank[p] = i; });
      return part.map((p) => rank[p]!);
    }
    const [keep, gone] = pair;
    part = part.map((p) => (p === gone ? keep : p)).map((p) => (p > gone ? p - 1 : p));
  }
}

/** Topological order of a small DAG given as successor sets; ties broken by lowest index. */
function kahn(count: number, succ: readonly Set<number>[]): number[] {
  const indeg = new Array<number>(count).fill(0);
  succ.forEach((s) => s.forEach((t) => { indeg[t]!++; }));
  const q = smallestFirst();
  indeg.forEach((d, i) => { if (d === 0) q.push(i); });
  const out: number[] = [];
  while (q.size > 0) {
    const p = q.pop()!;
    out.push(p);
    for (const t of succ[p]!) if (--indeg[t]! === 0) q.push(t);
  }
  if (out.length !== count) throw new PartitionError("internal error: the partition graph has a cycle");
  return out;
}


/** Writes NodeKey.partition, and the partition's device on every node (constants follow their partition). */
export function applyPartitions(graph: Graph, assignment: PartitionAssignment): void {
  for (const n of graph.nodes) {
    const p = assignment.partitionOf.get(n)!;
    const d = assignment.devices[p]!;
    for (const node of [n, ...n.subgraphs().flatMap((sub) => [...sub.allNodes()])]) {
      node.annotations.set(NodeKey.partition, p);
      node.annotations.set(NodeKey.device, d);
    }
  }
}

export function partitionPass(options: PassOptions = {}): Pass {
  return {
    name: "partition",
    description: "cut the device-placed graph into maximal single-device partitions with an acyclic partition graph",
    preserves: "all",
    run(model: Model): PassResult {
      const graph = model.graph;
      const assignment = assignPartitions(graph, { defaultDevice: options["default"] });
      applyPartitions(graph, assignment);
      const p = describePartitions(graph);
      const statistics: Record<string, number> = { partitions: p.partitions.length, "cross-device-edges": crossDeviceEdges(p), "boundary-values": p.boundaries.length };
      for (const part of p.partitions) statistics[`partitions-${part.device}`] = (statistics[`partitions-${part.device}`] ?? 0) + 1;
      return { changed: true, statistics };
    },
  };
}

registerPass(partitionPass);

function smallestFirst(): Heap<number> {
  return new Heap<number>((a, b) => a < b);
}
