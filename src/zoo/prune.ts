// Magnitude pruning of one weight tensor, seen as a matrix of outputs x reduction entries.
// Scores: |w| per entry (unstructured), L2 per output row (channel), L2 per run of 4
// consecutive reduction entries of one output (block1x4); the lowest `level` fraction is zeroed.
import type { Pruning } from "./zoo-spec.ts";

/** How a weight's flat index maps to (output, reduction): Conv [O, I*k*k] rows, MatMul [K, N] columns. */
export interface WeightLayout { outputs: number; reduction: number; index: (output: number, r: number) => number }

export const convLayout = (dims: readonly number[]): WeightLayout => {
  const outputs = dims[0]!;
  const reduction = dims.slice(1).reduce((a, b) => a * b, 1);
  return { outputs, reduction, index: (o, r) => o * reduction + r };
};

export const matmulLayout = (rows: number, cols: number): WeightLayout => ({ outputs: cols, reduction: rows, index: (o, r) => r * cols + o });

export function prune(data: Float32Array, layout: WeightLayout, pruning: Pruning): void {
  if (pruning.kind === "none" || pruning.level <= 0) return;
  const { outputs, reduction, index } = layout;
  const unit = pruning.kind === "unstructured" ? 1 : pruning.kind === "block1x4" ? 4 : reduction;
  const perRow = Math.ceil(reduction / unit);
  const scores = new Float32Array(outputs * perRow);
  for (let o = 0; o < outputs; o++) {
    for (let r = 0; r < reduction; r++) {
      const w = data[index(o, r)]!;
      scores[o * perRow + Math.floor(r / unit)] += w * w;
    }
  }
  const count = Math.floor(pruning.level * scores.length);
  if (count === 0) return;
  // Zero the `count` lowest-scored units; ties at the threshold are broken by position, so the
  // count is exact and the result depends only on the data.
  const threshold = Float32Array.from(scores).sort()[count - 1]!;
  let below = 0;
  for (const s of scores) if (s < threshold) below++;
  let atThresholdLeft = count - below;
  for (let u = 0; u < scores.length; u++) {
    const s = scores[u]!;
    if (s > threshold) continue;
    if (s === threshold) { if (atThresholdLeft === 0) continue; atThresholdLeft--; }
    const o = Math.floor(u / perRow);
    const start = (u % perRow) * unit;
    for (let r = start; r < Math.min(reduction, start + unit); r++) data[index(o, r)] = 0;
  }
}
