// Residual CNN (ResNet-like): basic (k x k, k x k) or bottleneck (1x1, k x k, 1x1) blocks, a 1x1
// projection shortcut where the shape changes, Add, then the activation.
import type { Value } from "../../../ir/index.ts";
import { maxPool, type Net } from "../net.ts";
import { chance, int, pick, roundTo, type Rng } from "../rng.ts";
import type { ResidualCnnParams, SizeClass, ZooSpecOf } from "../zoo-spec.ts";
import { cnnStages, CNN_SIZES } from "./cnn-sizes.ts";

export function sampleResidualCnn(r: Rng, size: SizeClass): { params: ResidualCnnParams; resolution: number } {
  const s = CNN_SIZES[size];
  // Bottleneck stages are twice as wide outside (ResNet-50's 4x, tempered), their 3x3 a quarter.
  const bottleneck = size !== "small" && chance(r, 0.4);
  const stages = cnnStages(r, s, () => pick(r, [3, 3, 3, 5])).map((st) => ({ ...st, channels: bottleneck ? st.channels * 2 : st.channels, bottleneck }));
  return { params: { stem: roundTo(int(r, s.base[0], s.base[1])), stages }, resolution: pick(r, s.resolutions) };
}

export function buildResidualCnn(net: Net, x: Value, spec: ZooSpecOf<"residual-cnn">): Value {
  const { stem, stages } = spec.params;
  let h = net.conv(x, 3, stem, "stem", { kernel: 3, stride: spec.resolution >= 96 ? 2 : 1, prunable: false });
  if (spec.resolution >= 192) h = maxPool(net, h, 3, 2, "stem_pool");
  let channels = stem;
  stages.forEach((stage, i) => {
    for (let j = 0; j < stage.blocks; j++) {
      const stride = i > 0 && j === 0 ? 2 : 1;
      const name = `s${i}b${j}`;
      const out = stage.channels;
      let branch: Value;
      if (stage.bottleneck) {
        const mid = roundTo(out / 4);
        branch = net.conv(h, channels, mid, `${name}_reduce`);
        branch = net.conv(branch, mid, mid, `${name}_conv`, { kernel: stage.kernel, stride });
        branch = net.conv(branch, mid, out, `${name}_expand`, { act: false, gain: 0.5 });
      } else {
        branch = net.conv(h, channels, out, `${name}_conv1`, { kernel: stage.kernel, stride });
        branch = net.conv(branch, out, out, `${name}_conv2`, { kernel: stage.kernel, act: false, gain: 0.5 });
      }
      const shortcut = stride !== 1 || channels !== out ? net.conv(h, channels, out, `${name}_proj`, { stride, act: false }) : h;
      h = net.act(net.add(branch, shortcut, `${name}_add`), spec.activation, `${name}_act`);
      channels = out;
    }
  });
  return net.cnnHead(h, channels, spec.classes);
}
