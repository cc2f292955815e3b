// Layout operators: Reshape (0 copies, -1 infers), Flatten, Transpose, Squeeze and Unsqueeze
// (axes as attribute before opset 13, as input from 13), DepthToSpace, SpaceToDepth. Element
// order is unchanged by all but Transpose, so known elements pass through.
import type { Dim } from "../../ir/types.ts";
import { ShapeError, info, type RuleContext, type RuleTable, type TensorInfo } from "./context.ts";
import { allKnown, axis, dimProduct, product, strides } from "./dims.ts";

/** The dim a -1 stands for: input elements over the other output dims, cancelling equal symbols. */
function inferredDim(input: readonly Dim[], others: readonly Dim[]): Dim {
  const rest = [...input];
  const divisors: Dim[] = [];
  for (const d of others) {
    const at = typeof d === "string" ? rest.indexOf(d) : -1;
    if (at >= 0) rest.splice(at, 1);
    else divisors.push(d);
  }
  if (divisors.some((d) => typeof d !== "number")) return null;
  const divisor = product(divisors as number[]);
  const numbers = rest.filter((d): d is number => typeof d === "number");
  const symbols = rest.filter((d) => typeof d !== "number");
  const n = product(numbers);
  if (symbols.length === 0) return divisor === 0 ? null : n / divisor;
  if (symbols.length === 1 && n === divisor && symbols[0] !== null) return symbols[0]!;
  return null;
}

export function reshapeShape(input: Dim[] | undefined, target: Dim[], allowZero: boolean): Dim[] {
  const out = target.map((d, i): Dim => (d === 0 && !allowZero ? (input?.[i] ?? null) : d));
  const minus = out.indexOf(-1);
  if (minus >= 0) {
    out[minus] = input ? inferredDim(input, out.filter((_, i) => i !== minus)) : null;
  }
  return out.map((d) => (typeof d === "number" && d < 0 ? null : d));
}

function reshape(ctx: RuleContext): TensorInfo[] {
  const x = ctx.input(0);
  const t = x?.elemType;
  const target: Dim[] | undefined = ctx.opset < 5 ? ctx.ints("shape") : ctx.value(1);
  if (!target) {
    const n = ctx.shape(1)?.[0];
    return [info(t, typeof n === "number" ? new Array<Dim>(n).fill(null) : undefined)];
  }
  return [info(t, reshapeShape(x?.shape, target, ctx.int("allowzero", 0) === 1), x?.value)];
}

function flatten(ctx: RuleContext): TensorInfo[] {
  const x = ctx.input(0);
  if (!x?.shape) return [info(x?.elemType, [null, null])];
  const a = ctx.int("axis", 1);
  const at = a < 0 ? a + x.shape.length : a;
  if (at < 0 || at > x.shape.length) throw new ShapeError(`Flatten axis ${a} is out of range for rank ${x.shape.length}`);
  return [info(x.elemType, [dimProduct(x.shape.slice(0, at)), dimProduct(x.shape.slice(at))], x.value)];
}

function transpose(ctx: RuleContext): TensorInfo[] {
  const x = ctx.input(0);
  if (!x?.shape) return [info(x?.elemType, undefined)];
  const rank = x.shape.length;
  const perm = ctx.ints("perm") ?? x.shape.map((_, i) => rank - 1 - i);
  const shape = perm.map((p) => x.shape![axis(p, rank)]!);
  let value: Dim[] | undefined;
  if (x.value && allKnown(x.shape)) {
    const inStrides = strides(x.shape);
    const outStrides = strides(shape as number[]);
    value = x.value.map((_, flat) => {
      let index = 0;
      let rest = flat;
      for (let i = 0; i < rank; i++) {
        const c = Math.floor(rest / outStrides[i]!);
        rest -= c * outStrides[i]!;
        index += c * inStrides[perm[i]!]!;
      }
      return x.value![index]!;
    });
  }
  return [info(x.elemType, shape, value)];
}

/** Axes from the attribute (before `inputFrom`) or input 1; undefined when not known. */
function axesOf(ctx: RuleContext, inputFrom: number): number[] | undefined | "none" {
  if (ctx.opset < inputFrom) return ctx.ints("axes") ?? "none";
  if (!ctx.has(1)) return "none";
  return ctx.numbers(1);
}

function squeeze(ctx: RuleContext): TensorInfo[] {
  const x = ctx.input(0);
  const axes = axesOf(ctx, 13);
  if (!x?.shape || axes === undefined) return [info(x?.elemType, undefined)];
  const rank = x.shape.length;
  if (axes === "none") {
    // Without axes every 1 goes; an unknown dim might be 1, so the rank is unknown then.
    if (!x.shape.every((d) => typeof d === "number")) return [info(x.elemType, undefined)];
    return [info(x.elemType, x.shape.filter((d) => d !== 1), x.value)];
  }
  const drop = new Set(axes.map((a) => axis(a, rank)));
  for (const a of drop) {
    const d = x.shape[a];
    if (typeof d === "number" && d !== 1) throw new ShapeError(`cannot squeeze axis ${a} of size ${d}`);
  }
  return [info(x.elemType, x.shape.filter((_, i) => !drop.has(i)), x.value)];
}

function unsqueeze(ctx: RuleContext): TensorInfo[] {
  const x = ctx.input(0);
  const axes = axesOf(ctx, 13);
  if (!x?.shape || axes === undefined || axes === "none") return [info(x?.elemType, undefined)];
  const rank = x.shape.length + axes.length;
  const inserted = new Set(axes.map((a) => axis(a, rank)));
  const shape: Dim[] = [];
  let next = 0;
  for (let i = 0; i < rank; i++) shape.push(inserted.has(i) ? 1 : x.shape[next++]!);
  return [info(x.elemType, shape, x.value)];
}

function blockRule(toDepth: boolean) {
  return (ctx: RuleContext): TensorInfo[] => {
    const x = ctx.shape(0);
    const b = ctx.int("blocksize", 1);
    const t = ctx.dtype(0);
    if (!x || x.length !== 4) return [info(t, x ? undefined : undefined)];
    const [n, c, h, w] = x as [Dim, Dim, Dim, Dim];
    const mul = (d: Dim, k: number): Dim => (typeof d === "number" ? d * k : k === 1 ? d : null);
    const div = (d: Dim, k: number): Dim => (typeof d === "number" ? Math.floor(d / k) : k === 1 ? d : null);
    return [info(t, toDepth ? [n, mul(c, b * b), div(h, b), div(w, b)] : [n, div(c, b * b), mul(h, b), mul(w, b)])];
  };
}

export const reshapeRules: RuleTable = {
  Reshape: reshape,
  Flatten: flatten,
  Transpose: transpose,
  Squeeze: squeeze,
  Unsqueeze: unsqueeze,
  SpaceToDepth: blockRule(true),
  DepthToSpace: blockRule(false),
};
