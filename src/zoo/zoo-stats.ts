// Facts about a generated model that zoo.json records, so users can filter without loading it.
import { DataType, type Model } from "../../ir/index.ts";
import { constantNodes, shapeComputingNodes } from "../../ir/node-roles.ts";

export interface ZooModelStats {
  nodes: number;
  /** Nodes placement decides on: neither folded constants nor shape computations. */
  placeableNodes: number;
  /** Float weights, and the zero fraction of those in Conv/MatMul/Gemm matrices (after pruning). */
  parameters: number;
  weightZeroFraction: number;
  ops: Record<string, number>;
}

export function zooModelStats(model: Model): ZooModelStats {
  const graph = model.graph;
  const constants = constantNodes(graph);
  const shapes = shapeComputingNodes(graph);
  const ops: Record<string, number> = {};
  for (const n of graph.nodes) ops[n.opType] = (ops[n.opType] ?? 0) + 1;
  let parameters = 0;
  let matrixWeights = 0;
  let zeros = 0;
  for (const v of graph.initializers.values()) {
    const t = v.initializer!;
    if (t.dtype !== DataType.FLOAT) continue;
    const size = t.dims.reduce((a, b) => a * b, 1);
    parameters += size;
    if (!v.uses.some((u) => u.index === 1 && ["Conv", "MatMul", "Gemm"].includes(u.node.opType))) continue;
    matrixWeights += size;
    for (const x of t.toArray() as Float32Array) if (x === 0) zeros++;
  }
  return {
    nodes: graph.nodes.length,
    placeableNodes: graph.nodes.filter((n) => !constants.has(n) && !shapes.has(n)).length,
    parameters,
    weightZeroFraction: matrixWeights ? Math.round((zeros / matrixWeights) * 1e4) / 1e4 : 0,
    ops: Object.fromEntries(Object.entries(ops).sort(([a], [b]) => a.localeCompare(b))),
  };
}
