// What a zoo model is made of: a family, a size class, and the family's own parameters. A spec
// fully determines the model (weights come from `seed`), so zoo.json can rebuild any file.

export const ZOO_FAMILIES = [
  "plain-cnn",
  "residual-cnn",
  "inverted-residual",
  "multi-branch",
  "channel-shuffle",
  "vit",
  "windowed-attention",
  "mlp-mixer",
] as const;
export type ZooFamily = (typeof ZOO_FAMILIES)[number];

export const SIZE_CLASSES = ["small", "medium", "large"] as const;
export type SizeClass = (typeof SIZE_CLASSES)[number];

/** relu6 is Clip(0, 6); gelu is the opset-20 Gelu op, gelu-erf its Div/Erf/Add/Mul/Mul form (older exporters). */
export const ACTIVATIONS = ["relu", "relu6", "hardswish", "gelu", "gelu-erf"] as const;
export type Activation = (typeof ACTIVATIONS)[number];

/**
 * Magnitude pruning of every Conv/MatMul weight except the stem and the classifier:
 * unstructured zeroes single weights, channel whole output channels, block1x4 runs of 4
 * consecutive weights along the reduction axis of one output (the 1x4 pattern of sparse kernels).
 */
export const PRUNING_KINDS = ["none", "unstructured", "channel", "block1x4"] as const;
export type PruningKind = (typeof PRUNING_KINDS)[number];
export interface Pruning { kind: PruningKind; /** Fraction of the scored units zeroed, 0..1. */ level: number }

export interface CnnStage {
  channels: number;
  blocks: number;
  kernel: number;
}
export interface PlainCnnParams { stem: number; stages: CnnStage[] }
export interface ResidualCnnParams { stem: number; stages: (CnnStage & { bottleneck: boolean })[] }
export interface InvertedResidualParams { stem: number; stages: (CnnStage & { expansion: number; stride: 1 | 2; se: boolean })[]; head: number }
export interface MultiBranchParams {
  stem: number;
  /** Inception blocks; `reduce` blocks halve the resolution with a stride-2 max pool first. */
  blocks: { b1: number; b3: number; b5: number; pool: number; reduce: boolean; factorized: boolean }[];
}
export interface ChannelShuffleParams { stem: number; stages: { channels: number; blocks: number }[] }

/** Multi-head attention as one batched MatMul over [B, heads, N, dh], or unrolled per head (as some exporters emit). */
export type HeadsForm = "batched" | "per-head";
/** LayerNormalization (opset 17) or its ReduceMean/Sub/Pow/Sqrt/Div form (opset < 17 exporters). */
export type LayerNormForm = "fused" | "decomposed";
export interface TransformerForms { heads: HeadsForm; layerNorm: LayerNormForm }
export interface VitParams extends TransformerForms { patch: number; dim: number; depth: number; numHeads: number; mlpRatio: number }
export interface WindowedAttentionParams extends TransformerForms {
  patch: number;
  window: number;
  /** Per stage: channel width, block count and heads; each later stage halves the grid (patch merging). */
  stages: { dim: number; depth: number; numHeads: number }[];
  mlpRatio: number;
}
export interface MlpMixerParams { patch: number; dim: number; depth: number; tokenHidden: number; channelHidden: number; layerNorm: LayerNormForm }

export interface FamilyParams {
  "plain-cnn": PlainCnnParams;
  "residual-cnn": ResidualCnnParams;
  "inverted-residual": InvertedResidualParams;
  "multi-branch": MultiBranchParams;
  "channel-shuffle": ChannelShuffleParams;
  vit: VitParams;
  "windowed-attention": WindowedAttentionParams;
  "mlp-mixer": MlpMixerParams;
}

interface CommonSpec {
  size: SizeClass;
  /** Seeds the weights (and the pruning's tie order); the spec's other fields fix the graph. */
  seed: number;
  batch: number;
  /** Input is [batch, 3, resolution, resolution]. */
  resolution: number;
  classes: number;
  activation: Activation;
  pruning: Pruning;
}

export type ZooSpec = { [F in ZooFamily]: CommonSpec & { family: F; params: FamilyParams[F] } }[ZooFamily];
export type ZooSpecOf<F extends ZooFamily> = CommonSpec & { family: F; params: FamilyParams[F] };

/** ONNX versions of every zoo model: opset 20 has Gelu and LayerNormalization; IR 9 is what opset 20 needs, <= 10 for older readers. */
export const ZOO_OPSET = 20;
export const ZOO_IR_VERSION = 9;
