// Each family's sampler (size class -> parameters and input side), builder, and the
// activations it is drawn with (CNNs: ReLU/ReLU6/h-swish, rarely GELU; transformers: GELU forms, rarely ReLU).
import type { Value } from "../../ir/index.ts";
import type { Net } from "./net.ts";
import type { Rng } from "./rng.ts";
import type { Activation, FamilyParams, SizeClass, ZooFamily, ZooSpecOf } from "./zoo-spec.ts";
import { buildPlainCnn, samplePlainCnn } from "./families/plain-cnn.ts";
import { buildResidualCnn, sampleResidualCnn } from "./families/residual-cnn.ts";
import { buildInvertedResidual, sampleInvertedResidual } from "./families/inverted-residual.ts";
import { buildMultiBranch, sampleMultiBranch } from "./families/multi-branch.ts";
import { buildChannelShuffle, sampleChannelShuffle } from "./families/channel-shuffle.ts";
import { buildVit, sampleVit } from "./families/vit.ts";
import { buildWindowedAttention, sampleWindowedAttention } from "./families/windowed-attention.ts";
import { buildMlpMixer, sampleMlpMixer } from "./families/mlp-mixer.ts";

export interface FamilyDef<F extends ZooFamily> {
  sample: (r: Rng, size: SizeClass) => { params: FamilyParams[F]; resolution: number };
  /** Builds from the input image to the logits. */
  build: (net: Net, image: Value, spec: ZooSpecOf<F>) => Value;
  /** Drawn uniformly, so repeats weight the draw. */
  activations: readonly Activation[];
}

const CNN_ACTS: readonly Activation[] = ["relu", "relu", "relu6", "hardswish", "hardswish", "gelu"];
const TRANSFORMER_ACTS: readonly Activation[] = ["gelu", "gelu", "gelu-erf", "gelu-erf", "relu"];

export const FAMILIES: { [F in ZooFamily]: FamilyDef<F> } = {
  "plain-cnn": { sample: samplePlainCnn, build: buildPlainCnn, activations: CNN_ACTS },
  "residual-cnn": { sample: sampleResidualCnn, build: buildResidualCnn, activations: CNN_ACTS },
  "inverted-residual": { sample: sampleInvertedResidual, build: buildInvertedResidual, activations: CNN_ACTS },
  "multi-branch": { sample: sampleMultiBranch, build: buildMultiBranch, activations: CNN_ACTS },
  "channel-shuffle": { sample: sampleChannelShuffle, build: buildChannelShuffle, activations: CNN_ACTS },
  vit: { sample: sampleVit, build: buildVit, activations: TRANSFORMER_ACTS },
  "windowed-attention": { sample: sampleWindowedAttention, build: buildWindowedAttention, activations: TRANSFORMER_ACTS },
  "mlp-mixer": { sample: sampleMlpMixer, build: buildMlpMixer, activations: TRANSFORMER_ACTS },
};
