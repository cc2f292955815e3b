// Inverted residual (MobileNetV2/V3, EfficientNet-like): 1x1 expansion, k x k depthwise, optional
// squeeze-excitation (GlobalAveragePool, 1x1 reduce, ReLU, 1x1 expand, hard/plain sigmoid, Mul),
// linear 1x1 projection, Add when the shape is kept.
import { floatAttr, type Value } from "../../../ir/index.ts";
import type { Net } from "../net.ts";
import { chance, int, pick, roundTo, type Rng } from "../rng.ts";
import type { InvertedResidualParams, SizeClass, ZooSpecOf } from "../zoo-spec.ts";
import { cnnStages, CNN_SIZES } from "./cnn-sizes.ts";

export function sampleInvertedResidual(r: Rng, size: SizeClass): { params: InvertedResidualParams; resolution: number } {
  const s = CNN_SIZES[size];
  const se = chance(r, 0.7);
  const stages = cnnStages(r, s, () => pick(r, [3, 5])).map((st, i) => ({
    ...st,
    blocks: st.blocks + (size === "small" ? 0 : 1),
    expansion: pick(r, [1, 3, 4, 6]),
    stride: (i === 0 && size === "small" ? 1 : 2) as 1 | 2,
    se: se && chance(r, 0.8),
  }));
  return { params: { stem: roundTo(int(r, s.base[0], s.base[1])), stages, head: roundTo(Math.min(s.maxChannels * 2, stages.at(-1)!.channels * 4)) }, resolution: pick(r, s.resolutions) };
}

export function buildInvertedResidual(net: Net, x: Value, spec: ZooSpecOf<"inverted-residual">): Value {
  const { stem, stages, head } = spec.params;
  let h = net.conv(x, 3, stem, "stem", { kernel: 3, stride: 2, prunable: false });
  let channels = stem;
  stages.forEach((stage, i) => {
    for (let j = 0; j < stage.blocks; j++) {
      const stride = j === 0 ? stage.stride : 1;
      const name = `s${i}b${j}`;
      const hidden = roundTo(channels * stage.expansion);
      let t = stage.expansion === 1 ? h : net.conv(h, channels, hidden, `${name}_expand`);
      const width = stage.expansion === 1 ? channels : hidden;
      t = net.conv(t, width, width, `${name}_dw`, { kernel: stage.kernel, stride, group: width });
      if (stage.se) t = squeezeExcite(net, t, width, channels, name, spec.activation === "hardswish");
      t = net.conv(t, width, stage.channels, `${name}_project`, { act: false, gain: 0.5 });
      h = stride === 1 && channels === stage.channels ? net.add(h, t, `${name}_add`) : t;
      channels = stage.channels;
    }
  });
  h = net.conv(h, channels, head, "head_conv");
  return net.cnnHead(h, head, spec.classes);
}

function squeezeExcite(net: Net, x: Value, width: number, blockIn: number, name: string, hard: boolean): Value {
  const squeezed = Math.max(8, roundTo(blockIn / 4));
  let s = net.b.op1("GlobalAveragePool", [x], { name: `${name}_se_pool` });
  s = net.conv(s, width, squeezed, `${name}_se_reduce`, { act: "relu" });
  s = net.conv(s, squeezed, width, `${name}_se_expand`, { act: false });
  const gate = hard
    ? net.b.op1("HardSigmoid", [s], { name: `${name}_se_gate`, attributes: [floatAttr("alpha", 1 / 6), floatAttr("beta", 0.5)] })
    : net.b.op1("Sigmoid", [s], { name: `${name}_se_gate` });
  return net.b.op1("Mul", [x, gate], { name: `${name}_se_scale` });
}
