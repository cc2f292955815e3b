// Selecting and assembling: Slice, Gather, GatherElements, GatherND, Concat, Split, Pad, Tile,
// OneHot, and the data-dependent ones whose rank alone is known (NonZero, Compress, Unique).
// Slice, Gather and Concat fold known elements: they carry most shape arithmetic.
import { DataType } from "../../ir/dtype.ts";
import type { Dim } from "../../ir/types.ts";
import { MAX_TRACKED_ELEMENTS, ShapeError, info, type RuleContext, type RuleTable, type TensorInfo } from "./context.ts";
import { allKnown, axis, product, strides } from "./dims.ts";

/** Start, step and count of a numpy-style slice of one axis of size `dim`. */
export function sliceAxis(dim: number, start: number, end: number, step: number): { first: number; count: number } {
  if (step === 0) throw new ShapeError("Slice step cannot be 0");
  if (start < 0) start += dim;
  if (end < 0) end += dim;
  if (step > 0) {
    start = Math.min(Math.max(start, 0), dim);
    end = Math.min(Math.max(end, 0), dim);
    return { first: start, count: Math.max(0, Math.ceil((end - start) / step)) };
  }
  start = Math.min(Math.max(start, 0), dim - 1);
  end = Math.min(Math.max(end, -1), dim - 1);
  return { first: start, count: Math.max(0, Math.ceil((start - end) / -step)) };
}

/** Copies elements of a known-shape tensor where each output coordinate maps to one input index. */
function gatherElements(inShape: number[], outShape: number[], value: Dim[], index: (coords: number[]) => number[]): Dim[] | undefined {
  const total = product(outShape);
  if (total > MAX_TRACKED_ELEMENTS) return undefined;
  const inStrides = strides(inShape);
  const outStrides = strides(outShape);
  const out: Dim[] = [];
  for (let flat = 0; flat < total; flat++) {
    const coords: number[] = [];
    let rest = flat;
    for (const s of outStrides) {
      const c = Math.floor(rest / s);
      coords.push(c);
      rest -= c * s;
    }
    const at = index(coords);
    let i = 0;
    at.forEach((c, k) => { i += c * inStrides[k]!; });
    out.push(value[i] ?? null);
  }
  return out;
}

function slice(ctx: RuleContext): TensorInfo[] {
  const x = ctx.input(0);
  if (!x?.shape) return [info(x?.elemType, undefined)];
  const rank = x.shape.length;
  const old = ctx.opset < 10;
  const starts = old ? ctx.ints("starts") : ctx.numbers(1);
  const ends = old ? ctx.ints("ends") : ctx.numbers(2);
  const axesGiven = old ? ctx.attr("axes") !== undefined : ctx.has(3);
  const axes = old ? ctx.ints("axes") : axesGiven ? ctx.numbers(3) : undefined;
  const steps = !old && ctx.has(4) ? ctx.numbers(4) : undefined;
  if (!starts || !ends || (axesGiven && !axes) || (!old && ctx.has(4) && !steps)) {
    // Which axes change is unknown unless axes are known; the rank never changes.
    if (axes) return [info(x.elemType, x.shape.map((d, i) => (axes.some((a) => axis(a, rank) === i) ? null : d)))];
    return [info(x.elemType, x.shape.map(() => null))];
  }
  const shape: Dim[] = [...x.shape];
  const first = new Array<number>(rank).fill(0);
  const step = new Array<number>(rank).fill(1);
  (axes ?? starts.map((_, i) => i)).forEach((a, k) => {
    const ax = axis(a, rank);
    const dim = x.shape![ax]!;
    const s = steps?.[k] ?? 1;
    if (typeof dim !== "number") {
      // A whole-axis slice keeps a symbolic dim; anything else is unknown.
      const whole = s === 1 && (starts[k] === 0 || starts[k]! <= -(2 ** 62)) && ends[k]! >= 2 ** 62;
      shape[ax] = whole ? dim : null;
      return;
    }
    const r = sliceAxis(dim, starts[k]!, ends[k]!, s);
    shape[ax] = r.count;
    first[ax] = r.first;
    step[ax] = s;
  });
  let value: Dim[] | undefined;
  if (x.value && allKnown(x.shape) && allKnown(shape)) {
    value = gatherElements(x.shape, shape, x.value, (c) => c.map((v, i) => first[i]! + v * step[i]!));
  }
  return [info(x.elemType, shape, value)];
}

function gather(ctx: RuleContext): TensorInfo[] {
  const data = ctx.input(0);
  const indices = ctx.input(1);
  if (!data?.shape || !indices?.shape) return [info(data?.elemType, undefined)];
  const rank = data.shape.length;
  const ax = axis(ctx.int("axis", 0), rank);
  const q = indices.shape.length;
  const shape = [...data.shape.slice(0, ax), ...indices.shape, ...data.shape.slice(ax + 1)];
  let value: Dim[] | undefined;
  const idx = ctx.numbers(1);
  if (data.value && idx && allKnown(data.shape) && allKnown(shape)) {
    const dim = data.shape[ax]!;
    const idxStrides = strides(indices.shape as number[]);
    value = gatherElements(data.shape, shape, data.value, (c) => {
      let flat = 0;
      for (let k = 0; k < q; k++) flat += c[ax + k]! * idxStrides[k]!;
      const i = idx[flat]!;
      return [...c.slice(0, ax), i < 0 ? i + dim : i, ...c.slice(ax + q)];
    });
  }
  return [info(data.elemType, shape, value)];
}

function gatherND(ctx: RuleContext): TensorInfo[] {
  const data = ctx.shape(0);
  const indices = ctx.shape(1);
  const t = ctx.dtype(0);
  const last = indices?.[indices.length - 1];
  if (!data || !indices || typeof last !== "number") return [info(t, undefined)];
  const b = ctx.int("batch_dims", 0);
  return [info(t, [...indices.slice(0, -1), ...data.slice(b + last)])];
}

function concat(ctx: RuleContext): TensorInfo[] {
  const inputs = ctx.node.inputs.map((_, i) => ctx.input(i)).filter((x) => x !== undefined);
  const t = inputs[0]?.elemType;
  if (inputs.length === 0 || inputs.some((x) => !x.shape)) {
    const rank = inputs.find((x) => x.shape)?.shape?.length;
    return [info(t, rank === undefined ? undefined : new Array<Dim>(rank).fill(null))];
  }
  const rank = inputs[0]!.shape!.length;
  const ax = axis(ctx.int("axis", 0), rank);
  const shape: Dim[] = [];
  for (let i = 0; i < rank; i++) {
    const dims = inputs.map((x) => x.shape![i]!);
    if (i === ax) {
      const nonZero = dims.filter((d) => d !== 0);
      shape.push(dims.every((d) => typeof d === "number") ? (dims as number[]).reduce((a, b) => a + b, 0)
        : nonZero.length === 1 ? nonZero[0]! : null);
    } else {
      shape.push(dims.find((d) => typeof d === "number") ?? (dims.every((d) => d === dims[0]) ? dims[0]! : null));
    }
  }
  let value: Dim[] | undefined;
  if (inputs.every((x) => x.value && allKnown(x.shape!)) && allKnown(shape) && product(shape) <= MAX_TRACKED_ELEMENTS) {
    const outer = product(shape.slice(0, ax));
    value = [];
    for (let o = 0; o < outer; o++) {
      for (const x of inputs) {
        const chunk = product((x.shape as number[]).slice(ax));
        value.push(...x.value!.slice(o * chunk, (o + 1) * chunk));
      }
    }
  }
  return [info(t, shape, value)];
}

function split(ctx: RuleContext): TensorInfo[] {
  const x = ctx.input(0);
  const outputs = ctx.node.outputs.length;
  if (!x?.shape) return new Array(outputs).fill(info(x?.elemType, undefined));
  const rank = x.shape.length;
  const ax = axis(ctx.int("axis", 0), rank);
  const dim = x.shape[ax]!;
  let sizes: (number | null)[] | undefined = ctx.opset < 13 ? ctx.ints("split") : ctx.has(1) ? ctx.numbers(1) : undefined;
  if (!sizes && ctx.opset >= 13 && ctx.has(1)) sizes = new Array<null>(outputs).fill(null);
  if (!sizes) {
    const parts = ctx.int("num_outputs") ?? outputs;
    if (typeof dim !== "number") sizes = new Array<null>(outputs).fill(null);
    else {
      // opset 18's num_outputs allows an uneven split: ceil-sized chunks, the last one smaller.
      const chunk = Math.ceil(dim / parts);
      sizes = Array.from({ length: outputs }, (_, i) => Math.max(0, Math.min(chunk, dim - i * chunk)));
    }
  }
  let offset = 0;
  return sizes.map((s) => {
    const shape = [...x.shape!];
    shape[ax] = s;
    let value: Dim[] | undefined;
    if (x.value && s !== null && allKnown(x.shape!) && allKnown(shape)) {
      const start = offset;
      value = gatherElements(x.shape as number[], shape, x.value, (c) => c.map((v, i) => (i === ax ? v + start : v)));
    }
    offset += s ?? 0;
    return info(x.elemType, shape, value);
  });
}

function pad(ctx: RuleContext): TensorInfo[] {
  const x = ctx.input(0);
  if (!x?.shape) return [info(x?.elemType, undefined)];
  const rank = x.shape.length;
  const pads = ctx.opset < 11 ? ctx.ints("pads") ?? ctx.ints("paddings") : ctx.numbers(1);
  const axes = ctx.opset >= 18 && ctx.has(3) ? ctx.numbers(3) : x.shape.map((_, i) => i);
  if (!pads || !axes) return [info(x.elemType, x.shape.map(() => null))];
  const shape: Dim[] = [...x.shape];
  axes.forEach((a, k) => {
    const ax = axis(a, rank);
    const d = shape[ax]!;
    const grow = pads[k]! + pads[k + axes.length]!;
    shape[ax] = typeof d === "number" ? d + grow : grow === 0 ? d : null;
  });
  return [info(x.elemType, shape)];
}

function tile(ctx: RuleContext): TensorInfo[] {
  const x = ctx.input(0);
  const repeats = ctx.numbers(1);
  if (!x?.shape) return [info(x?.elemType, undefined)];
  if (!repeats) return [info(x.elemType, x.shape.map(() => null))];
  return [info(x.elemType, x.shape.map((d, i) => (typeof d === "number" ? d * repeats[i]! : repeats[i] === 1 ? d : null)))];
}

function oneHot(ctx: RuleContext): TensorInfo[] {
  const indices = ctx.shape(0);
  const depth = ctx.numbers(1)?.[0];
  if (!indices) return [info(ctx.dtype(2), undefined)];
  const rank = indices.length + 1;
  const ax = axis(ctx.int("axis", -1), rank);
  const shape = [...indices];
  shape.splice(ax, 0, depth === undefined ? null : Math.floor(depth));
  return [info(ctx.dtype(2), shape)];
}

export const indexingRules: RuleTable = {
  Slice: slice,
  Gather: gather,
  GatherElements: (ctx) => [info(ctx.dtype(0), ctx.shape(1))],
  GatherND: gatherND,
  Concat: concat,
  Split: split,
  Pad: pad,
  Tile: tile,
  OneHot: oneHot,
  NonZero: (ctx) => [info(DataType.INT64, [ctx.rank(0) ?? null, null])],
  Compress: (ctx) => {
    const x = ctx.shape(0);
    const a = ctx.int("axis");
    if (!x) return [info(ctx.dtype(0), undefined)];
    if (a === undefined) return [info(ctx.dtype(0), [null])];
    const ax = axis(a, x.length);
    return [info(ctx.dtype(0), x.map((d, i) => (i === ax ? null : d)))];
  },
  NonMaxSuppression: () => [info(DataType.INT64, [null, 3])],
  Unique: (ctx) => {
    const x = ctx.shape(0);
    const a = ctx.int("axis");
    let y: Dim[] | undefined = [null];
    if (a !== undefined) y = x?.map((d, i) => (i === axis(a, x.length) ? null : d));
    const inverse: Dim = a === undefined ? (x ? dimProductOrNull(x) : null) : (x?.[axis(a, x.length)] ?? null);
    return [info(ctx.dtype(0), y), info(DataType.INT64, [null]), info(DataType.INT64, [inverse]), info(DataType.INT64, [null])];
  },
  CenterCropPad: (ctx) => {
    const x = ctx.shape(0);
    const target = ctx.value(1);
    if (!x) return [info(ctx.dtype(0), undefined)];
    const axes = (ctx.ints("axes") ?? x.map((_, i) => i)).map((a) => axis(a, x.length));
    return [info(ctx.dtype(0), x.map((d, i) => (axes.includes(i) ? (target?.[axes.indexOf(i)] ?? null) : d)))];
  },
  Col2Im: (ctx) => {
    const x = ctx.shape(0);
    const image = ctx.value(1);
    const block = ctx.numbers(2);
    const cells = x?.[1];
    const channels = typeof cells === "number" && block ? cells / product(block) : null;
    return [info(ctx.dtype(0), image ? [x?.[0] ?? null, channels, ...image] : undefined)];
  },
  AffineGrid: (ctx) => {
    const size = ctx.value(1);
    if (!size) return [info(ctx.dtype(0), undefined)];
    return [info(ctx.dtype(0), [size[0]!, ...size.slice(2), size.length - 2])];
  },
};

function dimProductOrNull(shape: Dim[]): Dim {
  return allKnown(shape) ? product(shape) : null;
}
