// Models the runtime benchmarks build with the IR Builder (seeded weights, symbolic batch).
import { Builder, DataType, Graph, Model, Tensor, intAttr, intsAttr, tensorType, type Value } from "../../ir/index.ts";
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

/**
 * A transformer encoder: `layers` blocks of multi-head self-attention (Q/K/V MatMuls, heads split
 * by Reshape/Transpose, scaled scores, Softmax, output projection) and a ReLU feed-forward of
 * 4 x dModel, each with a residual Add and LayerNormalization. Input [1, seq, dModel].
 */
export function transformerLike(layers = 4, dModel = 128, seq = 64, heads = 4): Model {
  const rand = seededRandom(13);
  const g = new Graph("transformer_like");
  const b = new Builder(g);
  const dh = dModel / heads;
  const shape = (name: string, dims: number[]) => b.initializer(Tensor.fromArray(name, DataType.INT64, [dims.length], BigInt64Array.from(dims.map(BigInt))));
  const linear = (h: Value, din: number, dout: number, name: string) =>
    b.op1("Add", [b.op1("MatMul", [h, b.initializer(weights(rand, `${name}.w`, [din, dout]))], { name: `${name}_matmul` }), b.initializer(weights(rand, `${name}.b`, [dout]))], { name: `${name}_bias` });
  const norm = (h: Value, name: string) => b.op1("LayerNormalization", [h, b.initializer(Tensor.fromArray(`${name}.g`, DataType.FLOAT, [dModel], new Float32Array(dModel).fill(1))), b.initializer(Tensor.fromArray(`${name}.b`, DataType.FLOAT, [dModel], new Float32Array(dModel)))], { name, attributes: [intAttr("axis", -1)] });
  const splitHeads = shape("split_heads", [1, seq, heads, dh]);
  const mergeHeads = shape("merge_heads", [1, seq, dModel]);
  const scale = b.initializer(Tensor.fromArray("scale", DataType.FLOAT, [], Float32Array.of(1 / Math.sqrt(dh))));
  let h: Value = b.input("tokens", tensorType(DataType.FLOAT, [1, seq, dModel]));
  for (let l = 0; l < layers; l++) {
    const heads4 = (v: Value, perm: number[], name: string) => b.op1("Transpose", [b.op1("Reshape", [v, splitHeads], { name: `${name}_reshape` })], { name: `${name}_transpose`, attributes: [intsAttr("perm", perm)] });
    const q = heads4(linear(h, dModel, dModel, `l${l}_q`), [0, 2, 1, 3], `l${l}_q`);
    const k = heads4(linear(h, dModel, dModel, `l${l}_k`), [0, 2, 3, 1], `l${l}_k`);
    const v = heads4(linear(h, dModel, dModel, `l${l}_v`), [0, 2, 1, 3], `l${l}_v`);
    const scores = b.op1("Softmax", [b.op1("Mul", [b.op1("MatMul", [q, k], { name: `l${l}_scores` }), scale], { name: `l${l}_scale` })], { name: `l${l}_softmax`, attributes: [intAttr("axis", -1)] });
    const context = b.op1("Reshape", [b.op1("Transpose", [b.op1("MatMul", [scores, v], { name: `l${l}_context` })], { name: `l${l}_merge_transpose`, attributes: [intsAttr("perm", [0, 2, 1, 3])] }), mergeHeads], { name: `l${l}_merge` });
    h = norm(b.op1("Add", [h, linear(context, dModel, dModel, `l${l}_out`)], { name: `l${l}_residual1` }), `l${l}_norm1`);
    const ffn = linear(b.op1("Relu", [linear(h, dModel, 4 * dModel, `l${l}_ffn1`)], { name: `l${l}_ffn_relu` }), 4 * dModel, dModel, `l${l}_ffn2`);
    h = norm(b.op1("Add", [h, ffn], { name: `l${l}_residual2` }), `l${l}_norm2`);
  }
  h.name = "hidden";
  h.type = tensorType(DataType.FLOAT, [1, seq, dModel]);
  b.output(h);
  return new Model(g, { irVersion: 8, opsets: { "": 17 } });
}

/**
 * Inception-style multi-branch CNN: `blocks` blocks of four parallel branches (1x1 conv; 1x1 then
 * 3x3; 1x1 then 5x5; 3x3 max pool then 1x1) concatenated, on a [1, 3, size, size] image.
 */
export function multiBranchCnn(blocks = 3, width = 32, size = 32): Model {
  const rand = seededRandom(17);
  const g = new Graph("multi_branch_cnn");
  const b = new Builder(g);
  const conv = (h: Value, cin: number, cout: number, k: number, name: string) => b.op1("Relu", [b.op1("Conv", [h, b.initializer(weights(rand, `${name}.w`, [cout, cin, k, k], 0.3)), b.initializer(weights(rand, `${name}.b`, [cout]))], {
    name, attributes: [intsAttr("kernel_shape", [k, k]), intsAttr("pads", Array(4).fill((k - 1) / 2))],
  })], { name: `${name}_relu` });
  let h = conv(b.input("image", tensorType(DataType.FLOAT, [1, 3, size, size])), 3, width, 3, "stem");
  let channels = width;
  for (let k = 0; k < blocks; k++) {
    const q = width / 2;
    const branches = [
      conv(h, channels, q, 1, `b${k}_1x1`),
      conv(conv(h, channels, q, 1, `b${k}_3x3_reduce`), q, q, 3, `b${k}_3x3`),
      conv(conv(h, channels, q / 2, 1, `b${k}_5x5_reduce`), q / 2, q, 5, `b${k}_5x5`),
      conv(b.op1("MaxPool", [h], { name: `b${k}_pool`, attributes: [intsAttr("kernel_shape", [3, 3]), intsAttr("pads", [1, 1, 1, 1])] }), channels, q, 1, `b${k}_pool_proj`),
    ];
    h = b.op1("Concat", branches, { name: `b${k}_concat`, attributes: [intAttr("axis", 1)] });
    channels = 4 * q;
  }
  h = b.op1("Flatten", [b.op1("GlobalAveragePool", [h], { name: "gap" })], { name: "flatten", attributes: [intAttr("axis", 1)] });
  const logits = b.op1("Gemm", [h, b.initializer(weights(rand, "fc.w", [10, channels])), b.initializer(weights(rand, "fc.b", [10]))], { name: "fc", attributes: [intAttr("transB", 1)] });
  logits.name = "logits";
  logits.type = tensorType(DataType.FLOAT, [1, 10]);
  b.output(logits);
  return new Model(g, { irVersion: 8, opsets: { "": 13 } });
}
