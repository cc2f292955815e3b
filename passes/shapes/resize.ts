// Resize and Upsample: output sizes from `sizes` or from floor(input * scale) in float32, as
// ONNX computes them; opset 18's axes and keep_aspect_ratio_policy.
import type { Dim } from "../../ir/types.ts";
import { info, type RuleContext, type RuleTable, type TensorInfo } from "./context.ts";
import { axis } from "./dims.ts";

function scaled(d: Dim, scale: number): Dim {
  if (typeof d !== "number") return scale === 1 ? d : null;
  return Math.floor(Math.fround(Math.fround(d) * Math.fround(scale)));
}

/** Input i when it is given and not an empty placeholder tensor. */
function present(ctx: RuleContext, i: number): boolean {
  if (!ctx.has(i)) return false;
  const s = ctx.shape(i);
  return !(s && s.length === 1 && s[0] === 0);
}

function resize(ctx: RuleContext): TensorInfo[] {
  const x = ctx.input(0);
  if (!x?.shape) return [info(x?.elemType, undefined)];
  const rank = x.shape.length;
  const axes = (ctx.ints("axes") ?? x.shape.map((_, i) => i)).map((a) => axis(a, rank));
  const unknown = (): TensorInfo[] => [info(x.elemType, x.shape!.map((d, i) => (axes.includes(i) ? null : d)))];
  const [scalesAt, sizesAt] = ctx.opset < 11 ? [1, -1] : [2, 3];
  const shape: Dim[] = [...x.shape];
  if (sizesAt > 0 && present(ctx, sizesAt)) {
    const sizes = ctx.value(sizesAt);
    if (!sizes) return unknown();
    const policy = ctx.string("keep_aspect_ratio_policy", "stretch");
    if (policy === "stretch") {
      axes.forEach((a, k) => { shape[a] = sizes[k] ?? null; });
      return [info(x.elemType, shape)];
    }
    const dims = axes.map((a) => x.shape![a]);
    if (!dims.every((d) => typeof d === "number") || !sizes.every((d) => typeof d === "number")) return unknown();
    const ratios = axes.map((_, k) => (sizes[k] as number) / (dims[k] as number));
    const scale = policy === "not_larger" ? Math.min(...ratios) : Math.max(...ratios);
    axes.forEach((a, k) => { shape[a] = Math.floor((dims[k] as number) * scale + 0.5); });
    return [info(x.elemType, shape)];
  }
  if (!present(ctx, scalesAt)) return unknown();
  const scales = ctx.numbers(scalesAt);
  if (!scales) return unknown();
  axes.forEach((a, k) => { shape[a] = scaled(x.shape![a]!, scales[k]!); });
  return [info(x.elemType, shape)];
}

function upsample(ctx: RuleContext): TensorInfo[] {
  const x = ctx.input(0);
  const scales = ctx.opset < 9 ? ctx.floats("scales") : ctx.numbers(1);
  if (!x?.shape) return [info(x?.elemType, undefined)];
  if (!scales) return [info(x.elemType, x.shape.map(() => null))];
  return [info(x.elemType, x.shape.map((d, i) => scaled(d, scales[i]!)))];
}

export const resizeRules: RuleTable = {
  Resize: resize,
  Upsample: upsample,
};
