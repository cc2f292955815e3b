// Named fixed specs for benchmarks and tests that need a known model. vit-large is the planner's
// simulator benchmark model: 12 layers, per-head attention, decomposed LayerNorm and GELU, as an
// opset-13 era export lays a ViT out; it has over 1,000 placeable (non-constant, non-shape) nodes.
import type { Pruning, ZooSpec } from "./zoo-spec.ts";

const dense: Pruning = { kind: "none", level: 0 };
const common = { batch: 1, classes: 1000 } as const;

export const ZOO_PRESETS = {
  "vit-small": (seed: number): ZooSpec => ({ ...common, family: "vit", size: "small", seed, resolution: 32, activation: "gelu", pruning: dense, params: { patch: 4, dim: 64, depth: 4, numHeads: 4, mlpRatio: 4, heads: "batched", layerNorm: "fused" } }),
  "vit-large": (seed: number): ZooSpec => ({ ...common, family: "vit", size: "large", seed, resolution: 224, activation: "gelu-erf", pruning: dense, params: { patch: 16, dim: 256, depth: 12, numHeads: 8, mlpRatio: 4, heads: "per-head", layerNorm: "decomposed" } }),
  "cnn-medium": (seed: number): ZooSpec => ({ ...common, family: "plain-cnn", size: "medium", seed, resolution: 128, activation: "relu", pruning: dense, params: { stem: 32, stages: [{ channels: 32, blocks: 2, kernel: 3 }, { channels: 64, blocks: 2, kernel: 3 }, { channels: 128, blocks: 3, kernel: 3 }, { channels: 192, blocks: 3, kernel: 3 }] } }),
  "resnet-medium": (seed: number): ZooSpec => ({ ...common, family: "residual-cnn", size: "medium", seed, resolution: 128, activation: "relu", pruning: dense, params: { stem: 32, stages: [32, 64, 128, 192].map((channels) => ({ channels, blocks: 2, kernel: 3, bottleneck: false })) } }),
  "mobilenet-medium": (seed: number): ZooSpec => ({ ...common, family: "inverted-residual", size: "medium", seed, resolution: 128, activation: "hardswish", pruning: dense, params: { stem: 16, head: 384, stages: [{ channels: 24, blocks: 2, kernel: 3, expansion: 4, stride: 2, se: false }, { channels: 40, blocks: 3, kernel: 5, expansion: 3, stride: 2, se: true }, { channels: 80, blocks: 3, kernel: 3, expansion: 6, stride: 2, se: false }, { channels: 112, blocks: 2, kernel: 3, expansion: 6, stride: 1, se: true }, { channels: 160, blocks: 3, kernel: 5, expansion: 6, stride: 2, se: true }] } }),
  "inception-medium": (seed: number): ZooSpec => ({ ...common, family: "multi-branch", size: "medium", seed, resolution: 128, activation: "relu", pruning: dense, params: { stem: 48, blocks: [0, 1, 2, 3, 4].map((i) => ({ b1: 32 + 16 * i, b3: 48 + 16 * i, b5: 16 + 8 * i, pool: 16 + 8 * i, reduce: i === 2 || i === 4, factorized: true })) } }),
  "shufflenet-medium": (seed: number): ZooSpec => ({ ...common, family: "channel-shuffle", size: "medium", seed, resolution: 128, activation: "relu", pruning: dense, params: { stem: 24, stages: [{ channels: 64, blocks: 3 }, { channels: 128, blocks: 4 }, { channels: 256, blocks: 3 }] } }),
  "swin-medium": (seed: number): ZooSpec => ({ ...common, family: "windowed-attention", size: "medium", seed, resolution: 112, activation: "gelu", pruning: dense, params: { patch: 4, window: 7, mlpRatio: 4, heads: "batched", layerNorm: "fused", stages: [{ dim: 48, depth: 2, numHeads: 3 }, { dim: 96, depth: 2, numHeads: 3 }, { dim: 192, depth: 4, numHeads: 6 }] } }),
  "mixer-medium": (seed: number): ZooSpec => ({ ...common, family: "mlp-mixer", size: "medium", seed, resolution: 128, activation: "gelu", pruning: dense, params: { patch: 16, dim: 128, depth: 8, tokenHidden: 64, channelHidden: 512, layerNorm: "fused" } }),
} as const satisfies Record<string, (seed: number) => ZooSpec>;

export type ZooPreset = keyof typeof ZOO_PRESETS;
export const isZooPreset = (name: string): name is ZooPreset => Object.hasOwn(ZOO_PRESETS, name);
