// Channel shuffle (ShuffleNet v2): units split the channels in two, run one half through
// 1x1 -> 3x3 depthwise -> 1x1, concatenate, and shuffle the channels with Reshape/Transpose/
// Reshape; each stage's first unit downsamples with both halves strided.
import { intAttr, type Value } from "../../../ir/index.ts";
import { maxPool, type Net } from "../net.ts";
import { down, int, pick, roundTo, type Rng } from "../rng.ts";
import type { ChannelShuffleParams, SizeClass, ZooSpecOf } from "../zoo-spec.ts";
import { CNN_SIZES } from "./cnn-sizes.ts";

export function sampleChannelShuffle(r: Rng, size: SizeClass): { params: ChannelShuffleParams; resolution: number } {
  const s = CNN_SIZES[size];
  const count = int(r, s.stages[0], s.stages[1] - (size === "large" ? 1 : 0));
  let width = int(r, s.base[0], s.base[1]) * 2;
  const stages: ChannelShuffleParams["stages"] = [];
  for (let i = 0; i < count; i++) {
    stages.push({ channels: Math.min(s.maxChannels, roundTo(width, 16)), blocks: int(r, s.blocks[0], s.blocks[1] + 1) });
    width *= 2;
  }
  return { params: { stem: roundTo(int(r, s.base[0], s.base[1])), stages }, resolution: pick(r, s.resolutions) };
}

export function buildChannelShuffle(net: Net, x: Value, spec: ZooSpecOf<"channel-shuffle">): Value {
  const { stem, stages } = spec.params;
  const batch = spec.batch;
  let h = net.conv(x, 3, stem, "stem", { kernel: 3, stride: 2, prunable: false });
  let side = down(spec.resolution, 2);
  if (spec.resolution >= 96) { h = maxPool(net, h, 3, 2, "stem_pool"); side = down(side, 2); }
  let channels = stem;
  const shuffle = (v: Value, c: number, name: string): Value => {
    const grouped = net.reshape(v, [batch, 2, c / 2, side * side], `${name}_group`);
    return net.reshape(net.transpose(grouped, [0, 2, 1, 3], `${name}_shuffle`), [batch, c, side, side], `${name}_ungroup`);
  };
  const branch = (v: Value, cin: number, half: number, stride: number, name: string): Value => {
    let t = net.conv(v, cin, half, `${name}_pw1`);
    t = net.conv(t, half, half, `${name}_dw`, { kernel: 3, stride, group: half, act: false });
    return net.conv(t, half, half, `${name}_pw2`);
  };
  stages.forEach((stage, i) => {
    const half = stage.channels / 2;
    for (let j = 0; j < stage.blocks; j++) {
      const name = `s${i}u${j}`;
      if (j === 0) {
        const left = net.conv(net.conv(h, channels, channels, `${name}_short_dw`, { kernel: 3, stride: 2, group: channels, act: false }), channels, half, `${name}_short_pw`);
        const right = branch(h, channels, half, 2, name);
        side = down(side, 2);
        h = shuffle(net.concat([left, right], 1, `${name}_concat`), stage.channels, name);
      } else {
        const [keep, work] = net.b.op("Split", [h, net.ints([half, half])], { name: `${name}_split`, outputs: 2, attributes: [intAttr("axis", 1)] }).outputs as [Value, Value];
        h = shuffle(net.concat([keep, branch(work, half, half, 1, name)], 1, `${name}_concat`), stage.channels, name);
      }
      channels = stage.channels;
    }
  });
  h = net.conv(h, channels, roundTo(channels * 2), "head_conv");
  return net.cnnHead(h, roundTo(channels * 2), spec.classes);
}
