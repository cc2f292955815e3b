// Operators that make tensors from attributes or from other tensors' shapes: Constant, Shape,
// Size, ConstantOfShape, Range, EyeLike's cousins the window functions. Their elements are
// what shape-computing subgraphs are made of, so they are tracked.
import { DataType, isFloatType } from "../../ir/dtype.ts";
import type { Tensor } from "../../ir/tensor.ts";
import type { Dim } from "../../ir/types.ts";
import { MAX_TRACKED_ELEMENTS, ShapeError, info, type RuleContext, type RuleTable, type TensorInfo } from "./context.ts";
import { dimProduct } from "./dims.ts";

const NUMERIC = new Set<number>([
  DataType.FLOAT, DataType.DOUBLE, DataType.FLOAT16, DataType.BFLOAT16, DataType.INT8, DataType.UINT8,
  DataType.INT16, DataType.UINT16, DataType.INT32, DataType.UINT32, DataType.INT64, DataType.UINT64, DataType.BOOL,
]);

/** Type, shape and (for small numeric tensors) elements of a constant tensor. */
export function tensorInfo(t: Tensor): TensorInfo {
  const shape = [...t.dims];
  if (t.size > MAX_TRACKED_ELEMENTS || !NUMERIC.has(t.dtype)) return info(t.dtype, shape);
  try {
    return info(t.dtype, shape, t.toNumbers());
  } catch {
    return info(t.dtype, shape);
  }
}

function constant(ctx: RuleContext): TensorInfo[] | undefined {
  const a = ctx.node.attributes.values().next().value;
  if (!a) return undefined;
  switch (a.kind) {
    case "tensor": return [tensorInfo(a.value)];
    case "float": return [info(DataType.FLOAT, [], [a.value])];
    case "floats": return [info(DataType.FLOAT, [a.value.length], a.value)];
    case "int": return [info(DataType.INT64, [], [Number(a.value)])];
    case "ints": return [info(DataType.INT64, [a.value.length], a.value.map(Number))];
    case "string": return [info(DataType.STRING, [])];
    case "strings": return [info(DataType.STRING, [a.value.length])];
    default: return undefined; // sparse_value: dense shape not modelled
  }
}

function shape(ctx: RuleContext): TensorInfo[] {
  const x = ctx.shape(0);
  if (!x) return [info(DataType.INT64, [null])];
  const rank = x.length;
  const clamp = (v: number) => Math.min(Math.max(v < 0 ? v + rank : v, 0), rank);
  const start = clamp(ctx.int("start", 0));
  const end = clamp(ctx.int("end", rank));
  const dims = x.slice(start, Math.max(start, end));
  return [info(DataType.INT64, [dims.length], dims)];
}

function size(ctx: RuleContext): TensorInfo[] {
  const x = ctx.shape(0);
  const n = x ? dimProduct(x) : null;
  return [info(DataType.INT64, [], typeof n === "number" ? [n] : undefined)];
}

function constantOfShape(ctx: RuleContext): TensorInfo[] {
  const a = ctx.attr("value");
  const filler = a?.kind === "tensor" ? a.value : undefined;
  const elemType = filler?.dtype ?? DataType.FLOAT;
  const dims = ctx.value(0);
  if (!dims) {
    const n = ctx.shape(0)?.[0];
    return [info(elemType, typeof n === "number" ? new Array<Dim>(n).fill(null) : undefined)];
  }
  const total = dimProduct(dims);
  let value: Dim[] | undefined;
  if (typeof total === "number" && total <= MAX_TRACKED_ELEMENTS && (filler === undefined || NUMERIC.has(elemType))) {
    const fill = filler ? (tensorInfo(filler).value?.[0] ?? null) : 0;
    value = new Array<Dim>(total).fill(fill);
  }
  return [info(elemType, dims, value)];
}

function range(ctx: RuleContext): TensorInfo[] {
  const t = ctx.dtype(0);
  const [start, limit, delta] = [0, 1, 2].map((i) => ctx.numbers(i)?.[0]);
  if (start === undefined || limit === undefined || delta === undefined) return [info(t, [null])];
  if (delta === 0) throw new ShapeError("Range delta cannot be 0");
  const n = Math.max(0, Math.ceil((limit - start) / delta));
  const value = n <= MAX_TRACKED_ELEMENTS ? Array.from({ length: n }, (_, i) => start + i * delta) : undefined;
  return [info(t, [n], t !== undefined && isFloatType(t) ? undefined : value)];
}

function windowFunction(ctx: RuleContext): TensorInfo[] {
  const n = ctx.numbers(0)?.[0];
  return [info(ctx.int("output_datatype", DataType.FLOAT), [n ?? null])];
}

export const generatorRules: RuleTable = {
  Constant: constant,
  Shape: shape,
  Size: size,
  ConstantOfShape: constantOfShape,
  Range: range,
  HannWindow: windowFunction,
  HammingWindow: windowFunction,
  BlackmanWindow: windowFunction,
};
