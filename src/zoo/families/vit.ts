// Vision transformer: a patch-embedding Conv, Reshape/Transpose to tokens, a class token and
// position embedding, pre-norm blocks (LayerNorm, attention, residual; LayerNorm, GELU MLP,
// residual), a final LayerNorm and the class token's logits.
import { DataType, Tensor, intAttr, type Value } from "../../../ir/index.ts";
import type { Net } from "../net.ts";
import { chance, int, pick, type Rng } from "../rng.ts";
import type { SizeClass, VitParams, ZooSpecOf } from "../zoo-spec.ts";
import { attention, mlp } from "./transformer-blocks.ts";

const SIZES: Record<SizeClass, { resolutions: number[]; patches: number[]; dims: number[]; depth: [number, number] }> = {
  small: { resolutions: [32], patches: [4, 8], dims: [32, 48, 64], depth: [2, 4] },
  medium: { resolutions: [96, 128], patches: [8, 16], dims: [96, 128, 192], depth: [4, 8] },
  large: { resolutions: [224], patches: [16], dims: [192, 256], depth: [10, 12] },
};

export function sampleVit(r: Rng, size: SizeClass): { params: VitParams; resolution: number } {
  const s = SIZES[size];
  const dim = pick(r, s.dims);
  const numHeads = pick(r, [2, 3, 4, 6, 8].filter((h) => dim % h === 0 && dim / h >= 16));
  return {
    params: { patch: pick(r, s.patches), dim, depth: int(r, s.depth[0], s.depth[1]), numHeads, mlpRatio: pick(r, [2, 4]), heads: chance(r, 0.3) ? "per-head" : "batched", layerNorm: chance(r, 0.4) ? "decomposed" : "fused" },
    resolution: pick(r, s.resolutions),
  };
}

export function buildVit(net: Net, x: Value, spec: ZooSpecOf<"vit">): Value {
  const p = spec.params;
  const grid = spec.resolution / p.patch;
  const tokens = grid * grid + 1;
  const batch = spec.batch;
  let h = net.conv(x, 3, p.dim, "patch_embed", { kernel: p.patch, stride: p.patch, pad: 0, act: false, prunable: false });
  h = net.transpose(net.reshape(h, [batch, p.dim, grid * grid], "patch_flatten"), [0, 2, 1], "patch_tokens");
  const cls = net.constant("cls_token", [batch, 1, p.dim], () => (net.rand() * 2 - 1) * 0.5);
  h = net.concat([cls, h], 1, "with_cls");
  h = net.add(h, net.constant("pos_embed", [1, tokens, p.dim], () => (net.rand() * 2 - 1) * 0.1), "add_pos");
  for (let i = 0; i < p.depth; i++) {
    const name = `block${i}`;
    const a = attention(net, net.layerNorm(h, p.dim, p.layerNorm, `${name}_ln1`), { batch, tokens, dim: p.dim, heads: p.numHeads, form: p.heads }, `${name}_attn`);
    h = net.add(h, a, `${name}_res1`);
    const m = mlp(net, net.layerNorm(h, p.dim, p.layerNorm, `${name}_ln2`), p.dim, p.dim * p.mlpRatio, spec.activation, `${name}_mlp`);
    h = net.add(h, m, `${name}_res2`);
  }
  h = net.layerNorm(h, p.dim, p.layerNorm, "final_ln");
  const index = net.b.initializer(Tensor.fromArray("cls_index", DataType.INT64, [], BigInt64Array.of(0n)));
  const clsOut = net.b.op1("Gather", [h, index], { name: "take_cls", attributes: [intAttr("axis", 1)] });
  return net.linear(clsOut, p.dim, spec.classes, "head", { prunable: false });
}
