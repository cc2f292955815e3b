// Size classes shared by the convolutional families: input sides, stage counts, widths, depths.
// Small ones run in onnxruntime in a few milliseconds; large ones approach ResNet-18/MobileNet cost.
import { int, roundTo, type Rng } from "../rng.ts";
import type { CnnStage, SizeClass } from "../zoo-spec.ts";

export interface CnnSize { resolutions: readonly number[]; stages: [number, number]; base: [number, number]; blocks: [number, number]; maxChannels: number }

export const CNN_SIZES: Record<SizeClass, CnnSize> = {
  small: { resolutions: [32, 48, 64], stages: [2, 3], base: [8, 24], blocks: [1, 2], maxChannels: 96 },
  medium: { resolutions: [96, 128, 160], stages: [3, 4], base: [16, 40], blocks: [1, 3], maxChannels: 256 },
  large: { resolutions: [192, 224], stages: [4, 5], base: [32, 64], blocks: [2, 3], maxChannels: 384 },
};

/** Stages whose width doubles (x1.5-2) each stage from a random base, capped per size. */
export function cnnStages(r: Rng, s: CnnSize, kernel: () => number): CnnStage[] {
  const count = int(r, s.stages[0], s.stages[1]);
  let width = int(r, s.base[0], s.base[1]);
  const stages: CnnStage[] = [];
  for (let i = 0; i < count; i++) {
    stages.push({ channels: Math.min(s.maxChannels, roundTo(width)), blocks: int(r, s.blocks[0], s.blocks[1]), kernel: kernel() });
    width *= 1.5 + r() * 0.5;
  }
  return stages;
}
