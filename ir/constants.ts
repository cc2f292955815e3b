// Which values are constants: known when the model is loaded, so a runtime folds them and
// analyses treat them as weights rather than activations. Shared by the cost and
// weight-sparsity passes so both draw the same line.
import { DataType } from "./dtype.ts";
import type { Node } from "./node.ts";
import type { Value } from "./value.ts";

/** Ops whose output differs between runs even with constant inputs: never folded. */
const NONDETERMINISTIC = new Set(["RandomNormal", "RandomNormalLike", "RandomUniform", "RandomUniformLike", "Multinomial", "Bernoulli", "Dropout"]);

/**
 * A value is constant when it is an initializer, or the output of a node that a loader folds:
 * Constant, or any deterministic node whose present inputs are all constant (ConstantOfShape of
 * a constant shape, Unsqueeze of a weight...). Initializers that are also graph inputs (IR < 4
 * style) count as constants: they hold the model's weights. Results are memoised per call site.
 */
export class ConstantOracle {
  private readonly memo = new Map<Value, boolean>();

  isConstant(value: Value): boolean {
    const known = this.memo.get(value);
    if (known !== undefined) return known;
    // Iterative: producer chains of folded nodes can be long.
    const stack: Value[] = [value];
    while (stack.length > 0) {
      const v = stack[stack.length - 1]!;
      if (this.memo.has(v)) { stack.pop(); continue; }
      if (v.initializer || v.sparseInitializer) { this.memo.set(v, true); stack.pop(); continue; }
      const producer = v.producer;
      if (!producer || !isFoldableOp(producer)) { this.memo.set(v, false); stack.pop(); continue; }
      const pending = presentInputs(producer).filter((i) => !this.memo.has(i));
      if (pending.length > 0) { stack.push(...pending); continue; }
      this.memo.set(v, presentInputs(producer).every((i) => this.memo.get(i) === true));
      stack.pop();
    }
    return this.memo.get(value)!;
  }

  /** True when every output of `node` is constant: the node runs at load time, not per inference. */
  isFolded(node: Node): boolean {
    return node.outputs.length > 0 && isFoldableOp(node) && node.outputs.every((o) => o.name === "" || this.isConstant(o));
  }
}

function isFoldableOp(node: Node): boolean {
  if (NONDETERMINISTIC.has(node.opType) || node.subgraphs().length > 0) return false;
  if (node.domain !== "" && node.domain !== "ai.onnx") return false;
  // A node without inputs is constant only when it is Constant itself (EyeLike etc. take inputs).
  return node.opType === "Constant" || presentInputs(node).length > 0;
}

function presentInputs(node: Node): Value[] {
  return node.inputs.filter((v): v is Value => v !== null && v.name !== "");
}

/**
 * Element types that hold learned parameters. int64 (shapes, axes, indices), bool and string
 * constants are bookkeeping, never weights: they are excluded from parameter counts and
 * weight sparsity, though their bytes are still read.
 */
export function isWeightType(dtype: number): boolean {
  return dtype !== DataType.INT64 && dtype !== DataType.BOOL && dtype !== DataType.STRING && dtype !== DataType.UNDEFINED;
}
