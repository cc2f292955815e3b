// Packages made by hand: give every node a partition and a device, then cut and write the
// package with the emitter `sparoa optimize` uses (src/package/emit.ts). Partition labels
// must follow a topological order of the partition graph (contiguous slices always do).
import { loadModel, type Graph, type Node, type Value } from "../../ir/index.ts";
import { NodeKey } from "../../ir/annotation-keys.ts";
import { describePartitions } from "../../passes/describe-partitions.ts";
import { buildPackage, dataInputs } from "../../src/package/emit.ts";
import type { PackageManifest } from "../../src/package/manifest.ts";
import { resolveValueTypes } from "../../src/package/value-types.ts";
import { writeFiles } from "../../src/package/write.ts";

export interface Placement { partition: number; processor: string }

export async function writeHandPackage(modelPath: string, dir: string, place: (node: Node, index: number) => Placement): Promise<PackageManifest> {
  const model = loadModel(modelPath);
  model.graph.nodes.forEach((n, i) => {
    const p = place(n, i);
    for (const node of [n, ...n.subgraphs().flatMap((sub) => [...sub.allNodes()])]) {
      node.annotations.set(NodeKey.partition, p.partition);
      node.annotations.set(NodeKey.processor, p.processor);
    }
  });
  const partitioning = describePartitions(model.graph);
  const needed = new Set<Value>([...partitioning.boundaries.map((b) => b.value), ...dataInputs(model), ...model.graph.outputs]);
  const { manifest, files } = buildPackage(model, partitioning, await resolveValueTypes(model, needed), { profile: "hand-cut" });
  writeFiles(dir, files);
  return manifest;
}

/** `count` contiguous slices of `total` nodes, alternating between `processors`. */
export function slices(total: number, count: number, processors: readonly string[] = ["cpu"]): (node: Node, index: number) => Placement {
  return (_n, i) => {
    const partition = Math.min(count - 1, Math.floor((i * count) / total));
    return { partition, processor: processors[partition % processors.length]! };
  };
}

/**
 * `count` contiguous slices of a graph, cut only where a single tensor crosses from one slice
 * to the next (between residual blocks, say: where a partitioner that minimises transfers
 * cuts), each cut at the narrow point nearest an equal share of the nodes.
 */
export function narrowCuts(graph: Graph, count: number): (node: Node, index: number) => Placement {
  const nodes = graph.nodes;
  const position = new Map(nodes.map((n, i) => [n, i]));
  // A value produced at i and last read at j is live across every gap i..j-1.
  const crossing = new Array<number>(nodes.length).fill(0);
  nodes.forEach((n, i) => {
    for (const v of n.outputs) {
      const last = Math.max(i, ...v.uses.map((u) => position.get(u.node) ?? nodes.length));
      for (let k = i; k < Math.min(last, nodes.length - 1); k++) crossing[k]!++;
    }
  });
  const narrow = crossing.flatMap((c, i) => (c === 1 && i < nodes.length - 1 ? [i] : []));
  const cuts: number[] = [];
  for (let q = 1; q < count; q++) {
    const target = (q * nodes.length) / count;
    const best = narrow.filter((i) => !cuts.includes(i)).reduce((b, i) => (Math.abs(i - target) < Math.abs(b - target) ? i : b), Number.POSITIVE_INFINITY);
    if (!Number.isFinite(best)) throw new Error(`only ${cuts.length + 1} single-tensor slices exist in graph '${graph.name}'`);
    cuts.push(best);
  }
  return (_n, i) => ({ partition: cuts.filter((c) => i > c).length, processor: "cpu" });
}
