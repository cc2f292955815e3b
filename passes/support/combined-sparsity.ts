// The one sparsity number placement uses per node (docs/sparsity.md): the larger of weight
// sparsity and input-activation sparsity, since a sparse kernel skips the zeros of one operand.
import type { Node } from "../../ir/node.ts";
import { NodeKey, numberAnnotation } from "../annotations.ts";

/** Recomputes NodeKey.sparsity from whatever sparsity annotations the node has; returns it. */
export function updateCombinedSparsity(node: Node): number | undefined {
  const weight = numberAnnotation(node, NodeKey.weightSparsity);
  const activation = numberAnnotation(node, NodeKey.inputNearZero) ?? numberAnnotation(node, NodeKey.inputSparsity);
  const known = [weight, activation].filter((x): x is number => x !== undefined);
  if (known.length === 0) {
    node.annotations.delete(NodeKey.sparsity);
    return undefined;
  }
  const combined = Math.max(...known);
  node.annotations.set(NodeKey.sparsity, combined);
  return combined;
}
