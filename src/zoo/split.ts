// The fixed held-out split: whole families and a whole size class, so an evaluation measures
// transfer to structures and scales the learner never saw, not interpolation between siblings.
// - windowed-attention: a transformer whose window partition (Reshape/Transpose), shifted-window
//   roll (Slice/Concat) and per-window batching the training transformers (ViT, Mixer) lack;
// - channel-shuffle: a CNN of Split/Concat/shuffle and depthwise convs with channel halves, unlike
//   the plain, residual, inverted-residual and multi-branch CNNs trained on;
// - large: the biggest models (more nodes, FLOPs and weights than any training model).
// Training keeps at least one family of every kind (4 CNN families, ViT, MLP-Mixer).
import type { SizeClass, ZooFamily, ZooSpec } from "./zoo-spec.ts";

export const HELD_OUT_FAMILIES: readonly ZooFamily[] = ["windowed-attention", "channel-shuffle"];
export const HELD_OUT_SIZES: readonly SizeClass[] = ["large"];

export type ZooSplit = "train" | "test";

export function splitOf(spec: Pick<ZooSpec, "family" | "size">): ZooSplit {
  return HELD_OUT_FAMILIES.includes(spec.family) || HELD_OUT_SIZES.includes(spec.size) ? "test" : "train";
}
