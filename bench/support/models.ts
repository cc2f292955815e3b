// Models the runtime benchmarks build with the IR Builder (seeded weights, symbolic batch).
import { Builder, DataType, Graph, Model, intAttr, intsAttr, tensorType, type Value } from "../../ir/index.ts";
import { twoBranch, weights } from "../../fixtures/make-fixtures.ts";
import { seededRandom } from "../../ir/random.ts";

/** Two independent MatMul+Relu chains of equal cost, joined by an Add; input [batch, width]. */
export const twoBranchModel = (width: number, depth: number): Model => twoBranch(width, depth);

/**
 * MobileNet v1 shape with width multiplier `alpha`: a 3x3 stride-2 conv, then 13 depthwise-
 * separable blocks (3x3 depthwise + 1x1 pointwise, each with bias and ReLU), global average
 * pool and a 1000-way Gemm. Input [batch, 3, size, size].
 */
export function mobileNetLike(alpha = 0.5, size = 128): Model {
  const rand = seededRandom(5);
  const g = new Graph("mobilenet_like");
  const b = new Builder(g);
  const c = (n: number) => Math.max(8, Math.round(n * alpha));
  const x = b.input("image", tensorType(DataType.FLOAT, ["batch", 3, size, size]));
  const conv = (h: Value, cin: number, cout: number, k: number, stride: number, group: number, name: string): Value => {
    const w = b.initializer(weights(rand, `${name}.w`, [cout, cin / group, k, k]));
    const bias = b.initializer(weights(rand, `${name}.b`, [cout]));
    const pad = (k - 1) / 2;
    const out = b.op1("Conv", [h, w, bias], {
      name, attributes: [intsAttr("kernel_shape", [k, k]), intsAttr("strides", [stride, stride]), intsAttr("pads", [pad, pad, pad, pad]), intAttr("group", group)],
    });
    return b.op1("Relu", [out], { name: `${name}_relu` });
  };
  let h = conv(x, 3, c(32), 3, 2, 1, "stem");
  let channels = c(32);
  const blocks: [number, number][] = [[64, 1], [128, 2], [128, 1], [256, 2], [256, 1], [512, 2], [512, 1], [512, 1], [512, 1], [512, 1], [512, 1], [1024, 2], [1024, 1]];
  blocks.forEach(([out, stride], i) => {
    h = conv(h, channels, channels, 3, stride, channels, `block${i}_dw`);
    h = conv(h, channels, c(out), 1, 1, 1, `block${i}_pw`);
    channels = c(out);
  });
  h = b.op1("GlobalAveragePool", [h], { name: "gap" });
  h = b.op1("Flatten", [h], { name: "flatten", attributes: [intAttr("axis", 1)] });
  const logits = b.op1("Gemm", [h, b.initializer(weights(rand, "fc.w", [1000, channels])), b.initializer(weights(rand, "fc.b", [1000]))], { name: "fc", attributes: [intAttr("transB", 1)] });
  logits.name = "logits";
  logits.type = tensorType(DataType.FLOAT, ["batch", 1000]);
  b.output(logits);
  return new Model(g, { irVersion: 8, opsets: { "": 13 } });
}


export { vitLike } from "../../fixtures/vit.ts";
