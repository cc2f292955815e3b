// Reductions, softmax-like ops, scans and selection: operations per input element (the
// elements folded in) plus a few per output element.
import type { Node } from "../../ir/node.ts";
import { CostUnknown, input, intAttr, ops, output, shapeOf, sizeOf, type Arithmetic, type CostFormula } from "./common.ts";

/** `perInput` ops for every input element, `perOutput` for every output element. */
function reduce(perInput: number, perOutput: number): CostFormula {
  return (node: Node): Arithmetic => ops(perInput * sizeOf(input(node, 0), "data") + perOutput * sizeOf(output(node), "reduced"));
}

/**
 * Softmax: a max (compare), a subtract, an exp, a sum and a divide per element: 5.
 * LogSoftmax: compare, subtract, exp, sum, and the final subtract per element (5), plus one log
 * per row (a row is the extent of `axis`).
 */
function softmax(logarithmic: boolean): CostFormula {
  return (node: Node): Arithmetic => {
    const x = shapeOf(input(node, 0), "input");
    const elements = x.reduce((a, b) => a * b, 1);
    const axis = intAttr(node, "axis", -1);
    const extent = x[axis < 0 ? axis + x.length : axis] ?? 1;
    return ops(5 * elements + (logarithmic ? elements / extent : 0));
  };
}

/** TopK by a size-k heap: about log2(k) comparisons per input element, at least one. */
function topK(node: Node): Arithmetic {
  const x = shapeOf(input(node, 0), "X");
  const y = shapeOf(output(node), "Values");
  const axis = intAttr(node, "axis", -1);
  const k = y[axis < 0 ? axis + y.length : axis];
  if (k === undefined) throw new CostUnknown("TopK axis is out of range");
  return ops(x.reduce((a, b) => a * b, 1) * Math.max(1, Math.ceil(Math.log2(k))));
}

export const reductionFormulas: Record<string, CostFormula> = {
  ReduceSum: reduce(1, 0),
  ReduceMean: reduce(1, 1),           // sum, then one multiply by 1/n per output
  ReduceMax: reduce(1, 0),
  ReduceMin: reduce(1, 0),
  ReduceProd: reduce(1, 0),
  ReduceL1: reduce(2, 0),             // abs, add
  ReduceL2: reduce(2, 1),             // square, add; sqrt per output
  ReduceSumSquare: reduce(2, 0),      // square, add
  ReduceLogSum: reduce(1, 1),         // add; log per output
  ReduceLogSumExp: reduce(2, 1),      // exp, add; log per output
  ArgMax: reduce(1, 0),
  ArgMin: reduce(1, 0),
  CumSum: reduce(1, 0),
  Hardmax: reduce(1, 0),
  Softmax: softmax(false),
  LogSoftmax: softmax(true),
  TopK: topK,
};
