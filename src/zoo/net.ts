// The layer vocabulary every family builds from: Conv, Linear (MatMul + Add), activations,
// LayerNorm, shape ops; seeded He-like weights, pruned per the spec. Families track their own
// static shapes (batch is a number), so every value's shape is inferable.
import { Builder, DataType, Graph, Tensor, floatAttr, intAttr, intsAttr, type Value } from "../../ir/index.ts";
import { seededRandom } from "../../ir/random.ts";
import { convLayout, matmulLayout, prune, type WeightLayout } from "./prune.ts";
import type { Activation, LayerNormForm, Pruning } from "./zoo-spec.ts";

export interface ConvOptions {
  kernel?: number;
  stride?: number;
  group?: number;
  /** Activation after the conv; false for a linear (projection) conv. Default: the net's. */
  act?: Activation | false;
  /** Stem and classifier stay dense. */
  prunable?: boolean;
  /** Default kernel/2 ("same"); 0 for patch embeddings. */
  pad?: number;
  /** Multiplies the init scale: < 1 on the last layer of a residual branch keeps sums tame. */
  gain?: number;
}

export class Net {
  readonly b: Builder;
  readonly rand: () => number;
  private readonly scalars = new Map<number, Value>();
  private readonly int64s = new Map<string, Value>();

  constructor(readonly graph: Graph, seed: number, readonly activation: Activation, readonly pruning: Pruning) {
    this.b = new Builder(graph);
    this.rand = seededRandom(seed);
  }

  /** Uniform weights with variance gain^2 * 2 / fanIn (He init for ReLU-like nets), pruned when prunable. */
  weight(name: string, dims: number[], fanIn: number, layout: WeightLayout | null, gain = 1): Value {
    const size = dims.reduce((a, b) => a * b, 1);
    const bound = gain * Math.sqrt(6 / fanIn);
    const data = new Float32Array(size);
    for (let i = 0; i < size; i++) data[i] = (this.rand() * 2 - 1) * bound;
    if (layout && this.pruning.kind !== "none") {
      const before = sumOfSquares(data);
      prune(data, layout, this.pruning);
      // Survivors are rescaled to the layer's former energy, as fine-tuning after pruning
      // restores it; without this a deep pruned net's signal fades under its biases and its
      // activations stop depending on the input.
      const after = sumOfSquares(data);
      if (after > 0) {
        const scale = Math.sqrt(before / after);
        for (let i = 0; i < size; i++) data[i] = data[i]! * scale;
      }
    }
    return this.b.initializer(Tensor.fromArray(name, DataType.FLOAT, dims, data));
  }

  /** Small nonzero biases, so ReLU sparsity differs from channel to channel. */
  bias(name: string, n: number, scale = 0.1): Value {
    return this.b.initializer(Tensor.fromArray(name, DataType.FLOAT, [n], Float32Array.from({ length: n }, () => (this.rand() * 2 - 1) * scale)));
  }

  constant(name: string, dims: number[], fill: (i: number) => number): Value {
    const size = dims.reduce((a, b) => a * b, 1);
    return this.b.initializer(Tensor.fromArray(name, DataType.FLOAT, dims, Float32Array.from({ length: size }, (_, i) => fill(i))));
  }

  scalar(value: number): Value {
    let v = this.scalars.get(value);
    if (!v) {
      v = this.b.initializer(Tensor.fromArray(`const_${String(value).replace(/[^0-9a-z]/gi, "_")}`, DataType.FLOAT, [], Float32Array.of(value)));
      this.scalars.set(value, v);
    }
    return v;
  }

  /** A shared int64 initializer (shapes, axes, slice bounds). */
  ints(values: readonly number[]): Value {
    const key = values.join(",");
    let v = this.int64s.get(key);
    if (!v) {
      v = this.b.initializer(Tensor.fromArray(`i64_${key.replace(/-/g, "m").replace(/,/g, "_")}`, DataType.INT64, [values.length], BigInt64Array.from(values, BigInt)));
      this.int64s.set(key, v);
    }
    return v;
  }

  conv(x: Value, cin: number, cout: number, name: string, o: ConvOptions = {}): Value {
    const k = o.kernel ?? 1;
    const group = o.group ?? 1;
    const dims = [cout, cin / group, k, k];
    const fanIn = (cin / group) * k * k;
    const w = this.weight(`${name}.weight`, dims, fanIn, o.prunable === false ? null : convLayout(dims), o.gain);
    const pad = o.pad ?? Math.floor(k / 2);
    const y = this.b.op1("Conv", [x, w, this.bias(`${name}.bias`, cout)], {
      name,
      attributes: [intsAttr("kernel_shape", [k, k]), intsAttr("strides", [o.stride ?? 1, o.stride ?? 1]), intsAttr("pads", [pad, pad, pad, pad]), intAttr("group", group)],
    });
    return o.act === false ? y : this.act(y, o.act ?? this.activation, `${name}_act`);
  }

  /** x[..., din] @ W[din, dout] + b. */
  linear(x: Value, din: number, dout: number, name: string, o: { act?: Activation | false; prunable?: boolean; gain?: number } = {}): Value {
    const w = this.weight(`${name}.weight`, [din, dout], din, o.prunable === false ? null : matmulLayout(din, dout), o.gain);
    const y = this.b.op1("Add", [this.b.op1("MatMul", [x, w], { name }), this.bias(`${name}.bias`, dout)], { name: `${name}_bias` });
    return o.act ? this.act(y, o.act, `${name}_act`) : y;
  }

  act(x: Value, kind: Activation, name: string): Value {
    switch (kind) {
      case "relu": return this.b.op1("Relu", [x], { name });
      case "relu6": return this.b.op1("Clip", [x, this.scalar(0), this.scalar(6)], { name });
      case "hardswish": return this.b.op1("HardSwish", [x], { name });
      case "gelu": return this.b.op1("Gelu", [x], { name });
      case "gelu-erf": {
        // 0.5 * x * (1 + erf(x / sqrt(2))), as PyTorch exports GELU below opset 20.
        const e = this.b.op1("Erf", [this.b.op1("Div", [x, this.scalar(Math.SQRT2)], { name: `${name}_div` })], { name: `${name}_erf` });
        const h = this.b.op1("Mul", [x, this.b.op1("Add", [e, this.scalar(1)], { name: `${name}_add` })], { name: `${name}_mul` });
        return this.b.op1("Mul", [h, this.scalar(0.5)], { name: `${name}_half` });
      }
    }
  }

  /** LayerNorm over the last axis (size `dim`), fused or decomposed. */
  layerNorm(x: Value, dim: number, form: LayerNormForm, name: string): Value {
    const gamma = this.constant(`${name}.gamma`, [dim], () => 1 + (this.rand() * 2 - 1) * 0.1);
    const beta = this.constant(`${name}.beta`, [dim], () => (this.rand() * 2 - 1) * 0.1);
    if (form === "fused") {
      return this.b.op1("LayerNormalization", [x, gamma, beta], { name, attributes: [intAttr("axis", -1), floatAttr("epsilon", 1e-5)] });
    }
    const axes = this.ints([-1]);
    const mean = this.b.op1("ReduceMean", [x, axes], { name: `${name}_mean` });
    const d = this.b.op1("Sub", [x, mean], { name: `${name}_sub` });
    const sq = this.b.op1("Pow", [d, this.scalar(2)], { name: `${name}_pow` });
    const variance = this.b.op1("ReduceMean", [sq, axes], { name: `${name}_var` });
    const std = this.b.op1("Sqrt", [this.b.op1("Add", [variance, this.scalar(1e-5)], { name: `${name}_eps` })], { name: `${name}_sqrt` });
    const n = this.b.op1("Div", [d, std], { name: `${name}_div` });
    return this.b.op1("Add", [this.b.op1("Mul", [n, gamma], { name: `${name}_scale` }), beta], { name: `${name}_shift` });
  }

  reshape(x: Value, shape: readonly number[], name: string): Value {
    return this.b.op1("Reshape", [x, this.ints(shape)], { name });
  }

  transpose(x: Value, perm: readonly number[], name: string): Value {
    return this.b.op1("Transpose", [x], { name, attributes: [intsAttr("perm", perm)] });
  }

  slice(x: Value, axis: number, start: number, end: number, name: string): Value {
    return this.b.op1("Slice", [x, this.ints([start]), this.ints([end]), this.ints([axis])], { name });
  }

  concat(xs: readonly Value[], axis: number, name: string): Value {
    return this.b.op1("Concat", xs, { name, attributes: [intAttr("axis", axis)] });
  }

  add(a: Value, b: Value, name: string): Value {
    return this.b.op1("Add", [a, b], { name });
  }

  /** GlobalAveragePool, Flatten, Gemm: the CNN classifier. */
  cnnHead(x: Value, channels: number, classes: number): Value {
    const pooled = this.b.op1("Flatten", [this.b.op1("GlobalAveragePool", [x], { name: "gap" })], { name: "flatten", attributes: [intAttr("axis", 1)] });
    const w = this.weight("fc.weight", [classes, channels], channels, null, 0.7);
    return this.b.op1("Gemm", [pooled, w, this.bias("fc.bias", classes)], { name: "fc", attributes: [intAttr("transB", 1)] });
  }
}

function sumOfSquares(data: Float32Array): number {
  let sum = 0;
  for (const x of data) sum += x * x;
  return sum;
}

/** MaxPool with 'same'-style padding (k/2), so the side becomes ceil(side / stride). */
export function maxPool(net: Net, x: Value, kernel: number, stride: number, name: string): Value {
  const p = stride === 1 || kernel % 2 === 1 ? Math.floor(kernel / 2) : 0;
  return net.b.op1("MaxPool", [x], { name, attributes: [intsAttr("kernel_shape", [kernel, kernel]), intsAttr("strides", [stride, stride]), intsAttr("pads", [p, p, p, p])] });
}
