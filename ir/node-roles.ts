// Roles of main-graph nodes that placement and partitioning treat specially:
//  - constant nodes: computable from initializers alone (Constant, ConstantOfShape of a stored
//    shape, arithmetic on weights). onnxruntime folds them when a session loads, so they cost
//    nothing per inference and can be recomputed in every partition that reads them instead
//    of shipping their (often weight-sized) outputs across processors.
//  - shape-computing nodes: Shape/Size, and nodes whose outputs only feed shape-like inputs
//    (Reshape's shape, Slice's starts, ...). They are tiny, integer, and their consumers need the
//    result on the host, so they stay on the CPU.
import type { Graph } from "./graph.ts";
import type { Node } from "./node.ts";
import type { Value } from "./value.ts";
import { effectiveInputs, topologicalOrder } from "./topo.ts";
import { ConstantOracle } from "./constants.ts";

/** Ops whose first output is their first input's elements, rearranged or relabelled (a view). */
export const VIEW_OPS: ReadonlySet<string> = new Set(["Reshape", "Transpose", "Flatten", "Squeeze", "Unsqueeze", "Identity"]);

export function isViewOnly(node: Node): boolean {
  return VIEW_OPS.has(node.opType) && (node.domain === "" || node.domain === "ai.onnx");
}

/** True for values that hold stored data (initializers; in IR < 4 they are also listed as inputs). */
export function isInitializer(v: Value): boolean {
  return v.initializer !== undefined || v.sparseInitializer !== undefined;
}

/** Nodes of `graph` whose outputs are fixed by the model's stored data alone (the loader folds them). */
export function constantNodes(graph: Graph, order: readonly Node[] = graph.nodes): Set<Node> {
  const oracle = new ConstantOracle();
  return new Set(order.filter((n) => oracle.isFolded(n)));
}

/** Input positions that carry a shape, axes, sizes or counts rather than data, per op. */
const SHAPE_INPUTS: Readonly<Record<string, readonly number[]>> = {
  Reshape: [1], Expand: [1], ConstantOfShape: [0], Tile: [1], Slice: [1, 2, 3, 4], Pad: [1, 3],
  Resize: [1, 2, 3], Upsample: [1], Squeeze: [1], Unsqueeze: [1], TopK: [1], OneHot: [1], Split: [1],
  CenterCropPad: [1], Trilu: [1], CumSum: [1], ReduceSum: [1], ReduceMean: [1], ReduceMax: [1],
  ReduceMin: [1], ReduceProd: [1], ReduceL1: [1], ReduceL2: [1], ReduceLogSum: [1], ReduceLogSumExp: [1],
  ReduceSumSquare: [1], Range: [0, 1, 2],
};

export function isShapeInput(node: Node, index: number): boolean {
  return (node.domain === "" || node.domain === "ai.onnx") && (SHAPE_INPUTS[node.opType]?.includes(index) ?? false);
}

/**
 * Shape-computing nodes of `graph`: Shape and Size, then, walking backwards, every node all of
 * whose outputs are read only as shape-like inputs or by other shape-computing nodes (and are
 * not graph outputs). Walking in reverse topological order sees every consumer first.
 */
export function shapeComputingNodes(graph: Graph, order: readonly Node[] = topologicalOrder(graph)): Set<Node> {
  const shape = new Set<Node>();
  const outputs = new Set(graph.outputs);
  for (let i = order.length - 1; i >= 0; i--) {
    const n = order[i]!;
    if (n.opType === "Shape" || n.opType === "Size") { shape.add(n); continue; }
    if (n.outputs.length === 0 || n.subgraphs().length > 0) continue;
    let used = false;
    const onlyShapes = n.outputs.every((v) => {
      if (outputs.has(v)) return false;
      return v.uses.every((u) => {
        used = true;
        const reader = topLevelReader(u.node, graph);
        if (reader !== u.node) return false; // read inside a subgraph: treat as data
        return shape.has(reader) || isShapeInput(reader, u.index);
      });
    });
    if (onlyShapes && used) shape.add(n);
  }
  return shape;
}

/** The node of `graph` that owns `node` (itself, or the If/Loop/Scan whose subgraph holds it). */
export function topLevelReader(node: Node, graph: Graph): Node {
  let n: Node = node;
  while (n.graph !== graph) {
    const parent = n.graph?.parent;
    if (!parent) return n;
    n = parent;
  }
  return n;
}

/** Values a main-graph node reads that are defined in `graph`'s scope (its inputs and captures). */
export function readsInScope(node: Node, graph: Graph): Value[] {
  return effectiveInputs(node).filter((v) => v.graph === graph || v.graph === null);
}
