// Convolutions and pooling: spatial output sizes from kernel, strides, dilations, pads and
// auto_pad (ONNX's formulas, including ceil_mode's "last window must start inside" rule).
import { DataType } from "../../ir/dtype.ts";
import type { Dim } from "../../ir/types.ts";
import { info, ShapeError, type RuleContext, type RuleTable, type TensorInfo } from "./context.ts";

interface Window {
  kernel: Dim[];
  strides: number[];
  dilations: number[];
  pads: number[];
  autoPad: string;
  ceil: boolean;
}

function windowOf(ctx: RuleContext, spatial: number, kernel: Dim[]): Window {
  for (const name of ["strides", "dilations"]) {
    const v = ctx.ints(name);
    // A zero stride divides by zero (Infinity sizes downstream): the node is invalid, not huge.
    if (v?.some((x) => !(x >= 1))) throw new ShapeError(`attribute '${name}' = [${v.join(",")}] must be >= 1`);
  }
  if (kernel.some((k) => typeof k === "number" && !(k >= 1))) throw new ShapeError(`kernel size [${kernel.join(",")}] must be >= 1`);
  return {
    kernel,
    strides: ctx.ints("strides") ?? new Array<number>(spatial).fill(1),
    dilations: ctx.ints("dilations") ?? new Array<number>(spatial).fill(1),
    pads: ctx.ints("pads") ?? new Array<number>(2 * spatial).fill(0),
    autoPad: ctx.string("auto_pad", "NOTSET"),
    ceil: ctx.int("ceil_mode", 0) === 1,
  };
}

/** Output size of one spatial axis of a convolution or pooling window. */
export function windowOutput(size: Dim, w: Window, i: number): Dim {
  const k = w.kernel[i];
  const s = w.strides[i] ?? 1;
  const d = w.dilations[i] ?? 1;
  if (typeof k !== "number") return null;
  const effective = d * (k - 1) + 1;
  if (w.autoPad === "SAME_UPPER" || w.autoPad === "SAME_LOWER") {
    if (s === 1) return size;
    return typeof size === "number" ? Math.ceil(size / s) : null;
  }
  const pad = w.autoPad === "VALID" ? 0 : (w.pads[i] ?? 0) + (w.pads[i + w.kernel.length] ?? 0);
  if (typeof size !== "number") return s === 1 && pad === effective - 1 ? size : null;
  const span = size + pad - effective;
  if (!w.ceil) return Math.floor(span / s) + 1;
  let out = Math.ceil(span / s) + 1;
  // The last window must start inside the input or its left padding.
  if ((out - 1) * s >= size + (w.pads[i] ?? 0)) out--;
  return out;
}

function spatialOutput(ctx: RuleContext, x: Dim[], kernel: Dim[]): Dim[] {
  const w = windowOf(ctx, x.length - 2, kernel);
  return x.slice(2).map((d, i) => windowOutput(d, w, i));
}

/** Conv-like: data at `dataIndex`, weight [M, C/group, k...] at `weightIndex`. */
function conv(dataIndex: number, weightIndex: number, elemType: (ctx: RuleContext) => number | undefined) {
  return (ctx: RuleContext): TensorInfo[] => {
    const x = ctx.shape(dataIndex);
    const w = ctx.shape(weightIndex);
    const t = elemType(ctx);
    if (!x) return [info(t, undefined)];
    const spatial = x.length - 2;
    const kernel: Dim[] = ctx.ints("kernel_shape") ?? w?.slice(2) ?? new Array<Dim>(spatial).fill(null);
    return [info(t, [x[0]!, w?.[0] ?? null, ...spatialOutput(ctx, x, kernel)])];
  };
}

function convTranspose(ctx: RuleContext): TensorInfo[] {
  const x = ctx.shape(0);
  const w = ctx.shape(1);
  const t = ctx.dtype(0);
  if (!x) return [info(t, undefined)];
  const spatial = x.length - 2;
  const group = ctx.int("group", 1);
  const channels = typeof w?.[1] === "number" ? w[1] * group : null;
  const explicit = ctx.ints("output_shape");
  if (explicit) return [info(t, [x[0]!, channels, ...explicit.slice(-spatial)])];
  const kernel: Dim[] = ctx.ints("kernel_shape") ?? w?.slice(2) ?? new Array<Dim>(spatial).fill(null);
  const win = windowOf(ctx, spatial, kernel);
  const outputPadding = ctx.ints("output_padding") ?? new Array<number>(spatial).fill(0);
  const dims = x.slice(2).map((size, i): Dim => {
    const k = kernel[i];
    const s = win.strides[i]!;
    if (typeof size !== "number" || typeof k !== "number") return null;
    if (win.autoPad === "SAME_UPPER" || win.autoPad === "SAME_LOWER") return size * s;
    const pads = win.autoPad === "VALID" ? 0 : win.pads[i]! + win.pads[i + spatial]!;
    return s * (size - 1) + outputPadding[i]! + (k - 1) * win.dilations[i]! + 1 - pads;
  });
  return [info(t, [x[0]!, channels, ...dims])];
}

function pool(ctx: RuleContext): TensorInfo[] {
  const x = ctx.shape(0);
  const t = ctx.dtype(0);
  if (!x) return [info(t, undefined), info(DataType.INT64, undefined)];
  const kernel: Dim[] = ctx.ints("kernel_shape") ?? new Array<Dim>(x.length - 2).fill(null);
  const shape = [x[0]!, x[1]!, ...spatialOutput(ctx, x, kernel)];
  return [info(t, shape), info(DataType.INT64, shape)];
}

function globalPool(ctx: RuleContext): TensorInfo[] {
  const x = ctx.shape(0);
  return [info(ctx.dtype(0), x ? [x[0]!, x[1]!, ...x.slice(2).map(() => 1)] : undefined)];
}

export const convRules: RuleTable = {
  Conv: conv(0, 1, (ctx) => ctx.dtype(0)),
  DeformConv: conv(0, 1, (ctx) => ctx.dtype(0)),
  ConvInteger: conv(0, 1, () => DataType.INT32),
  QLinearConv: conv(0, 3, (ctx) => ctx.dtype(7)),
  ConvTranspose: convTranspose,
  MaxPool: pool,
  AveragePool: pool,
  LpPool: pool,
  MaxUnpool: (ctx) => {
    const x = ctx.shape(0);
    if (ctx.has(2)) return [info(ctx.dtype(0), ctx.value(2) ?? x?.map(() => null))];
    if (!x) return [info(ctx.dtype(0), undefined)];
    const kernel = ctx.ints("kernel_shape") ?? [];
    const w = windowOf(ctx, x.length - 2, kernel);
    return [info(ctx.dtype(0), [x[0]!, x[1]!, ...x.slice(2).map((d, i) => (typeof d === "number"
      ? (d - 1) * w.strides[i]! + kernel[i]! - w.pads[i]! - w.pads[i + kernel.length]! : null))])];
  },
  GlobalAveragePool: globalPool,
  GlobalMaxPool: globalPool,
  GlobalLpPool: globalPool,
  MaxRoiPool: (ctx) => {
    const pooled = ctx.ints("pooled_shape");
    return [info(ctx.dtype(0), pooled ? [ctx.shape(1)?.[0] ?? null, ctx.shape(0)?.[1] ?? null, ...pooled] : undefined)];
  },
  RoiAlign: (ctx) => [info(ctx.dtype(0), [ctx.shape(1)?.[0] ?? null, ctx.shape(0)?.[1] ?? null,
    ctx.int("output_height", 1), ctx.int("output_width", 1)])],
  GridSample: (ctx) => {
    const x = ctx.shape(0);
    const grid = ctx.shape(1);
    return [info(ctx.dtype(0), x && grid ? [x[0]!, x[1]!, ...grid.slice(1, -1)] : undefined)];
  },
};
