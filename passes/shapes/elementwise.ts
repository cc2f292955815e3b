// Element-wise operators: unary ops and activations keep their input's shape; binary and
// variadic ops broadcast (numpy rules); Where broadcasts three ways. Small known operands fold,
// so shape arithmetic (Mul(Gather(Shape(x)), 2)) stays known.
import { DataType, isFloatType } from "../../ir/dtype.ts";
import type { Dim } from "../../ir/types.ts";
import { MAX_TRACKED_ELEMENTS, info, type RuleContext, type RuleTable, type TensorInfo } from "./context.ts";
import { allKnown, broadcastShapes, broadcastValues, product } from "./dims.ts";

/** Output 0 is input 0 with an unchanged shape and type; known elements pass through for Identity-like ops. */
export function sameAsInput(ctx: RuleContext, keepValue = false): TensorInfo[] | undefined {
  const x = ctx.input(0);
  if (!x) return undefined;
  return [info(x.elemType, x.shape, keepValue ? x.value : undefined)];
}

const UNARY = [
  "Abs", "Acos", "Acosh", "Asin", "Asinh", "Atan", "Atanh", "Ceil", "Celu", "Cos", "Cosh", "Elu", "Erf", "Exp",
  "Floor", "Gelu", "HardSigmoid", "HardSwish", "LeakyRelu", "Log", "Mish", "Neg", "Reciprocal", "Relu", "Round",
  "Selu", "Shrink", "Sigmoid", "Sign", "Sin", "Sinh", "Softplus", "Softsign", "Sqrt", "Swish", "Tan", "Tanh",
  "ThresholdedRelu", "BitwiseNot", "Not", "Clip",
  // same shape as input 0 (normalisations, softmax family, scans along an axis)
  "Softmax", "LogSoftmax", "Hardmax", "LRN", "InstanceNormalization", "GroupNormalization",
  "MeanVarianceNormalization", "LpNormalization", "RMSNormalization", "CumSum", "CumProd", "Trilu",
  "ReverseSequence", "ScatterElements", "Scatter", "ScatterND", "TensorScatter",
] as const;

/** Folds of unary ops on known numbers (shape arithmetic uses few of them). */
const UNARY_FOLD: Partial<Record<string, (x: number) => number>> = {
  Neg: (x) => -x, Abs: Math.abs, Floor: Math.floor, Ceil: Math.ceil, Sqrt: Math.sqrt,
  Round: roundHalfEven, Not: (x) => (x ? 0 : 1), Reciprocal: (x) => 1 / x, Sign: Math.sign,
};

function roundHalfEven(x: number): number {
  const r = Math.round(x);
  return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

function unary(op: string): (ctx: RuleContext) => TensorInfo[] | undefined {
  const fold = UNARY_FOLD[op];
  return (ctx) => {
    const x = ctx.input(0);
    if (!x) return undefined;
    const value = fold && x.value ? x.value.map((d) => (typeof d === "number" ? fold(d) : null)) : undefined;
    return [info(x.elemType, x.shape, value)];
  };
}

const isIntType = (t: number | undefined) => t !== undefined && !isFloatType(t);

type Fold = (a: Dim, b: Dim, elemType: number | undefined) => Dim;

const num = (f: (a: number, b: number, elemType: number | undefined) => number): Fold =>
  (a, b, t) => (typeof a === "number" && typeof b === "number" ? f(a, b, t) : null);

const BINARY: Record<string, { fold?: Fold; bool?: boolean }> = {
  Add: { fold: (a, b, t) => (b === 0 ? a : a === 0 ? b : num((x, y) => x + y)(a, b, t)) },
  Sub: { fold: (a, b, t) => (b === 0 ? a : a !== null && a === b ? 0 : num((x, y) => x - y)(a, b, t)) },
  Mul: { fold: (a, b, t) => (b === 1 ? a : a === 1 ? b : a === 0 || b === 0 ? 0 : num((x, y) => x * y)(a, b, t)) },
  Div: { fold: (a, b, t) => (b === 1 ? a : num((x, y, e) => (isIntType(e) ? Math.trunc(x / y) : x / y))(a, b, t)) },
  Mod: { fold: num((x, y) => x - Math.floor(x / y) * y) },
  Pow: { fold: num((x, y) => x ** y) },
  PRelu: {},
  BitShift: {}, BitwiseAnd: {}, BitwiseOr: {}, BitwiseXor: {},
  And: { fold: num((x, y) => (x && y ? 1 : 0)), bool: true },
  Or: { fold: num((x, y) => (x || y ? 1 : 0)), bool: true },
  Xor: { fold: num((x, y) => (!x !== !y ? 1 : 0)), bool: true },
  Equal: { fold: (a, b) => (a !== null && a === b ? 1 : typeof a === "number" && typeof b === "number" ? 0 : null), bool: true },
  Less: { fold: num((x, y) => (x < y ? 1 : 0)), bool: true },
  LessOrEqual: { fold: num((x, y) => (x <= y ? 1 : 0)), bool: true },
  Greater: { fold: num((x, y) => (x > y ? 1 : 0)), bool: true },
  GreaterOrEqual: { fold: num((x, y) => (x >= y ? 1 : 0)), bool: true },
};

const VARIADIC: Record<string, Fold | undefined> = {
  Max: num((x, y) => Math.max(x, y)), Min: num((x, y) => Math.min(x, y)), Sum: num((x, y) => x + y), Mean: undefined,
};

/** Broadcast of inputs `indices`; folds known elements with `fold` when every operand is known. */
function broadcastRule(ctx: RuleContext, indices: number[], elemType: number | undefined, fold?: (xs: Dim[]) => Dim): TensorInfo[] {
  const inputs = indices.map((i) => ctx.input(i));
  const shapes = inputs.map((x) => x?.shape);
  if (shapes.some((s) => s === undefined)) return [info(elemType, undefined)];
  const shape = broadcastShapes(shapes as Dim[][]);
  let value: Dim[] | undefined;
  if (fold && inputs.every((x) => x!.value !== undefined)) {
    const total = product(shape.map((d) => (typeof d === "number" ? d : Infinity)));
    if (total <= MAX_TRACKED_ELEMENTS) value = broadcastValues(inputs.map((x) => ({ shape: x!.shape!, value: x!.value! })), fold)?.value;
  }
  return [info(elemType, shape, value)];
}

function binary(op: string): (ctx: RuleContext) => TensorInfo[] {
  const { fold, bool } = BINARY[op]!;
  return (ctx) => {
    const t = ctx.dtype(0);
    return broadcastRule(ctx, [0, 1], bool ? DataType.BOOL : t, fold && ((xs) => fold(xs[0]!, xs[1]!, t)));
  };
}

function variadic(op: string): (ctx: RuleContext) => TensorInfo[] {
  const fold = VARIADIC[op];
  return (ctx) => {
    const t = ctx.dtype(0);
    const indices = ctx.node.inputs.map((_, i) => i).filter((i) => ctx.has(i));
    return broadcastRule(ctx, indices, t, fold && ((xs) => xs.reduce((a, b) => fold(a, b, t))));
  };
}

/** Cast of known elements to an element type: integers truncate toward zero, bool is x != 0. */
export function castValue(value: Dim[] | undefined, to: number): Dim[] | undefined {
  if (!value) return undefined;
  if (to === DataType.BOOL) return value.map((d) => (typeof d === "number" ? (d ? 1 : 0) : null));
  if (isFloatType(to)) return value;
  return value.map((d) => (typeof d === "number" ? Math.trunc(d) : d));
}

export const elementwiseRules: RuleTable = {
  ...Object.fromEntries(UNARY.map((op) => [op, unary(op)])),
  ...Object.fromEntries(Object.keys(BINARY).map((op) => [op, binary(op)])),
  ...Object.fromEntries(Object.keys(VARIADIC).map((op) => [op, variadic(op)])),
  Identity: (ctx) => sameAsInput(ctx, true),
  IsNaN: (ctx) => [info(DataType.BOOL, ctx.shape(0))],
  IsInf: (ctx) => [info(DataType.BOOL, ctx.shape(0))],
  RegexFullMatch: (ctx) => [info(DataType.BOOL, ctx.shape(0))],
  StringConcat: (ctx) => broadcastRule(ctx, [0, 1], DataType.STRING),
  Where: (ctx) => broadcastRule(ctx, [0, 1, 2], ctx.dtype(1), (xs) => (xs[0] === null || typeof xs[0] === "string" ? null : xs[0] ? xs[1]! : xs[2]!)),
  Cast: (ctx) => {
    const to = ctx.int("to", DataType.FLOAT);
    const x = ctx.input(0);
    return [info(to, x?.shape, castValue(x?.value, to))];
  },
  CastLike: (ctx) => {
    const to = ctx.dtype(1);
    const x = ctx.input(0);
    return [info(to, x?.shape, to === undefined ? undefined : castValue(x?.value, to))];
  },
  Dropout: (ctx) => {
    const x = ctx.input(0);
    // Opsets 1-9 gave the mask the input's type; 10 and later make it bool.
    const maskType = ctx.opset >= 10 ? DataType.BOOL : x?.elemType;
    return [info(x?.elemType, x?.shape, x?.value), info(maskType, x?.shape)];
  },
  BatchNormalization: (ctx) => {
    const x = ctx.input(0);
    const channels: Dim[] | undefined = x?.shape && x.shape.length >= 2 ? [x.shape[1]!] : undefined;
    // training_mode (opset 14+) adds running mean and variance, each [C].
    return [info(x?.elemType, x?.shape), info(ctx.dtype(3), channels), info(ctx.dtype(4), channels)];
  },
  LayerNormalization: (ctx) => {
    const x = ctx.input(0);
    const stash = ctx.int("stash_type", DataType.FLOAT);
    const rank = x?.shape?.length;
    let reduced: Dim[] | undefined;
    if (x?.shape && rank !== undefined) {
      const a = ctx.int("axis", -1);
      const ax = a < 0 ? a + rank : a;
      reduced = x.shape.map((d, i) => (i < ax ? d : 1));
    }
    return [info(x?.elemType, x?.shape), info(stash, reduced), info(stash, reduced)];
  },
  Expand: (ctx) => {
    const x = ctx.input(0);
    const target = ctx.value(1);
    const targetShape = ctx.shape(1);
    if (!x?.shape) return [info(x?.elemType, undefined)];
    if (!target) {
      const n = targetShape?.[0];
      if (typeof n !== "number") return [info(x.elemType, undefined)];
      return [info(x.elemType, broadcastShapes([x.shape, new Array<Dim>(n).fill(null)]).map((d, i, all) => {
        // A target dim that is unknown may still be 1, so only dims the input forces to >1 are certain.
        const own = x.shape![x.shape!.length - all.length + i];
        return typeof own === "number" && own !== 1 ? own : null;
      }))];
    }
    const shape = broadcastShapes([x.shape, target]);
    let value: Dim[] | undefined;
    if (x.value && allKnown(shape) && product(shape) <= MAX_TRACKED_ELEMENTS) {
      value = broadcastValues([{ shape: x.shape, value: x.value }, { shape, value: new Array<Dim>(product(shape)).fill(0) }], (xs) => xs[0]!)?.value;
    }
    return [info(x.elemType, shape, value)];
  },
  EyeLike: (ctx) => [info(ctx.int("dtype") ?? ctx.dtype(0), ctx.shape(0))],
  RandomUniformLike: (ctx) => [info(ctx.int("dtype") ?? ctx.dtype(0), ctx.shape(0))],
  RandomNormalLike: (ctx) => [info(ctx.int("dtype") ?? ctx.dtype(0), ctx.shape(0))],
  Bernoulli: (ctx) => [info(ctx.int("dtype") ?? ctx.dtype(0), ctx.shape(0))],
  RandomUniform: (ctx) => [info(ctx.int("dtype", DataType.FLOAT), ctx.ints("shape"))],
  RandomNormal: (ctx) => [info(ctx.int("dtype", DataType.FLOAT), ctx.ints("shape"))],
  QuantizeLinear: (ctx) => [info(ctx.int("output_dtype") || (ctx.has(2) ? ctx.dtype(2) : DataType.UINT8), ctx.shape(0))],
  DequantizeLinear: (ctx) => [info(ctx.int("output_dtype") || ctx.dtype(1), ctx.shape(0))],
  DynamicQuantizeLinear: (ctx) => [info(DataType.UINT8, ctx.shape(0)), info(DataType.FLOAT, []), info(DataType.UINT8, [])],
};
