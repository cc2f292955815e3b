// Pooling and local response normalization: window operations without weights (no MACs).
import type { Node } from "../../ir/node.ts";
import { CostUnknown, input, intAttr, intsAttr, ops, output, product, shapeOf, sizeOf, type Arithmetic, type CostFormula } from "./common.ts";

/** Elements in one pooling window: kernel_shape, or the whole spatial extent for global pools. */
function windowSize(node: Node, global: boolean): number {
  const x = shapeOf(input(node, 0), "X");
  if (global) return product(x.slice(2));
  const kernel = intsAttr(node, "kernel_shape");
  if (!kernel) throw new CostUnknown("kernel_shape is missing");
  return product(kernel);
}

/** `perWindow(k)` operations for every output element. */
function pool(global: boolean, perWindow: (k: number) => number): CostFormula {
  return (node: Node): Arithmetic => {
    const k = windowSize(node, global);
    return ops(sizeOf(output(node), "Y") * perWindow(k));
  };
}

// A max over k values is k-1 comparisons; an average is k-1 adds and one multiply by 1/k;
// an Lp norm is abs, pow and add per window element and one root per output, less the first add.
const maxWindow = (k: number) => k - 1;
const averageWindow = (k: number) => k;
const lpWindow = (k: number) => 3 * k;

/** LRN: per element, size squares, size-1 adds, scale by alpha/size, add bias, pow beta, divide. */
function lrn(node: Node): Arithmetic {
  const size = intAttr(node, "size", 0);
  if (size <= 0) throw new CostUnknown("LRN size is missing");
  return ops(sizeOf(output(node), "Y") * (2 * size + 3));
}

export const poolFormulas: Record<string, CostFormula> = {
  MaxPool: pool(false, maxWindow),
  AveragePool: pool(false, averageWindow),
  LpPool: pool(false, lpWindow),
  GlobalMaxPool: pool(true, maxWindow),
  GlobalAveragePool: pool(true, averageWindow),
  GlobalLpPool: pool(true, lpWindow),
  LRN: lrn,
};
