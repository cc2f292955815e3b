// Kernel fusion the runtime does on a processor: onnxruntime (CPU and CUDA) folds BatchNormalization
// into a preceding Conv and runs Relu/Clip inside the Conv or Gemm kernel; TensorRT does the same
// and more. A fused consumer costs no extra kernel, so the latency model must not charge it.
import type { Node } from "../../ir/node.ts";
import type { Value } from "../../ir/value.ts";
import type { ProcessorSpec } from "./profile.ts";

export interface FusionLink {
  /** The node this one fuses into when both run on the processor. */
  parent: Node;
  /** True when the match relied on the parent itself being fused (Conv -> BN -> Relu). */
  parentMustBeFused: boolean;
}

/**
 * The producer `node` fuses into on `processor` (assuming both run there), or undefined. The
 * consumer must read its producer's only use (not a graph output) and otherwise only constants.
 * The producer's op is taken through its own fusion, so "Conv+Relu" also matches Conv, BN, Relu.
 */
export function fusionParent(node: Node, processor: ProcessorSpec, memo = new Map<Node, string>()): FusionLink | undefined {
  const pairs = processor.fusion ?? [];
  if (pairs.length === 0) return undefined;
  const parent = structuralParent(node);
  if (parent) {
    // onnxruntime folds a LayerNormalization only into a residual sum (SkipLayerNormalization).
    if (node.opType === "LayerNormalization" && parent.opType === "Add" && !isSkipSum(parent)) return undefined;
    const parentOp = effectiveOp(parent, pairs, memo);
    return pairs.includes(`${parentOp}+${node.opType}`) ? { parent, parentMustBeFused: parentOp !== parent.opType } : undefined;
  }
  // A residual Add of two activations fuses into the convolution that produces one of them
  // (onnxruntime's Conv "Sum" input; TensorRT's residual fusion); an activation after it then
  // fuses too, through the memo (callers go in topological order, as compileSim does).
  if (node.opType !== "Add") return undefined;
  for (const candidate of residualParents(node)) {
    const parentOp = effectiveOp(candidate, pairs, memo);
    // A Gemm has one addend: a MatMul whose bias Add is already fused takes no residual sum.
    if (parentOp === "MatMul" && candidate.opType === "Add") continue;
    if (pairs.includes(`${parentOp}+Add`)) {
      memo.set(node, parentOp);
      return { parent: candidate, parentMustBeFused: parentOp !== candidate.opType };
    }
  }
  return undefined;
}

/**
 * A residual sum that onnxruntime runs with the LayerNormalization after it as one
 * SkipLayerNormalization kernel: an Add of two activations whose only use is that norm's input.
 */
export function isSkipSum(node: Node): boolean {
  if (node.opType !== "Add" || node.outputs.length !== 1) return false;
  const out = node.outputs[0]!;
  const use = out.uses.length === 1 ? out.uses[0]!.node : undefined;
  if (!use || use.opType !== "LayerNormalization" || use.graph !== node.graph || out.isGraphOutput || use.inputs[0] !== out) return false;
  const activations = activationInputs(node);
  return activations.length === 2 && activations[0] !== activations[1];
}

/** Producers of an Add's two activation inputs that could take it as a fused sum (only use, same graph). */
function residualParents(node: Node): Node[] {
  const activations = activationInputs(node);
  if (activations.length !== 2 || activations[0] === activations[1]) return [];
  return activations.flatMap((v) => {
    const p = v.producer;
    return p && p.graph === node.graph && v.uses.length === 1 && !v.isGraphOutput && p.outputs.length === 1 ? [p] : [];
  });
}

/** A node's inputs that are computed per inference (not stored data). */
function activationInputs(node: Node): Value[] {
  return node.inputs.filter((v): v is Value => v !== null && !isConstantValue(v));
}

/**
 * A value computed from stored data alone (an initializer, a Constant, or an Unsqueeze/Reshape
 * of one, as exporters write BatchNorm-like scales): onnxruntime folds it at load, so a node that
 * reads it still fuses. Depth-limited: such chains are short.
 */
function isConstantValue(v: Value, depth = 0): boolean {
  if (v.initializer !== undefined) return true;
  const p = v.producer;
  if (!p || depth > 8) return false;
  if (p.opType === "Constant") return true;
  return p.inputs.length > 0 && p.inputs.every((x) => x === null || isConstantValue(x, depth + 1));
}

/** The single producer whose only-used output is this node's only non-constant input. */
function structuralParent(node: Node): Node | undefined {
  const activations = activationInputs(node);
  if (activations.length !== 1) return undefined;
  const input = activations[0]!;
  const parent = input.producer;
  if (!parent || parent.graph !== node.graph || input.uses.length !== 1 || input.isGraphOutput || parent.outputs.length !== 1) return undefined;
  return parent;
}

/** The op a node counts as for fusion: its fusion root's op when it fuses, else its own. */
function effectiveOp(node: Node, pairs: readonly string[], memo: Map<Node, string>): string {
  // Walk up iteratively (fusible chains can be long), then resolve top-down.
  const chain: Node[] = [];
  let cur: Node | undefined = node;
  while (cur && !memo.has(cur)) {
    chain.push(cur);
    const opType: string = cur.opType;
    cur = pairs.some((p) => p.endsWith(`+${opType}`)) ? structuralParent(cur) : undefined;
  }
  let op = cur ? memo.get(cur)! : "";
  for (let i = chain.length - 1; i >= 0; i--) {
    const n = chain[i]!;
    op = op !== "" && pairs.includes(`${op}+${n.opType}`) ? op : n.opType;
    memo.set(n, op);
  }
  return memo.get(node)!;
}
