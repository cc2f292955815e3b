// Plain CNN (VGG-like): stages of k x k Conv + activation, a stride-2 max pool between stages.
import type { Value } from "../../../ir/index.ts";
import { maxPool, type Net } from "../net.ts";
import { int, pick, roundTo, type Rng } from "../rng.ts";
import type { PlainCnnParams, SizeClass, ZooSpecOf } from "../zoo-spec.ts";
import { cnnStages, CNN_SIZES } from "./cnn-sizes.ts";

export function samplePlainCnn(r: Rng, size: SizeClass): { params: PlainCnnParams; resolution: number } {
  const s = CNN_SIZES[size];
  return { params: { stem: roundTo(int(r, s.base[0], s.base[1])), stages: cnnStages(r, s, () => pick(r, [3, 3, 5])) }, resolution: pick(r, s.resolutions) };
}

export function buildPlainCnn(net: Net, x: Value, spec: ZooSpecOf<"plain-cnn">): Value {
  const { stem, stages } = spec.params;
  let h = net.conv(x, 3, stem, "stem", { kernel: 3, stride: spec.resolution >= 96 ? 2 : 1, prunable: false });
  let channels = stem;
  stages.forEach((stage, i) => {
    if (i > 0) h = maxPool(net, h, 3, 2, `pool${i}`);
    for (let j = 0; j < stage.blocks; j++) {
      h = net.conv(h, channels, stage.channels, `s${i}b${j}`, { kernel: stage.kernel });
      channels = stage.channels;
    }
  });
  return net.cnnHead(h, channels, spec.classes);
}
