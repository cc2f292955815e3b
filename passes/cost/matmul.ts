// Matrix products: Gemm, MatMul (batched, broadcast) and their quantized forms, and Einsum.
import type { Node } from "../../ir/node.ts";
import { CostUnknown, contraction, floatAttr, input, intAttr, output, product, shapeOf, sizeOf, stringAttr, type Arithmetic, type CostFormula } from "./common.ts";

/** Gemm: Y = alpha * A' B' + beta * C. MACs = M*N*K; alpha != 1, C and beta != 1 cost one op per output each. */
function gemm(node: Node): Arithmetic {
  const a = shapeOf(input(node, 0), "A");
  shapeOf(input(node, 1), "B");
  const y = shapeOf(output(node), "Y");
  if (a.length !== 2 || y.length !== 2) throw new CostUnknown("Gemm operands are not 2-D");
  const k = intAttr(node, "transA", 0) ? a[0]! : a[1]!;
  const outputs = product(y);
  let extra = floatAttr(node, "alpha", 1) !== 1 ? outputs : 0;
  if (input(node, 2)) extra += outputs * (floatAttr(node, "beta", 1) !== 1 ? 2 : 1);
  return contraction(outputs * k, extra);
}

/** MatMul with numpy semantics: MACs = prod(Y) * K, where K is A's last dim (1-D operands promoted). */
function matmul(aIndex: number, bIndex: number, requantize: boolean): CostFormula {
  return (node: Node): Arithmetic => {
    const a = shapeOf(input(node, aIndex), "A");
    shapeOf(input(node, bIndex), "B");
    const outputs = sizeOf(output(node), "Y");
    const k = a[a.length - 1] ?? 1;
    return contraction(outputs * k, requantize ? 4 * outputs : 0);
  };
}

/**
 * Einsum, evaluated as one loop nest over every index letter: with n operands each point of
 * the full index space costs n-1 multiplies and one accumulate, so MACs = (n-1) * prod(all
 * index sizes). A single operand (trace, sum, transpose) costs one add per input element when
 * some index is summed out, nothing otherwise.
 */
function einsum(node: Node): Arithmetic {
  const equation = stringAttr(node, "equation", "").replace(/\s+/g, "");
  const [lhs, rhs] = equation.split("->");
  if (lhs === undefined) throw new CostUnknown("Einsum has no equation");
  const terms = lhs.split(",");
  const operands = node.inputs.map((v, i) => shapeOf(v, `operand ${i}`));
  if (terms.length !== operands.length) throw new CostUnknown(`Einsum equation '${equation}' names ${terms.length} operands, node has ${operands.length}`);
  const sizes = new Map<string, number>();
  terms.forEach((term, i) => {
    const shape = operands[i]!;
    const letters = expandEllipsis(term, shape.length);
    letters.forEach((l, d) => sizes.set(l, Math.max(sizes.get(l) ?? 1, shape[d]!)));
  });
  const space = product([...sizes.values()]);
  if (operands.length === 1) {
    // Implicit output (no '->'): the letters that appear once; a repeated letter is summed (trace).
    const term = terms[0]!.replace("...", "");
    const outLetters = rhs === undefined
      ? new Set(term.split("").filter((l) => term.indexOf(l) === term.lastIndexOf(l)))
      : new Set(rhs.replace("...", "").split(""));
    const keepsDots = rhs === undefined || rhs.includes("...");
    const summed = [...sizes.keys()].some((l) => !outLetters.has(l) && !(keepsDots && l.startsWith("#")));
    return { flops: summed ? product(operands[0]!) : 0, macs: 0 };
  }
  return contraction((operands.length - 1) * space);
}

/** Letters of one term; `...` becomes broadcast letters named by distance from the right, so operands line up. */
function expandEllipsis(term: string, rank: number): string[] {
  const at = term.indexOf("...");
  const plain = term.replace("...", "").split("");
  if (at < 0) return plain;
  const count = Math.max(rank - plain.length, 0);
  const dots = Array.from({ length: count }, (_, i) => `#${count - i}`);
  const before = term.slice(0, at).split("").filter(Boolean);
  const after = term.slice(at + 3).split("").filter(Boolean);
  return [...before, ...dots, ...after];
}

export const matmulFormulas: Record<string, CostFormula> = {
  Gemm: gemm,
  MatMul: matmul(0, 1, false),
  MatMulInteger: matmul(0, 1, false),
  // QLinearMatMul inputs: a, a_scale, a_zero_point, b, b_scale, b_zero_point, y_scale, y_zero_point.
  QLinearMatMul: matmul(0, 3, true),
  Einsum: einsum,
};
