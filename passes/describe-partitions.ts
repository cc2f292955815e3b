// The structure of a partitioned graph, derived from each main-graph node's partition index
// (NodeKey.partition): per partition its nodes, the values it reads from outside and the values
// it must hand on, the partitions it depends on, and the constant nodes it recomputes.
// Emit, the report and the tests all read partitions through this one function.
import { SparoaError } from "../ir/sparoa-error.ts";
import type { Graph } from "../ir/graph.ts";
import type { Node } from "../ir/node.ts";
import type { Value } from "../ir/value.ts";
import { effectiveInputs, topologicalOrder } from "../ir/topo.ts";
import { NodeKey, numberAnnotation, stringAnnotation } from "../ir/annotation-keys.ts";
import { constantNodes, isInitializer } from "../ir/node-roles.ts";

export interface Partition {
  id: number;
  processor: string;
  /** Its own nodes, in topological order. */
  nodes: Node[];
  /** Constant nodes assigned to other partitions that it recomputes (clones), topological order. */
  clonedConstants: Node[];
  /** Values it reads from outside: model inputs and other partitions' outputs, in first-read order. */
  inputs: Value[];
  /** Values it produces that later partitions or the model outputs read, in production order. */
  outputs: Value[];
  /** Initializers its nodes (and clones, and subgraphs) read. */
  initializers: Value[];
  /** Partitions whose outputs it reads, ascending. */
  dependsOn: number[];
}

/** A value produced in one partition and read by others. */
export interface Boundary { value: Value; from: number; to: number[] }

export interface Partitioning {
  /** In a topological order of the partition graph; `partitions[i].id === i`. */
  partitions: Partition[];
  partitionOf: Map<Node, number>;
  /** Every cross-partition edge, grouped by value (constants excluded: they are recomputed). */
  boundaries: Boundary[];
  /** Model inputs that pass straight to model outputs (no partition touches them). */
  passthrough: Value[];
}

export class PartitionError extends SparoaError {}

/**
 * Reads NodeKey.partition (and NodeKey.processor) of `graph`'s nodes and builds the partition
 * structure. Partition ids must be 0..n-1 in a topological order of the partition graph and
 * each partition single-processor; anything else throws a PartitionError naming the culprit.
 */
export function describePartitions(graph: Graph): Partitioning {
  const order = topologicalOrder(graph);
  const position = new Map<Node, number>();
  order.forEach((n, i) => position.set(n, i));
  const constants = constantNodes(graph, order);
  const partitionOf = new Map<Node, number>();
  let count = 0;
  for (const n of order) {
    const p = numberAnnotation(n, NodeKey.partition);
    if (p === undefined || !Number.isInteger(p) || p < 0) throw new PartitionError(`node '${n.name || n.opType}' (${n.opType}) has no partition; run the partition pass first`);
    partitionOf.set(n, p);
    count = Math.max(count, p + 1);
  }
  const partitions: Partition[] = Array.from({ length: count }, (_, id) => ({
    id, processor: "", nodes: [], clonedConstants: [], inputs: [], outputs: [], initializers: [], dependsOn: [],
  }));
  for (const n of order) {
    const part = partitions[partitionOf.get(n)!]!;
    const processor = stringAnnotation(n, NodeKey.processor) ?? "";
    if (part.processor === "") part.processor = processor;
    else if (processor !== part.processor) throw new PartitionError(`partition ${part.id} mixes processors: node '${n.name || n.opType}' is on '${processor}', the partition on '${part.processor}'`);
    part.nodes.push(n);
  }
  partitions.forEach((p) => { if (p.nodes.length === 0) throw new PartitionError(`partition ${p.id} is empty (ids must be 0..${count - 1})`); });

  const boundaryTo = new Map<Value, Set<number>>();
  const outputSets = partitions.map(() => new Set<Value>());
  for (const part of partitions) {
    const own = new Set(part.nodes);
    // Constant values produced elsewhere are recomputed here: pull in their whole constant cone.
    const clones = new Set<Node>();
    const pull = (v: Value) => {
      const stack = [v];
      while (stack.length > 0) {
        const p = stack.pop()!.producer;
        if (!p || own.has(p) || clones.has(p)) continue;
        clones.add(p);
        for (const w of p.inputs) if (w?.producer) stack.push(w);
      }
    };
    const inputs = new Set<Value>();
    const initializers = new Set<Value>();
    const deps = new Set<number>();
    const read = (v: Value) => {
      if (isInitializer(v)) { initializers.add(v); return; }
      const producer = v.producer;
      if (!producer || producer.graph !== graph) { inputs.add(v); return; }
      if (own.has(producer)) return;
      if (constants.has(producer)) { pull(v); return; }
      const from = partitionOf.get(producer)!;
      inputs.add(v);
      deps.add(from);
      outputSets[from]!.add(v);
      let to = boundaryTo.get(v);
      if (!to) boundaryTo.set(v, (to = new Set()));
      to.add(part.id);
    };
    for (const n of part.nodes) for (const v of effectiveInputs(n)) read(v);
    // Clones read only initializers and other clones (that is what makes them constant).
    for (const c of clones) for (const v of c.inputs) if (v && isInitializer(v)) initializers.add(v);
    part.clonedConstants = [...clones].sort((a, b) => position.get(a)! - position.get(b)!);
    part.inputs = [...inputs];
    part.initializers = [...initializers];
    part.dependsOn = [...deps].sort((a, b) => a - b);
    for (const d of part.dependsOn) {
      if (d >= part.id) throw new PartitionError(`partition ${part.id} reads from partition ${d}: ids are not in a topological order of the partition graph (a cycle between partitions?)`);
    }
  }
  const passthrough: Value[] = [];
  for (const v of graph.outputs) {
    const producer = v.producer;
    if (producer && producer.graph === graph) outputSets[partitionOf.get(producer)!]!.add(v);
    else if (!passthrough.includes(v)) passthrough.push(v);
  }
  partitions.forEach((p, i) => {
    p.outputs = p.nodes.flatMap((n) => n.outputs).filter((v) => outputSets[i]!.has(v));
  });
  const boundaries: Boundary[] = [];
  for (const p of partitions) {
    for (const v of p.outputs) {
      const to = boundaryTo.get(v);
      if (to) boundaries.push({ value: v, from: p.id, to: [...to].sort((a, b) => a - b) });
    }
  }
  return { partitions, partitionOf, boundaries, passthrough };
}

/** Number of (value, reading partition) pairs whose partitions are on different processors. */
export function crossProcessorEdges(p: Partitioning): number {
  let n = 0;
  for (const b of p.boundaries) for (const t of b.to) if (p.partitions[t]!.processor !== p.partitions[b.from]!.processor) n++;
  return n;
}
