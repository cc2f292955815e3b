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

export interface VitOptions {
  /** Encoder blocks. Default 12. */
  depth?: number;
  /** Embedding width. Default 192 (ViT-Tiny). */
  dim?: number;
  /** Attention heads, each computed separately (Slice per head, as unrolled exports do). Default 12. */
  heads?: number;
  /** Image side and patch side. Defaults 224 and 16 (196 tokens). */
  image?: number;
  patch?: number;
}

/**
 * A ViT-like transformer as a PyTorch-style export writes it: a 16x16 stride-16 Conv patch
 * embedding, then `depth` pre-norm encoder blocks: LayerNormalization decomposed (ReduceMean, Sub,
 * Pow, ReduceMean, Add, Sqrt, Div, Mul, Add), Q/K/V MatMul+Add, per-head Slice -> MatMul(Q, K^T)
 * -> Div -> Softmax -> MatMul(V), Concat, output projection, residual Add, an Erf-GELU MLP and
 * a second residual Add; scalars and slice bounds as Constant nodes and the token reshape through
 * a Shape -> Gather -> Unsqueeze -> Concat chain (constants and shape nodes, as exports have).
 * 12 blocks x 12 heads: about 1,450 placeable nodes of 3,900. Input [1, 3, image, image].
 */
export function vitLike(options: VitOptions = {}): Model {
  const depth = options.depth ?? 12;
  const dim = options.dim ?? 192;
  const heads = options.heads ?? 12;
  const image = options.image ?? 224;
  const patch = options.patch ?? 16;
  if (dim % heads !== 0) throw new Error(`vitLike: dim ${dim} is not a multiple of heads ${heads}`);
  const headDim = dim / heads;
  const tokens = (image / patch) ** 2;
  const rand = seededRandom(7);
  const g = new Graph(`vit_like_d${depth}`);
  const b = new Builder(g);
  let constants = 0;
  const scalar = (value: number, name: string): Value =>
    b.op1("Constant", [], { name: `${name}_const${constants++}`, attributes: [{ name: "value", kind: "tensor", value: Tensor.fromArray(`${name}_value${constants}`, DataType.FLOAT, [], Float32Array.of(value)) }] });
  const ints = (values: number[], name: string): Value =>
    b.op1("Constant", [], { name: `${name}_const${constants++}`, attributes: [{ name: "value", kind: "tensor", value: Tensor.fromArray(`${name}_value${constants}`, DataType.INT64, [values.length], BigInt64Array.from(values.map(BigInt))) }] });
  const linear = (h: Value, cin: number, cout: number, name: string): Value => {
    const y = b.op1("MatMul", [h, b.initializer(weights(rand, `${name}.w`, [cin, cout]))], { name: `${name}_matmul` });
    return b.op1("Add", [y, b.initializer(weights(rand, `${name}.b`, [cout]))], { name: `${name}_bias` });
  };
  const layerNorm = (h: Value, name: string): Value => {
    const mean = b.op1("ReduceMean", [h], { name: `${name}_mean`, attributes: [intsAttr("axes", [-1])] });
    const centered = b.op1("Sub", [h, mean], { name: `${name}_sub` });
    const sq = b.op1("Pow", [centered, scalar(2, name)], { name: `${name}_pow` });
    const variance = b.op1("ReduceMean", [sq], { name: `${name}_var`, attributes: [intsAttr("axes", [-1])] });
    const std = b.op1("Sqrt", [b.op1("Add", [variance, scalar(1e-6, name)], { name: `${name}_eps` })], { name: `${name}_sqrt` });
    const normed = b.op1("Div", [centered, std], { name: `${name}_div` });
    const scaled = b.op1("Mul", [normed, b.initializer(weights(rand, `${name}.gamma`, [dim]))], { name: `${name}_gamma` });
    return b.op1("Add", [scaled, b.initializer(weights(rand, `${name}.beta`, [dim]))], { name: `${name}_beta` });
  };

  const x = b.input("image", tensorType(DataType.FLOAT, [1, 3, image, image]));
  const embedded = b.op1("Conv", [x, b.initializer(weights(rand, "patch.w", [dim, 3, patch, patch])), b.initializer(weights(rand, "patch.b", [dim]))], {
    name: "patch_embed", attributes: [intsAttr("kernel_shape", [patch, patch]), intsAttr("strides", [patch, patch])],
  });
  // [1, dim, s, s] -> [1, dim, tokens] with the batch read from the tensor, as exports do.
  const batchDim = b.op1("Gather", [b.op1("Shape", [embedded], { name: "embed_shape" }), ints([0], "embed_batch_index")], { name: "embed_batch", attributes: [intAttr("axis", 0)] });
  const flatShape = b.op1("Concat", [batchDim, ints([dim, tokens], "embed_rest")], { name: "embed_flat_shape", attributes: [intAttr("axis", 0)] });
  const flat = b.op1("Reshape", [embedded, flatShape], { name: "embed_flatten" });
  let h = b.op1("Transpose", [flat], { name: "embed_transpose", attributes: [intsAttr("perm", [0, 2, 1])] });
  h = b.op1("Add", [h, b.initializer(weights(rand, "pos_embed", [1, tokens, dim]))], { name: "pos_embed_add" });

  for (let l = 0; l < depth; l++) {
    const p = `block${l}`;
    const n1 = layerNorm(h, `${p}_ln1`);
    const q = linear(n1, dim, dim, `${p}_q`);
    const k = linear(n1, dim, dim, `${p}_k`);
    const v = linear(n1, dim, dim, `${p}_v`);
    const kT = b.op1("Transpose", [k], { name: `${p}_kT`, attributes: [intsAttr("perm", [0, 2, 1])] });
    const outs: Value[] = [];
    for (let head = 0; head < heads; head++) {
      const hp = `${p}_h${head}`;
      const lo = head * headDim;
      const slice = (t: Value, axis: number, what: string) => b.op1("Slice", [t, ints([lo], `${hp}_${what}_start`), ints([lo + headDim], `${hp}_${what}_end`), ints([axis], `${hp}_${what}_axis`)], { name: `${hp}_${what}` });
      const scores = b.op1("MatMul", [slice(q, 2, "q"), slice(kT, 1, "k")], { name: `${hp}_scores` });
      const scaled = b.op1("Div", [scores, scalar(Math.sqrt(headDim), hp)], { name: `${hp}_scale` });
      const attn = b.op1("Softmax", [scaled], { name: `${hp}_softmax`, attributes: [intAttr("axis", -1)] });
      outs.push(b.op1("MatMul", [attn, slice(v, 2, "v")], { name: `${hp}_context` }));
    }
    const context = b.op1("Concat", outs, { name: `${p}_concat`, attributes: [intAttr("axis", -1)] });
    h = b.op1("Add", [h, linear(context, dim, dim, `${p}_proj`)], { name: `${p}_residual1` });
    const n2 = layerNorm(h, `${p}_ln2`);
    const up = linear(n2, dim, 4 * dim, `${p}_fc1`);
    const erf = b.op1("Erf", [b.op1("Div", [up, scalar(Math.SQRT2, p)], { name: `${p}_gelu_div` })], { name: `${p}_gelu_erf` });
    const half = b.op1("Mul", [b.op1("Mul", [up, b.op1("Add", [erf, scalar(1, p)], { name: `${p}_gelu_add` })], { name: `${p}_gelu_mul` }), scalar(0.5, p)], { name: `${p}_gelu_half` });
    h = b.op1("Add", [h, linear(half, 4 * dim, dim, `${p}_fc2`)], { name: `${p}_residual2` });
  }
  h = layerNorm(h, "final_ln");
  const pooled = b.op1("ReduceMean", [h], { name: "pool", attributes: [intsAttr("axes", [1]), intAttr("keepdims", 0)] });
  const logits = linear(pooled, dim, 1000, "head");
  logits.name = "logits";
  b.output(logits);
  return new Model(g, { irVersion: 8, opsets: { "": 13 } });
}
