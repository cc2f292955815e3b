// Resize / Upsample: nearest is pure data movement; linear and cubic interpolation weigh 2 or
// 4 source points along each resized axis, so an output element is a weighted sum of 2^d or
// 4^d points (d = axes whose size changes): p multiplies and p-1 adds. Computing coordinates
// and weights is per axis position, not per element, and is not counted.
import type { Node } from "../../ir/node.ts";
import { input, ops, output, shapeOf, stringAttr, type Arithmetic } from "./common.ts";

function resize(node: Node): Arithmetic {
  const x = shapeOf(input(node, 0), "X");
  const y = shapeOf(output(node), "Y");
  const mode = stringAttr(node, "mode", "nearest");
  const pointsPerAxis = mode === "cubic" ? 4 : mode === "linear" || mode === "bilinear" ? 2 : 1;
  const resizedAxes = y.filter((d, i) => d !== x[i]).length;
  const points = pointsPerAxis ** resizedAxes;
  const elements = y.reduce((a, b) => a * b, 1);
  return ops(points > 1 ? elements * (2 * points - 1) : 0);
}

export const resizeFormulas = { Resize: resize, Upsample: resize };
