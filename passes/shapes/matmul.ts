// Matrix products: MatMul (numpy semantics: 1-D promotion, broadcast batch dims), Gemm
// (transposes), the quantized variants, and Einsum from its equation.
import { DataType } from "../../ir/dtype.ts";
import type { Dim } from "../../ir/types.ts";
import { ShapeError, info, type RuleContext, type RuleTable, type TensorInfo } from "./context.ts";
import { broadcastShapes } from "./dims.ts";

export function matmulShape(a: Dim[], b: Dim[]): Dim[] {
  if (a.length === 0 || b.length === 0) throw new ShapeError("MatMul operands must have rank >= 1");
  const a2 = a.length === 1 ? [1, a[0]!] : a;
  const b2 = b.length === 1 ? [b[0]!, 1] : b;
  const ka = a2[a2.length - 1]!;
  const kb = b2[b2.length - 2]!;
  if (typeof ka === "number" && typeof kb === "number" && ka !== kb) throw new ShapeError(`MatMul inner dimensions ${ka} and ${kb} differ`);
  const batch = broadcastShapes([a2.slice(0, -2), b2.slice(0, -2)]);
  const out: Dim[] = [...batch];
  if (a.length > 1) out.push(a2[a2.length - 2]!);
  if (b.length > 1) out.push(b2[b2.length - 1]!);
  return out;
}

function matmul(a: number, b: number, elemType: (ctx: RuleContext) => number | undefined) {
  return (ctx: RuleContext): TensorInfo[] => {
    const sa = ctx.shape(a);
    const sb = ctx.shape(b);
    return [info(elemType(ctx), sa && sb ? matmulShape(sa, sb) : undefined)];
  };
}

function gemm(ctx: RuleContext): TensorInfo[] {
  const a = ctx.shape(0);
  const b = ctx.shape(1);
  const m = a ? (ctx.int("transA", 0) ? a[1] : a[0]) : null;
  const n = b ? (ctx.int("transB", 0) ? b[0] : b[1]) : null;
  return [info(ctx.dtype(0), [m ?? null, n ?? null])];
}

/** Einsum: letters map to dims; `...` broadcasts; without `->` the output is the sorted letters used once. */
function einsum(ctx: RuleContext): TensorInfo[] | undefined {
  const equation = ctx.string("equation", "").replace(/\s+/g, "");
  const [lhs, explicitRhs] = equation.split("->") as [string, string | undefined];
  const terms = lhs.split(",");
  const letters = new Map<string, Dim>();
  const counts = new Map<string, number>();
  let ellipsis: Dim[] = [];
  for (const [k, term] of terms.entries()) {
    const shape = ctx.shape(k);
    if (!shape) return [info(ctx.dtype(0), undefined)];
    const [before, after = ""] = term.split("...");
    const hasEllipsis = term.includes("...");
    const named = before!.length + after.length;
    if (hasEllipsis) ellipsis = broadcastShapes([ellipsis, shape.slice(before!.length, shape.length - after.length)]);
    else if (named !== shape.length) throw new ShapeError(`einsum term '${term}' has ${named} letters for rank ${shape.length}`);
    const dims = [...before!].map((c, i) => [c, shape[i]!] as const)
      .concat([...after].map((c, i) => [c, shape[shape.length - after.length + i]!] as const));
    for (const [c, d] of dims) {
      const prior = letters.get(c);
      letters.set(c, prior === undefined || prior === 1 ? d : d === 1 ? prior : prior === d ? d : typeof prior === "number" ? prior : d);
      counts.set(c, (counts.get(c) ?? 0) + 1);
    }
  }
  const rhs = explicitRhs ?? ((lhs.includes("...") ? "..." : "") + [...counts].filter(([, n]) => n === 1).map(([c]) => c).sort().join(""));
  const [rb, ra = ""] = rhs.split("...");
  const shape: Dim[] = [...rb!].map((c) => letters.get(c) ?? null);
  if (rhs.includes("...")) shape.push(...ellipsis);
  shape.push(...[...ra].map((c) => letters.get(c) ?? null));
  return [info(ctx.dtype(0), shape)];
}

export const matmulRules: RuleTable = {
  MatMul: matmul(0, 1, (ctx) => ctx.dtype(0)),
  MatMulInteger: matmul(0, 1, () => DataType.INT32),
  QLinearMatMul: matmul(0, 3, (ctx) => ctx.dtype(7)),
  Gemm: gemm,
  Einsum: einsum,
  Det: (ctx) => [info(ctx.dtype(0), ctx.shape(0)?.slice(0, -2))],
};
