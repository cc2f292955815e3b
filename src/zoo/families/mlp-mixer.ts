// MLP-Mixer: patch-embedding Conv to tokens, then blocks of token mixing (LayerNorm, Transpose,
// MLP across tokens, Transpose back, residual) and channel mixing (LayerNorm, MLP, residual),
// a final LayerNorm, mean over tokens, linear head.
import { intAttr, type Value } from "../../../ir/index.ts";
import type { Net } from "../net.ts";
import { chance, int, pick, type Rng } from "../rng.ts";
import type { MlpMixerParams, SizeClass, ZooSpecOf } from "../zoo-spec.ts";
import { mlp } from "./transformer-blocks.ts";

const SIZES: Record<SizeClass, { resolutions: number[]; patches: number[]; dims: number[]; depth: [number, number] }> = {
  small: { resolutions: [32], patches: [4, 8], dims: [32, 64], depth: [2, 4] },
  medium: { resolutions: [96, 128], patches: [8, 16], dims: [128, 192], depth: [4, 8] },
  large: { resolutions: [224], patches: [16], dims: [192, 256], depth: [8, 12] },
};

export function sampleMlpMixer(r: Rng, size: SizeClass): { params: MlpMixerParams; resolution: number } {
  const s = SIZES[size];
  const dim = pick(r, s.dims);
  return {
    params: { patch: pick(r, s.patches), dim, depth: int(r, s.depth[0], s.depth[1]), tokenHidden: dim / 2, channelHidden: dim * pick(r, [2, 4]), layerNorm: chance(r, 0.4) ? "decomposed" : "fused" },
    resolution: pick(r, s.resolutions),
  };
}

export function buildMlpMixer(net: Net, x: Value, spec: ZooSpecOf<"mlp-mixer">): Value {
  const p = spec.params;
  const grid = spec.resolution / p.patch;
  const tokens = grid * grid;
  let h = net.conv(x, 3, p.dim, "patch_embed", { kernel: p.patch, stride: p.patch, pad: 0, act: false, prunable: false });
  h = net.transpose(net.reshape(h, [spec.batch, p.dim, tokens], "patch_flatten"), [0, 2, 1], "patch_tokens");
  for (let i = 0; i < p.depth; i++) {
    const name = `block${i}`;
    const t = net.transpose(net.layerNorm(h, p.dim, p.layerNorm, `${name}_ln1`), [0, 2, 1], `${name}_to_tokens`);
    h = net.add(h, net.transpose(mlp(net, t, tokens, p.tokenHidden, spec.activation, `${name}_token_mlp`), [0, 2, 1], `${name}_from_tokens`), `${name}_res1`);
    h = net.add(h, mlp(net, net.layerNorm(h, p.dim, p.layerNorm, `${name}_ln2`), p.dim, p.channelHidden, spec.activation, `${name}_channel_mlp`), `${name}_res2`);
  }
  h = net.layerNorm(h, p.dim, p.layerNorm, "final_ln");
  const pooled = net.b.op1("ReduceMean", [h, net.ints([1])], { name: "pool", attributes: [intAttr("keepdims", 0)] });
  return net.linear(pooled, p.dim, spec.classes, "head", { prunable: false });
}
