// Windowed attention (Swin-like): tokens kept as [B, H, W, C]; each block partitions the grid
// into window x window windows with Reshape/Transpose/Reshape, attends within them (with a
// relative-position bias), reverses the partition, and on odd blocks cyclically shifts the grid
// by half a window first (Slice + Concat, as exporters lower torch.roll). Stages end in patch
// merging (2x2 space-to-depth, LayerNorm, Linear 4C -> C').
import { intAttr, type Value } from "../../../ir/index.ts";
import type { Net } from "../net.ts";
import { chance, int, pick, type Rng } from "../rng.ts";
import type { SizeClass, WindowedAttentionParams, ZooSpecOf } from "../zoo-spec.ts";
import { attention, mlp } from "./transformer-blocks.ts";

const SIZES: Record<SizeClass, { patches: number[]; windows: number[]; stages: [number, number]; dims: number[]; depth: [number, number]; lastWindows: number[] }> = {
  small: { patches: [2, 4], windows: [4], stages: [2, 2], dims: [16, 32], depth: [1, 2], lastWindows: [1, 2] },
  medium: { patches: [4], windows: [4, 7], stages: [3, 3], dims: [32, 48, 64], depth: [2, 2], lastWindows: [1] },
  large: { patches: [4], windows: [7], stages: [3, 4], dims: [48, 64], depth: [2, 4], lastWindows: [1] },
};

export function sampleWindowedAttention(r: Rng, size: SizeClass): { params: WindowedAttentionParams; resolution: number } {
  const s = SIZES[size];
  const count = int(r, s.stages[0], s.stages[1]);
  const base = pick(r, s.dims);
  const stages = Array.from({ length: count }, (_, i) => ({ dim: base * 2 ** i, depth: int(r, s.depth[0], s.depth[1]) * (i === 2 ? 2 : 1), numHeads: headsFor(base * 2 ** i) }));
  const patch = pick(r, s.patches);
  const window = pick(r, s.windows);
  const grid = window * pick(r, s.lastWindows) * 2 ** (count - 1);
  return {
    params: { patch, window, stages, mlpRatio: pick(r, [2, 4]), heads: chance(r, 0.3) ? "per-head" : "batched", layerNorm: chance(r, 0.4) ? "decomposed" : "fused" },
    resolution: patch * grid,
  };
}

/** Head width 32 where it divides (Swin's choice), else 16. */
const headsFor = (dim: number): number => (dim >= 64 && dim % 32 === 0 ? dim / 32 : Math.max(1, dim / 16));

export function buildWindowedAttention(net: Net, x: Value, spec: ZooSpecOf<"windowed-attention">): Value {
  const p = spec.params;
  const B = spec.batch;
  let grid = spec.resolution / p.patch;
  let dim = p.stages[0]!.dim;
  let h = net.conv(x, 3, dim, "patch_embed", { kernel: p.patch, stride: p.patch, pad: 0, act: false, prunable: false });
  h = net.layerNorm(net.transpose(h, [0, 2, 3, 1], "to_nhwc"), dim, p.layerNorm, "patch_norm");
  const roll = (v: Value, shift: number, name: string): Value => {
    // torch.roll(v, shift, (1, 2)) on a grid of side `grid`; negative shift rolls left.
    let out = v;
    for (const axis of [1, 2]) {
      const cut = ((-shift % grid) + grid) % grid;
      out = net.concat([net.slice(out, axis, cut, grid, `${name}_a${axis}_tail`), net.slice(out, axis, 0, cut, `${name}_a${axis}_head`)], axis, `${name}_a${axis}`);
    }
    return out;
  };
  p.stages.forEach((stage, si) => {
    if (si > 0) {
      const half = grid / 2;
      const merged = net.reshape(net.transpose(net.reshape(h, [B, half, 2, half, 2, dim], `merge${si}_split`), [0, 1, 3, 4, 2, 5], `merge${si}_t`), [B, half, half, 4 * dim], `merge${si}_join`);
      h = net.linear(net.layerNorm(merged, 4 * dim, p.layerNorm, `merge${si}_ln`), 4 * dim, stage.dim, `merge${si}_reduce`);
      grid = half;
      dim = stage.dim;
    }
    const w = Math.min(p.window, grid);
    const n = grid / w;
    for (let j = 0; j < stage.depth; j++) {
      const name = `s${si}b${j}`;
      const shift = j % 2 === 1 && grid > w ? Math.floor(w / 2) : 0;
      let t = net.layerNorm(h, dim, p.layerNorm, `${name}_ln1`);
      if (shift) t = roll(t, -shift, `${name}_shift`);
      t = net.reshape(net.transpose(net.reshape(t, [B, n, w, n, w, dim], `${name}_win_split`), [0, 1, 3, 2, 4, 5], `${name}_win_t`), [B * n * n, w * w, dim], `${name}_windows`);
      t = attention(net, t, { batch: B * n * n, tokens: w * w, dim, heads: stage.numHeads, form: p.heads }, `${name}_attn`, true);
      t = net.reshape(net.transpose(net.reshape(t, [B, n, n, w, w, dim], `${name}_unwin_split`), [0, 1, 3, 2, 4, 5], `${name}_unwin_t`), [B, grid, grid, dim], `${name}_unwindows`);
      if (shift) t = roll(t, shift, `${name}_unshift`);
      h = net.add(h, t, `${name}_res1`);
      h = net.add(h, mlp(net, net.layerNorm(h, dim, p.layerNorm, `${name}_ln2`), dim, dim * p.mlpRatio, spec.activation, `${name}_mlp`), `${name}_res2`);
    }
  });
  h = net.layerNorm(h, dim, p.layerNorm, "final_ln");
  const pooled = net.b.op1("ReduceMean", [h, net.ints([1, 2])], { name: "pool", attributes: [intAttr("keepdims", 0)] });
  return net.linear(pooled, dim, spec.classes, "head", { prunable: false });
}
