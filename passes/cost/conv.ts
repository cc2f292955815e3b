// Convolutions. A convolution is a contraction: every output element is a dot product over
// (input channels per group) x (kernel window); padding positions are counted as if computed,
// which is what dense kernels do.
import type { Node } from "../../ir/node.ts";
import { contraction, input, output, product, shapeOf, type Arithmetic, type CostFormula } from "./common.ts";

/** Conv / ConvInteger: MACs = N * M * prod(out spatial) * (C/group) * prod(kernel); bias adds one per output. */
function convolution(xIndex: number, wIndex: number, biasIndex: number | null, requantize: boolean): CostFormula {
  return (node: Node): Arithmetic => {
    shapeOf(input(node, xIndex), "X");
    const w = shapeOf(input(node, wIndex), "W");
    const y = shapeOf(output(node), "Y");
    // W is [M, C/group, k1..kn]: its trailing dims already are the (dilated or not) kernel.
    const perOutput = product(w.slice(1));
    const outputs = product(y);
    const macs = outputs * perOutput;
    const bias = biasIndex !== null && input(node, biasIndex) ? outputs : 0;
    // QLinearConv rescales each accumulator: multiply, add zero point, round, clamp.
    return contraction(macs, bias + (requantize ? 4 * outputs : 0));
  };
}

/** ConvTranspose scatters each input element through (M/group) x prod(kernel) weights. */
function convTranspose(node: Node): Arithmetic {
  const x = shapeOf(input(node, 0), "X");
  const w = shapeOf(input(node, 1), "W");
  const y = shapeOf(output(node), "Y");
  // W is [C, M/group, k1..kn]: each input element meets one row of (M/group)*prod(k) weights.
  const macs = product(x) * product(w.slice(1));
  const bias = input(node, 2) ? product(y) : 0;
  return contraction(macs, bias);
}

export const convFormulas: Record<string, CostFormula> = {
  Conv: convolution(0, 1, 2, false),
  ConvInteger: convolution(0, 1, null, false),
  // QLinearConv inputs: x, x_scale, x_zero_point, w, w_scale, w_zero_point, y_scale, y_zero_point, B.
  QLinearConv: convolution(0, 3, 8, true),
  ConvTranspose: convTranspose,
};
