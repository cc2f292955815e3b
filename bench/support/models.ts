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
 * A ViT as torchvision exports it (vit_b_16 layout, smaller): 16x16 patch Conv, flatten, a
 * position embedding, `layers` pre-norm encoder blocks (LayerNormalization, separate q/k/v
 * MatMuls, scaled-dot-product attention with Softmax, Erf-GELU MLP, residual Adds), final
 * LayerNorm, token mean and a 1000-way head. Reshapes of the attention take their target shape
 * from Shape/Gather/Concat arithmetic on the activation, as PyTorch's exporter writes them.
 * Input ["N", 3, size, size]. ViT-Ti/16: dim 192, heads 3; ViT-S/16: dim 384, heads 6.
 */
export function vitLike(options: { layers?: number; dim?: number; heads?: number; size?: number } = {}): Model {
  const { layers = 4, dim = 192, heads = 3, size = 224 } = options;
  const rand = seededRandom(17);
  const g = new Graph("vit_like");
  const b = new Builder(g);
  const tokens = (size / 16) ** 2;
  const dh = dim / heads;
  const ints = (name: string, values: number[]) => b.initializer(Tensor.fromArray(name, DataType.INT64, [values.length], BigInt64Array.from(values.map(BigInt))));
  const floats = (name: string, dims: number[], f: () => number) => b.initializer(Tensor.fromArray(name, DataType.FLOAT, dims, Float32Array.from({ length: dims.reduce((a, c) => a * c, 1) }, f)));
  const x = b.input("image", tensorType(DataType.FLOAT, ["N", 3, size, size]));
  let h = b.op1("Conv", [x, b.initializer(weights(rand, "conv_proj.weight", [dim, 3, 16, 16])), b.initializer(weights(rand, "conv_proj.bias", [dim]))], {
    name: "conv_proj", attributes: [intsAttr("kernel_shape", [16, 16]), intsAttr("strides", [16, 16])],
  });
  h = b.op1("Reshape", [h, ints("flat_shape", [0, dim, tokens])], { name: "flatten" });
  h = b.op1("Transpose", [h], { name: "to_tokens", attributes: [intsAttr("perm", [0, 2, 1])] });
  h = b.op1("Add", [h, floats("pos_embedding", [1, tokens, dim], () => (rand() - 0.5) * 0.04)], { name: "add_pos" });
  const layerNorm = (v: Value, name: string) => b.op1("LayerNormalization", [v, floats(`${name}.weight`, [dim], () => 1), floats(`${name}.bias`, [dim], () => 0)], { name, attributes: [intAttr("axis", -1)] });
  const linear = (v: Value, name: string, cin: number, cout: number) => {
    const mm = b.op1("MatMul", [v, b.initializer(weights(rand, `${name}.weight`, [cin, cout]))], { name: `${name}.matmul` });
    return b.op1("Add", [mm, b.initializer(weights(rand, `${name}.bias`, [cout]))], { name: `${name}.add` });
  };
  for (let l = 0; l < layers; l++) {
    const p = `encoder.layers.${l}`;
    const normed = layerNorm(h, `${p}.ln_1`);
    // The exporter's shape arithmetic: [batch, tokens] from Shape, then [batch, tokens, heads, dh].
    const shape = b.op1("Shape", [normed], { name: `${p}.attn.shape` });
    const lead = b.op1("Slice", [shape, ints(`${p}.attn.s0`, [0]), ints(`${p}.attn.s2`, [2])], { name: `${p}.attn.lead` });
    const split = b.op1("Concat", [lead, ints(`${p}.attn.heads`, [heads, dh])], { name: `${p}.attn.split_shape`, attributes: [intAttr("axis", 0)] });
    const merge = b.op1("Concat", [lead, ints(`${p}.attn.dim`, [dim])], { name: `${p}.attn.merge_shape`, attributes: [intAttr("axis", 0)] });
    const headsOf = (name: string, perm: number[]) => {
      const t = b.op1("Reshape", [linear(normed, `${p}.attn.${name}`, dim, dim), split], { name: `${p}.attn.${name}.reshape` });
      return b.op1("Transpose", [t], { name: `${p}.attn.${name}.transpose`, attributes: [intsAttr("perm", perm)] });
    };
    const q = headsOf("q", [0, 2, 1, 3]);
    const k = headsOf("k", [0, 2, 3, 1]);
    const v = headsOf("v", [0, 2, 1, 3]);
    let a = b.op1("MatMul", [q, k], { name: `${p}.attn.scores` });
    a = b.op1("Mul", [a, floats(`${p}.attn.scale`, [], () => 1 / Math.sqrt(dh))], { name: `${p}.attn.scale_mul` });
    a = b.op1("Softmax", [a], { name: `${p}.attn.softmax`, attributes: [intAttr("axis", -1)] });
    a = b.op1("MatMul", [a, v], { name: `${p}.attn.context` });
    a = b.op1("Transpose", [a], { name: `${p}.attn.merge_transpose`, attributes: [intsAttr("perm", [0, 2, 1, 3])] });
    a = b.op1("Reshape", [a, merge], { name: `${p}.attn.merge_reshape` });
    h = b.op1("Add", [h, linear(a, `${p}.attn.out_proj`, dim, dim)], { name: `${p}.residual_1` });
    const m = linear(layerNorm(h, `${p}.ln_2`), `${p}.mlp.fc1`, dim, 4 * dim);
    // GELU as exported: x * 0.5 * (1 + erf(x / sqrt 2)).
    const erf = b.op1("Erf", [b.op1("Div", [m, floats(`${p}.mlp.sqrt2`, [], () => Math.SQRT2)], { name: `${p}.mlp.gelu.div` })], { name: `${p}.mlp.gelu.erf` });
    const one = b.op1("Add", [erf, floats(`${p}.mlp.one`, [], () => 1)], { name: `${p}.mlp.gelu.add` });
    const gelu = b.op1("Mul", [b.op1("Mul", [m, one], { name: `${p}.mlp.gelu.mul` }), floats(`${p}.mlp.half`, [], () => 0.5)], { name: `${p}.mlp.gelu.half` });
    h = b.op1("Add", [h, linear(gelu, `${p}.mlp.fc2`, 4 * dim, dim)], { name: `${p}.residual_2` });
  }
  h = layerNorm(h, "encoder.ln");
  h = b.op1("ReduceMean", [h], { name: "token_mean", attributes: [intsAttr("axes", [1]), intAttr("keepdims", 0)] });
  const logits = linear(h, "heads.head", dim, 1000);
  logits.name = "logits";
  logits.type = tensorType(DataType.FLOAT, ["N", 1000]);
  b.output(logits);
  return new Model(g, { irVersion: 8, opsets: { "": 17 } });
}
