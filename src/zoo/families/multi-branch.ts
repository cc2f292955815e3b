// Multi-branch (Inception-like): each block concatenates a 1x1 branch, a 1x1 -> 3x3 branch, a
// 1x1 -> 5x5 branch (or two 3x3, as Inception v2 factorizes it) and a 3x3 max pool -> 1x1
// branch; reduction blocks halve the side with a stride-2 max pool first.
import type { Value } from "../../../ir/index.ts";
import { maxPool, type Net } from "../net.ts";
import { chance, int, pick, roundTo, type Rng } from "../rng.ts";
import type { MultiBranchParams, SizeClass, ZooSpecOf } from "../zoo-spec.ts";
import { CNN_SIZES } from "./cnn-sizes.ts";

const BLOCKS: Record<SizeClass, [number, number]> = { small: [2, 3], medium: [4, 6], large: [7, 9] };

export function sampleMultiBranch(r: Rng, size: SizeClass): { params: MultiBranchParams; resolution: number } {
  const s = CNN_SIZES[size];
  const count = int(r, BLOCKS[size][0], BLOCKS[size][1]);
  const factorized = chance(r, 0.5);
  let width = int(r, s.base[0], s.base[1]);
  const blocks: MultiBranchParams["blocks"] = [];
  for (let i = 0; i < count; i++) {
    const quarter = Math.min(s.maxChannels / 4, width);
    blocks.push({ b1: roundTo(quarter * (0.7 + r() * 0.6)), b3: roundTo(quarter * (1 + r() * 0.6)), b5: roundTo(quarter * (0.4 + r() * 0.4)), pool: roundTo(quarter * (0.4 + r() * 0.4)), reduce: i > 0 && i % 2 === 0, factorized });
    width *= 1.2 + r() * 0.3;
  }
  return { params: { stem: roundTo(int(r, s.base[0], s.base[1]) * 2), blocks }, resolution: pick(r, s.resolutions) };
}

export function buildMultiBranch(net: Net, x: Value, spec: ZooSpecOf<"multi-branch">): Value {
  const { stem, blocks } = spec.params;
  let h = net.conv(x, 3, stem, "stem", { kernel: 3, stride: 2, prunable: false });
  if (spec.resolution >= 96) h = maxPool(net, h, 3, 2, "stem_pool");
  let channels = stem;
  blocks.forEach((blk, i) => {
    const name = `mixed${i}`;
    if (blk.reduce) h = maxPool(net, h, 3, 2, `${name}_reduce`);
    const b1 = net.conv(h, channels, blk.b1, `${name}_1x1`);
    const b3 = net.conv(net.conv(h, channels, roundTo(blk.b3 / 2), `${name}_3x3_reduce`), roundTo(blk.b3 / 2), blk.b3, `${name}_3x3`, { kernel: 3 });
    const r5 = roundTo(blk.b5 / 2);
    let b5 = net.conv(h, channels, r5, `${name}_5x5_reduce`);
    b5 = blk.factorized
      ? net.conv(net.conv(b5, r5, blk.b5, `${name}_5x5a`, { kernel: 3 }), blk.b5, blk.b5, `${name}_5x5b`, { kernel: 3 })
      : net.conv(b5, r5, blk.b5, `${name}_5x5`, { kernel: 5 });
    const bp = net.conv(maxPool(net, h, 3, 1, `${name}_pool`), channels, blk.pool, `${name}_pool_proj`);
    h = net.concat([b1, b3, b5, bp], 1, `${name}_concat`);
    channels = blk.b1 + blk.b3 + blk.b5 + blk.pool;
  });
  return net.cnnHead(h, channels, spec.classes);
}
