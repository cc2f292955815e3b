// The one sparsity number placement uses per node (docs/sparsity.md): the larger of weight
// sparsity and input-activation sparsity, since a sparse kernel skips the zeros of one operand.
import type { Node } from "../../ir/node.ts";
import { NodeKey } from "../../ir/annotation-keys.ts";
import { combinedSparsity } from "../../src/planner/problem.ts";

/** Recomputes NodeKey.sparsity from whatever sparsity annotations the node has; returns it. */
export function updateCombinedSparsity(node: Node): number | undefined {
  const combined = combinedSparsity(node);
  if (combined === undefined) {
    node.annotations.delete(NodeKey.sparsity);
    return undefined;
  }
  node.annotations.set(NodeKey.sparsity, combined);
  return combined;
}
