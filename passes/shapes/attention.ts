// Fused transformer operators (opset 23+): Attention with 3-D ([B, S, heads*size]) or 4-D
// ([B, heads, S, size]) inputs, grouped KV heads and a KV cache; RotaryEmbedding.
import type { Dim } from "../../ir/types.ts";
import { info, type RuleContext, type RuleTable, type TensorInfo } from "./context.ts";

const div = (a: Dim, b: number | undefined): Dim => (typeof a === "number" && b ? a / b : null);
const add = (a: Dim, b: Dim): Dim => (typeof a === "number" && typeof b === "number" ? a + b : b === 0 ? a : a === 0 ? b : null);

function attention(ctx: RuleContext): TensorInfo[] {
  const q = ctx.shape(0);
  const k = ctx.shape(1);
  const v = ctx.shape(2);
  const t = ctx.dtype(0);
  if (!q || !k || !v) return [info(t, undefined)];
  const qHeads = q.length === 4 ? q[1]! : ctx.int("q_num_heads") ?? null;
  const kvHeads = k.length === 4 ? k[1]! : ctx.int("kv_num_heads") ?? null;
  const batch = q[0]!;
  const qSeq = q.length === 4 ? q[2]! : q[1]!;
  const kvSeq = k.length === 4 ? k[2]! : k[1]!;
  const headSize = k.length === 4 ? k[3]! : div(k[2]!, ctx.int("kv_num_heads"));
  const vHeadSize = v.length === 4 ? v[3]! : div(v[2]!, ctx.int("kv_num_heads"));
  const past = ctx.has(4) ? ctx.shape(4)?.[2] ?? null : 0;
  const total = add(past, kvSeq);
  const y = q.length === 4 ? [batch, qHeads, qSeq, vHeadSize]
    : [batch, qSeq, typeof qHeads === "number" && typeof vHeadSize === "number" ? qHeads * vHeadSize : null];
  return [
    info(t, y),
    info(t, [batch, kvHeads, total, headSize]),
    info(t, [batch, kvHeads, total, vHeadSize]),
    info(t, [batch, qHeads, qSeq, total]),
  ];
}

export const attentionRules: RuleTable = {
  Attention: attention,
  RotaryEmbedding: (ctx) => [info(ctx.dtype(0), ctx.shape(0))],
};
