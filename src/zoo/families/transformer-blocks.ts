// Multi-head self-attention and the transformer MLP, shared by ViT and windowed attention.
// Batched heads: Q/K/V projections, Reshape + Transpose into [B, heads, N, dh], one score MatMul.
// Per-head: separate small projections and score MatMuls per head, concatenated (parallel branches).
import type { Value } from "../../../ir/index.ts";
import type { Net } from "../net.ts";
import type { Activation, HeadsForm } from "../zoo-spec.ts";

export interface AttentionShape { batch: number; tokens: number; dim: number; heads: number; form: HeadsForm }

/** x: [batch, tokens, dim] -> same; `withBias` adds a learned [heads, N, N] relative-position bias to the scores. */
export function attention(net: Net, x: Value, s: AttentionShape, name: string, withBias = false): Value {
  const dh = s.dim / s.heads;
  const scale = net.scalar(1 / Math.sqrt(dh));
  const bias = (shape: number[], tag: string) => net.constant(`${name}.${tag}`, shape, () => (net.rand() * 2 - 1) * 0.5);
  const scoresToOut = (q: Value, kT: Value, v: Value, bShape: number[], tag: string): Value => {
    let scores = net.b.op1("Mul", [net.b.op1("MatMul", [q, kT], { name: `${name}_${tag}scores` }), scale], { name: `${name}_${tag}scale` });
    if (withBias) scores = net.add(scores, bias(bShape, `${tag}rel_bias`), `${name}_${tag}bias`);
    const probs = net.b.op1("Softmax", [scores], { name: `${name}_${tag}softmax` });
    return net.b.op1("MatMul", [probs, v], { name: `${name}_${tag}context` });
  };
  let merged: Value;
  if (s.form === "batched") {
    const split = (t: Value, perm: number[], tag: string) => net.transpose(net.reshape(t, [s.batch, s.tokens, s.heads, dh], `${name}_${tag}_heads`), perm, `${name}_${tag}_t`);
    const q = split(net.linear(x, s.dim, s.dim, `${name}_q`), [0, 2, 1, 3], "q");
    const kT = split(net.linear(x, s.dim, s.dim, `${name}_k`), [0, 2, 3, 1], "k");
    const v = split(net.linear(x, s.dim, s.dim, `${name}_v`), [0, 2, 1, 3], "v");
    const ctx = scoresToOut(q, kT, v, [1, s.heads, s.tokens, s.tokens], "");
    merged = net.reshape(net.transpose(ctx, [0, 2, 1, 3], `${name}_merge_t`), [s.batch, s.tokens, s.dim], `${name}_merge`);
  } else {
    const outs: Value[] = [];
    for (let h = 0; h < s.heads; h++) {
      const q = net.linear(x, s.dim, dh, `${name}_h${h}_q`);
      const kT = net.transpose(net.linear(x, s.dim, dh, `${name}_h${h}_k`), [0, 2, 1], `${name}_h${h}_kt`);
      const v = net.linear(x, s.dim, dh, `${name}_h${h}_v`);
      outs.push(scoresToOut(q, kT, v, [1, s.tokens, s.tokens], `h${h}_`));
    }
    merged = net.concat(outs, -1, `${name}_heads_concat`);
  }
  return net.linear(merged, s.dim, s.dim, `${name}_proj`, { gain: 0.5 });
}

/** dim -> hidden -> dim with the activation between. */
export function mlp(net: Net, x: Value, dim: number, hidden: number, act: Activation, name: string): Value {
  return net.linear(net.linear(x, dim, hidden, `${name}_fc1`, { act }), hidden, dim, `${name}_fc2`, { gain: 0.5 });
}
