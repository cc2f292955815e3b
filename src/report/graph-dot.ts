// The DOT picture `inspect --format dot` draws by default: constants (folded from the weights at
// load) and shape arithmetic (Shape, Gather, Concat feeding a Reshape's shape) hidden, view-only
// nodes (Reshape, Transpose, ...) drawn as labels on the edge through them, one cluster per
// partition and a processor legend. `--all-nodes` draws every node as ir/print/dot.ts always did.
import type { Model } from "../../ir/model.ts";
import type { Node } from "../../ir/node.ts";
import { modelToDot } from "../../ir/print/dot.ts";
import { constantNodes, isViewOnly, shapeComputingNodes } from "../../ir/node-roles.ts";

export function graphDot(model: Model, allNodes: boolean): string {
  if (allNodes) return modelToDot(model, { clusters: true });
  const g = model.graph;
  const constants = constantNodes(g);
  const shapes = shapeComputingNodes(g);
  const hide = new Set<Node>([...constants, ...shapes]);
  const fold = new Set(g.nodes.filter((n) => !hide.has(n) && isViewOnly(n) && n.outputs.length === 1 && !n.outputs[0]!.isGraphOutput));
  const parts = [`${constants.size} constant`, `${[...shapes].filter((n) => !constants.has(n)).length} shape-arithmetic`].filter((p) => !p.startsWith("0 "));
  return modelToDot(model, { hide, fold, clusters: true, edgeTypes: false, compact: true, hiddenNote: `${parts.join(", ")} (--all-nodes draws them)` });
}
