// The partition pass: cuts a graph whose nodes carry a processor (NodeKey.processor) into maximal
// single-processor subgraphs and writes each node's partition index (NodeKey.partition).
//
// Why not just merge adjacent same-processor nodes? Contracting every connected same-processor
// component can create a cycle between partitions: with A(gpu) -> B(cpu) -> C(gpu) and A -> C,
// putting A and C together gives {A,C} -> {B} -> {A,C}. The runtime needs a partition graph it
// can run in order, so the algorithm keeps acyclicity by construction and then merges only
// where a cycle check allows:
//
// 1. Processor-batched topological order. Kahn's algorithm with one ready queue per processor: keep
//    taking ready nodes of the current processor (lowest original position first) until none is
//    ready, then close the partition and switch to the processor whose ready node comes first.
//    A partition also closes right after a node that gives an idle processor work (a node of
//    another processor becomes ready and that processor had none): the next ready nodes of this
//    processor go to a new partition, so the other processor can start at once. Every
//    partition is a contiguous run of one topological order, so every edge between
//    partitions goes forward and the partition graph is acyclic.
// 2. Cycle-checked contraction. Two same-processor partitions P and Q (P first) may merge when no
//    path of two or more partition edges leads from P to Q (such a path would become a cycle
//    through the merged partition), and when merging delays nothing: every other partition Q
//    reads from must already be an ancestor of P, and every other reader of P a descendant of
//    Q. Without that rule a branch on one processor
//    merged with the join after a branch on another processor would wait for that other branch,
//    and the two branches would run one after the other instead of at once (the runtime starts
//    a partition when all of its inputs exist). Reachability is kept as bitsets over the
//    partition graph; merging repeats until no pair qualifies, so the result is maximal: no two
//    same-processor partitions can be merged without a cycle or a delay.
// 3. Constant nodes (computable from initializers alone; passes/node-roles.ts) are not
//    scheduled: each joins the first partition that reads it, and other readers recompute
//    it (describePartitions clones it), so weights never cross processors at run time.
//
// If/Loop/Scan nodes are single main-graph nodes here, so their subgraphs stay whole in one
// partition; the outer values their bodies capture count as the node's inputs (effectiveInputs)
// and so become partition inputs when produced elsewhere.
import type { Graph } from "../ir/graph.ts";
import type { Model } from "../ir/model.ts";
import type { Node } from "../ir/node.ts";
import { effectiveInputs, topologicalOrder } from "../ir/topo.ts";
import { NodeKey, stringAnnotation } from "../ir/annotation-keys.ts";
import { constantNodes, topLevelReader } from "../ir/node-roles.ts";
import { crossProcessorEdges, describePartitions, PartitionError } from "./describe-partitions.ts";
import { Role } from "../src/planner/problem.ts";
import { contractSegments, processorBatchedSegments } from "../src/planner/partitions.ts";
import { stringOption } from "./options.ts";
import { definePass, type PassContext, type PassResult } from "./pass.ts";
import { placementAnalysis, type PlacementResult } from "./placement.ts";

export interface PartitionOptions {
  /** Processor for nodes without NodeKey.processor; undefined: such a node is an error. */
  defaultProcessor?: string;
}

export interface PartitionAssignment {
  /** Partition index per main-graph node; indices are a topological order of the partition graph. */
  partitionOf: Map<Node, number>;
  /** Processor of each partition. */
  processors: string[];
}

export function assignPartitions(graph: Graph, options: PartitionOptions = {}): PartitionAssignment {
  const order = topologicalOrder(graph);
  const constants = constantNodes(graph, order);
  const scheduled = order.filter((n) => !constants.has(n));
  const index = new Map<Node, number>();
  scheduled.forEach((n, i) => index.set(n, i));
  const processor = scheduled.map((n) => {
    const d = stringAnnotation(n, NodeKey.processor) ?? options.defaultProcessor;
    if (d === undefined) throw new PartitionError(`node '${n.name || n.opType}' (${n.opType}) has no processor; run placement first or pin it`);
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

  const segmentOf = processorBatchedSegments(processor, preds);
  const merged = contractSegments(segmentOf, processor, preds);
  const result = new Map<Node, number>();
  scheduled.forEach((n, i) => result.set(n, merged[i]!));

  const partitionCount = merged.reduce((a, b) => Math.max(a, b), -1) + 1; // no spread: 200,000 arguments overflow the stack
  const processors = new Array<string>(partitionCount);
  merged.forEach((p, i) => { processors[p] = processor[i]!; });
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
    processors[best] ??= stringAnnotation(c, NodeKey.processor) ?? options.defaultProcessor ?? "cpu"; // an all-constant graph
  }
  return { partitionOf: result, processors };
}

/** Writes NodeKey.partition, and the partition's processor on every node (constants follow their partition). */
export function applyPartitions(graph: Graph, assignment: PartitionAssignment): void {
  for (const n of graph.nodes) {
    const p = assignment.partitionOf.get(n)!;
    const d = assignment.processors[p]!;
    for (const node of [n, ...n.subgraphs().flatMap((sub) => [...sub.allNodes()])]) {
      node.annotations.set(NodeKey.partition, p);
      node.annotations.set(NodeKey.processor, d);
    }
  }
}

export const partitionPass = definePass({
  name: "partition",
  description: "cut the processor-placed graph into maximal single-processor partitions with an acyclic partition graph",
  options: { default: stringOption("processor of nodes placement left without one (absent: such a node is an error)", "PROCESSOR") },
  annotates: { nodes: [NodeKey.partition, NodeKey.processor] },
  build: (options) => ({
    preserves: "all",
    run(model: Model, ctx: PassContext): PassResult {
      const graph = model.graph;
      const assignment = assignPartitions(graph, { defaultProcessor: options.default });
      applyPartitions(graph, assignment);
      const placement = placementAnalysis(ctx);
      if (placement) reportConstantsWhereRecomputed(placement, assignment);
      const p = describePartitions(graph);
      const statistics: Record<string, number> = { partitions: p.partitions.length, "cross-processor-edges": crossProcessorEdges(p), "boundary-values": p.boundaries.length };
      for (const part of p.partitions) statistics[`partitions-${part.processor}`] = (statistics[`partitions-${part.processor}`] ?? 0) + 1;
      return { changed: true, statistics };
    },
  }),
});

/**
 * A constant node is recomputed inside the partition that reads it first, so it runs on that
 * partition's processor: placement's explanations (summary, report.json, --explain) say the same as
 * the annotated model.
 */
function reportConstantsWhereRecomputed(placement: PlacementResult, assignment: PartitionAssignment): void {
  const { problem, explanations } = placement;
  problem.sim.nodes.forEach((node, i) => {
    if (problem.role[i] !== Role.Constant) return;
    const p = assignment.partitionOf.get(node);
    if (p === undefined) return;
    const processor = assignment.processors[p]!;
    const reason = `constant: recomputed in partition ${p}, the first that reads it (${processor})`;
    explanations[i] = { ...explanations[i]!, processor, reason };
    node.annotations.set(NodeKey.placementReason, reason);
  });
}
