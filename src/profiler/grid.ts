// The measurement grid of `sparoa profile`: single-op models built with the IR Builder, over a
// range of shapes per op family and a few input/weight sparsities. Every op keeps its input shape,
// so a chain of K copies can be timed against one copy: (t_K - t_1) / (K - 1) is the op's own time
// without the session.run overhead and without layout conversions at the model's edges.
import { Builder, DataType, Graph, Model, Tensor, floatAttr, intAttr, intsAttr, tensorType, type Value } from "../../ir/index.ts";
import { seededRandom } from "../../ir/random.ts";
import type { ProfileMode } from "../devices/host-machine.ts";
import type { OpFamily } from "../devices/op-family.ts";

export interface GridCase {
  id: string;
  family: OpFamily;
  opType: string;
  /** Work of one copy of the op, as the cost pass counts it (a multiply-add is 2 FLOPs). */
  flops: number;
  bytesRead: number;
  bytesWeights: number;
  bytesWritten: number;
  inputShape: number[];
  inputSparsity: number;
  weightSparsity: number;
  /** Part of `--quick`. */
  quick: boolean;
  /** Fit this kernel on its own rather than with its family (an outlier such as LRN): its kernel class. */
  ownOp?: string;
  /** The op of the node the kernel is charged to, when the chain has others (a fused kernel's root). */
  costOp?: string;
  /** The dense case this one varies by sparsity (its id), if any. */
  sparsityOf?: string;
  /** A model of `repeats` chained copies. */
  build(repeats: number): Model;
}

const F = 4; // bytes per f32

/** Fills a tensor with seeded values in [-1, 1), a `zeros` fraction set to exactly 0. */
export function randomData(size: number, zeros: number, seed: number): Float32Array {
  const rand = seededRandom(seed);
  const out = new Float32Array(size);
  // Drawn for the first 64K elements and tiled after that: the values do not change a dense
  // kernel's time, the zero fraction stays, and a 64 MB weight takes milliseconds, not seconds.
  const block = Math.min(size, RANDOM_BLOCK);
  for (let i = 0; i < block; i++) out[i] = rand() < zeros ? 0 : rand() * 2 - 1;
  for (let i = block; i < size; i += block) out.copyWithin(i, 0, Math.min(block, size - i));
  return out;
}

const RANDOM_BLOCK = 1 << 16;

function chainModel(name: string, shape: number[], repeats: number, step: (b: Builder, x: Value, i: number) => Value): Model {
  const g = new Graph(name);
  const b = new Builder(g);
  let v = b.input("x", tensorType(DataType.FLOAT, shape));
  for (let i = 0; i < repeats; i++) {
    v = step(b, v, i);
    v.type = tensorType(DataType.FLOAT, shape);
  }
  b.output(v);
  return new Model(g, { irVersion: 8, opsets: { "": 17 } });
}

function weight(b: Builder, name: string, dims: number[], zeros: number, seed: number): Value {
  const size = dims.reduce((a, c) => a * c, 1);
  const data = randomData(size, zeros, seed);
  const fanIn = size / dims[0]!;
  const scale = Math.sqrt(2 / Math.max(1, fanIn));
  for (let i = 0; i < size; i++) data[i]! *= scale;
  return b.initializer(Tensor.fromArray(name, DataType.FLOAT, dims, data));
}

function conv(c: number, h: number, k: number, group: number, quick: boolean, inSp = 0, wSp = 0): GridCase {
  const shape = [1, c, h, h];
  const act = c * h * h;
  const weights = c * (c / group) * k * k;
  const base = `conv c${c} h${h} k${k}${group > 1 ? " dw" : ""}`;
  const id = inSp || wSp ? `${base} in${inSp} w${wSp}` : base;
  return {
    id, family: "conv", opType: "Conv", flops: 2 * act * (c / group) * k * k, bytesRead: act * F, bytesWeights: (weights + c) * F, bytesWritten: act * F,
    inputShape: shape, inputSparsity: inSp, weightSparsity: wSp, quick, sparsityOf: inSp || wSp ? base : undefined,
    ownOp: group > 1 ? (group === c ? "Conv:depthwise" : "Conv:grouped") : undefined,
    build: (repeats) => chainModel(id, shape, repeats, (b, x, i) => b.op1("Conv", [x, weight(b, `w${i}`, [c, c / group, k, k], wSp, 10 + i), weight(b, `b${i}`, [c], 0, 50 + i)], {
      attributes: [intsAttr("kernel_shape", [k, k]), intsAttr("pads", Array(4).fill((k - 1) / 2)), intAttr("group", group)],
    })),
  };
}

function matmul(m: number, k: number, quick: boolean, inSp = 0, wSp = 0): GridCase {
  const base = `matmul m${m} k${k}`;
  const id = inSp || wSp ? `${base} in${inSp} w${wSp}` : base;
  return {
    id, family: "matmul", opType: "MatMul", flops: 2 * m * k * k, bytesRead: m * k * F, bytesWeights: k * k * F, bytesWritten: m * k * F,
    inputShape: [m, k], inputSparsity: inSp, weightSparsity: wSp, quick, sparsityOf: inSp || wSp ? base : undefined,
    build: (repeats) => chainModel(id, [m, k], repeats, (b, x, i) => b.op1("MatMul", [x, weight(b, `w${i}`, [k, k], wSp, 10 + i)])),
  };
}

function elementwise(op: "Add" | "Mul" | "Relu" | "Sigmoid", size: number, quick: boolean): GridCase {
  const binary = op === "Add" || op === "Mul";
  const id = `${op.toLowerCase()} n${size}`;
  return {
    id, family: "elementwise", opType: op, flops: size * (op === "Sigmoid" ? 4 : 1), bytesRead: size * F, bytesWeights: binary ? size * F : 0, bytesWritten: size * F,
    inputShape: [1, size], inputSparsity: 0, weightSparsity: 0, quick,
    build: (repeats) => chainModel(id, [1, size], repeats, (b, x, i) => b.op1(op, binary ? [x, weight(b, `c${i}`, [1, size], 0, 10 + i)] : [x])),
  };
}

function pool(op: "MaxPool" | "AveragePool", c: number, h: number, quick: boolean): GridCase {
  const act = c * h * h;
  const id = `${op.toLowerCase()} c${c} h${h}`;
  return {
    id, family: "pool", opType: op, flops: act * 9, bytesRead: act * F, bytesWeights: 0, bytesWritten: act * F,
    inputShape: [1, c, h, h], inputSparsity: 0, weightSparsity: 0, quick,
    build: (repeats) => chainModel(id, [1, c, h, h], repeats, (b, x) => b.op1(op, [x], { attributes: [intsAttr("kernel_shape", [3, 3]), intsAttr("pads", [1, 1, 1, 1])] })),
  };
}

function batchNorm(c: number, h: number, quick: boolean): GridCase {
  const act = c * h * h;
  const id = `batchnorm c${c} h${h}`;
  return {
    id, family: "norm", opType: "BatchNormalization", flops: act * 2, bytesRead: act * F, bytesWeights: 4 * c * F, bytesWritten: act * F,
    inputShape: [1, c, h, h], inputSparsity: 0, weightSparsity: 0, quick,
    build: (repeats) => chainModel(id, [1, c, h, h], repeats, (b, x, i) => {
      const positive = (name: string, seed: number) => { const v = weight(b, name, [c], 0, seed); const t = v.initializer!; const d = t.toArray() as Float32Array; for (let j = 0; j < d.length; j++) d[j] = 0.5 + Math.abs(d[j]!); v.initializer = Tensor.fromArray(t.name, DataType.FLOAT, [c], d); return v; };
      return b.op1("BatchNormalization", [x, positive(`s${i}`, 10 + i), weight(b, `b${i}`, [c], 0, 30 + i), weight(b, `m${i}`, [c], 0, 50 + i), positive(`v${i}`, 70 + i)]);
    }),
  };
}

/** LRN (AlexNet, GoogLeNet): far slower per byte than the other norms on onnxruntime's CPU. */
function lrn(c: number, h: number, quick: boolean): GridCase {
  const act = c * h * h;
  const id = `lrn c${c} h${h}`;
  return {
    id, family: "norm", opType: "LRN", flops: act * 9, bytesRead: act * F, bytesWeights: 0, bytesWritten: act * F,
    inputShape: [1, c, h, h], inputSparsity: 0, weightSparsity: 0, quick, ownOp: "LRN",
    build: (repeats) => chainModel(id, [1, c, h, h], repeats, (b, x) => b.op1("LRN", [x], { attributes: [intAttr("size", 5), floatAttr("alpha", 1e-4), floatAttr("beta", 0.75)] })),
  };
}

/**
 * A residual sum and the LayerNormalization after it, which onnxruntime runs as one
 * SkipLayerNormalization kernel (several times LayerNormalization's time on the CPU); the kernel
 * is charged to the Add (the fused chain's root), so the Add's cost is the sample's.
 */
function skipLayerNorm(rows: number, hidden: number, quick: boolean): GridCase {
  const act = rows * hidden;
  const id = `skiplayernorm m${rows} n${hidden}`;
  return {
    id, family: "elementwise", opType: "SkipLayerNormalization", costOp: "Add", ownOp: "SkipLayerNormalization", flops: act, bytesRead: 2 * act * F, bytesWeights: 0, bytesWritten: act * F,
    inputShape: [1, rows, hidden], inputSparsity: 0, weightSparsity: 0, quick,
    build: (repeats) => chainModel(id, [1, rows, hidden], repeats, (b, x, i) => {
      const sum = b.op1("Add", [x, b.op1("Relu", [x])]);
      return b.op1("LayerNormalization", [sum, weight(b, `g${i}`, [hidden], 0, 90 + i), weight(b, `be${i}`, [hidden], 0, 110 + i)], { attributes: [intAttr("axis", -1), floatAttr("epsilon", 1e-5)] });
    }),
  };
}

function softmax(m: number, n: number, quick: boolean): GridCase {
  const id = `softmax m${m} n${n}`;
  return {
    id, family: "softmax", opType: "Softmax", flops: m * n * 5, bytesRead: m * n * F, bytesWeights: 0, bytesWritten: m * n * F,
    inputShape: [m, n], inputSparsity: 0, weightSparsity: 0, quick,
    build: (repeats) => chainModel(id, [m, n], repeats, (b, x) => b.op1("Softmax", [x], { attributes: [intAttr("axis", -1)] })),
  };
}

function transpose(c: number, h: number, quick: boolean): GridCase {
  const act = c * h * h;
  const id = `transpose c${c} h${h}`;
  return {
    id, family: "data", opType: "Transpose", flops: 0, bytesRead: act * F, bytesWeights: 0, bytesWritten: act * F,
    inputShape: [1, c, h, h], inputSparsity: 0, weightSparsity: 0, quick, ownOp: "Transpose",
    // Always one copy: onnxruntime cancels a pair of transposes.
    build: () => chainModel(id, [1, c, h, h], 1, (b, x) => b.op1("Transpose", [x], { attributes: [intsAttr("perm", [0, 1, 3, 2])] })),
  };
}

/**
 * The ids of the `smoke` grid: one or two small kernels per family, enough for the fit to run
 * (a compute rate from 10+ MFLOP kernels, a bandwidth from 1+ MB ones) in a few seconds. Its
 * figures are rough: it exists so that tests can exercise the whole live-profile path.
 */
const SMOKE = new Set(["conv c32 h56 k3", "conv c32 h16 k1", "conv c32 h28 k3 dw", "matmul m64 k1024", "matmul m1 k256", "add n250000", "relu n250000", "maxpool c64 h56", "batchnorm c64 h56", "softmax m64 n1024", "transpose c64 h56"]);

/** The grid: `quick` keeps about a third of the cases, enough to fit every family; `smoke` a few. */
export function profileGrid(mode: ProfileMode | boolean): GridCase[] {
  const m: ProfileMode = mode === true ? "quick" : mode === false ? "full" : mode;
  const all: GridCase[] = [
    conv(8, 16, 3, 1, true), conv(16, 32, 3, 1, false), conv(32, 16, 1, 1, true),
    conv(16, 112, 3, 1, false), conv(32, 56, 3, 1, true), conv(64, 56, 3, 1, true), conv(64, 56, 1, 1, false),
    conv(128, 28, 3, 1, false), conv(128, 28, 1, 1, true), conv(256, 14, 3, 1, true), conv(256, 14, 1, 1, false),
    conv(512, 7, 3, 1, false), conv(512, 7, 1, 1, true), conv(64, 56, 3, 64, true), conv(256, 14, 3, 256, false),
    conv(32, 28, 3, 32, true), conv(128, 14, 3, 128, false), conv(240, 28, 1, 3, false),
    conv(64, 56, 3, 1, false, 0.5, 0), conv(64, 56, 3, 1, true, 0.9, 0), conv(64, 56, 3, 1, true, 0, 0.9),
    matmul(1, 64, true), matmul(16, 128, false), matmul(1, 256, false), matmul(1, 1024, true), matmul(16, 512, false), matmul(64, 1024, true), matmul(256, 1024, false), matmul(1, 4096, false),
    matmul(64, 1024, false, 0.9, 0), matmul(64, 1024, true, 0, 0.9),
    elementwise("Add", 1_000, true), elementwise("Add", 10_000, true), elementwise("Add", 250_000, false), elementwise("Add", 1_000_000, true), elementwise("Add", 4_000_000, true),
    elementwise("Relu", 250_000, true), elementwise("Relu", 1_000_000, false), elementwise("Sigmoid", 250_000, false), elementwise("Mul", 1_000_000, false),
    pool("MaxPool", 16, 16, true), pool("MaxPool", 64, 56, true), pool("MaxPool", 256, 14, false), pool("AveragePool", 128, 28, false),
    batchNorm(64, 56, true), batchNorm(256, 14, false), lrn(64, 56, true), lrn(192, 28, false),
    softmax(1, 1000, false), softmax(64, 1024, true), skipLayerNorm(64, 128, true), skipLayerNorm(196, 384, false),
    transpose(64, 56, true), transpose(256, 14, false),
  ];
  if (m === "smoke") return all.filter((c) => SMOKE.has(c.id));
  return m === "quick" ? all.filter((c) => c.quick) : all;
}

/**
 * Two 3x3 convolutions on a 64x56x56 activation as one model, and one of them alone: run as two
 * sessions, the pair pays for handing the activation across a session boundary (onnxruntime
 * reorders it out of and back into its blocked layout, and copies it out to JS), which is what
 * every partition boundary between CPU workers costs on top of moving the bytes.
 */
export function handoffModels(): { whole: Model; half: Model; bytes: number } {
  const c = conv(64, 56, 3, 1, true);
  return { whole: c.build(2), half: c.build(1), bytes: c.bytesWritten };
}

/** A chain of `repeats` tiny Adds: the per-kernel dispatch overhead is the slope over repeats. */
export function dispatchModel(repeats: number): Model {
  return chainModel(`dispatch${repeats}`, [1, 16], repeats, (b, x, i) => b.op1("Add", [x, weight(b, `c${i}`, [1, 16], 0, i)]));
}
