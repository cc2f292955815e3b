// One streaming pass over a weight tensor counting zeros, all-zero output channels and
// all-zero 1x4 blocks along the reduction dimension.
//
// A weight is viewed as [G, R1, O, R2] in row-major order: G independent groups (batch
// matrices, directions, ConvTranspose groups), O output channels, and the reduction split
// into R1 (before the channel axis) and R2 (after it). Channel (g, o) is all-zero when every
// W[g, :, o, :] is zero. Blocks run along the reduction axis that is contiguous in the kernel's
// dot product: "inner" blocks are 4 consecutive elements of R2 (Conv [M, C*k*k]); "outer"
// blocks are 4 consecutive R1 indices with (g, o, r2) fixed (MatMul's [K, N], ConvTranspose).
// A reduction length that is not a multiple of 4 ends in one shorter block.
import type { Tensor } from "../../ir/tensor.ts";
import { forEachChunk, type ElementArray } from "./elements.ts";

export interface WeightLayout {
  groups: number;
  r1: number;
  out: number;
  r2: number;
  blocks: "inner" | "outer";
}

export interface WeightScan {
  elements: number;
  zeros: number;
  channels: number;
  zeroChannels: number;
  blocks: number;
  zeroBlocks: number;
}

const BLOCK = 4;

/** Zero elements of a whole tensor. */
export function countZeros(tensor: Tensor): number {
  let zeros = 0;
  forEachChunk(tensor, 1, (data, mask) => { zeros += zerosIn(data, mask, 0, data.length); });
  return zeros;
}

function zerosIn(data: ElementArray, mask: number, from: number, to: number): number {
  let zeros = 0;
  if (mask === 0) { for (let i = from; i < to; i++) if (data[i] === 0) zeros++; }
  else { for (let i = from; i < to; i++) if ((data[i]! & mask) === 0) zeros++; }
  return zeros;
}

/** Scans `tensor` (whose element count must be G*R1*O*R2) under `layout`. */
export function scanWeight(tensor: Tensor, layout: WeightLayout): WeightScan {
  const { groups, r1, out, r2 } = layout;
  if (groups * r1 * out * r2 !== tensor.size) throw new Error(`tensor '${tensor.name}': layout ${groups}x${r1}x${out}x${r2} does not match ${tensor.size} elements`);
  return layout.blocks === "inner" ? scanInner(tensor, layout) : scanOuter(tensor, layout);
}

/** Units are rows of R2 elements, one per (g, r1, o). */
function scanInner(tensor: Tensor, { groups, r1, out, r2 }: WeightLayout): WeightScan {
  const channelNonzero = new Uint8Array(groups * out);
  const blocksPerRow = Math.ceil(r2 / BLOCK);
  let zeros = 0;
  let zeroBlocks = 0;
  forEachChunk(tensor, r2, (data, mask, firstUnit, units) => {
    for (let u = 0; u < units; u++) {
      const row = firstUnit + u;
      const channel = Math.floor(row / (r1 * out)) * out + (row % out);
      const base = u * r2;
      let rowNonzero = 0;
      const rowEnd = base + r2;
      let b = base;
      if (mask === 0) {
        // Whole blocks, unrolled: the common case, and the one that must be fast on big models.
        for (const full = base + r2 - (r2 % BLOCK); b < full; b += BLOCK) {
          const z = (data[b] === 0 ? 1 : 0) + (data[b + 1] === 0 ? 1 : 0) + (data[b + 2] === 0 ? 1 : 0) + (data[b + 3] === 0 ? 1 : 0);
          zeros += z;
          if (z === BLOCK) zeroBlocks++;
          else rowNonzero = 1;
        }
      }
      for (; b < rowEnd; b += BLOCK) {
        const end = Math.min(b + BLOCK, rowEnd);
        let z = 0;
        if (mask === 0) { for (let i = b; i < end; i++) if (data[i] === 0) z++; }
        else { for (let i = b; i < end; i++) if ((data[i]! & mask) === 0) z++; }
        zeros += z;
        if (z === end - b) zeroBlocks++;
        else rowNonzero = 1;
      }
      channelNonzero[channel] |= rowNonzero;
    }
  });
  return finish(tensor.size, zeros, channelNonzero, groups * r1 * out * blocksPerRow, zeroBlocks);
}

/** Units are slabs of O*R2 elements, one per (g, r1); blocks gather 4 consecutive slabs. */
function scanOuter(tensor: Tensor, { groups, r1, out, r2 }: WeightLayout): WeightScan {
  const slab = out * r2;
  const channelNonzero = new Uint8Array(groups * out);
  const blockNonzero = new Uint8Array(slab);
  let zeros = 0;
  let zeroBlocks = 0;
  forEachChunk(tensor, slab, (data, mask, firstUnit, units) => {
    for (let u = 0; u < units; u++) {
      const unit = firstUnit + u;
      const g = Math.floor(unit / r1);
      const k = unit % r1;
      if (k % BLOCK === 0) blockNonzero.fill(0);
      const base = u * slab;
      if (r2 === 1 && mask === 0) {
        // One element per channel per slab (MatMul's [K, N]): a flat loop.
        const channelBase = g * out;
        for (let o = 0; o < out; o++) {
          if (data[base + o] !== 0) { blockNonzero[o] = 1; channelNonzero[channelBase + o] = 1; }
          else zeros++;
        }
      } else for (let o = 0, j = 0; o < out; o++) {
        let any = 0;
        for (let t = 0; t < r2; t++, j++) {
          const v = data[base + j]!;
          if (mask === 0 ? v !== 0 : (v & mask) !== 0) { blockNonzero[j] = 1; any = 1; }
          else zeros++;
        }
        channelNonzero[g * out + o] |= any;
      }
      if (k % BLOCK === BLOCK - 1 || k === r1 - 1) for (let j = 0; j < slab; j++) if (blockNonzero[j] === 0) zeroBlocks++;
    }
  });
  return finish(tensor.size, zeros, channelNonzero, groups * Math.ceil(r1 / BLOCK) * slab, zeroBlocks);
}

function finish(elements: number, zeros: number, channelNonzero: Uint8Array, blocks: number, zeroBlocks: number): WeightScan {
  let zeroChannels = 0;
  for (const nz of channelNonzero) if (nz === 0) zeroChannels++;
  return { elements, zeros, channels: channelNonzero.length, zeroChannels, blocks, zeroBlocks };
}
