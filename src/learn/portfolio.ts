// The candidate portfolio: a few quantile bins that, between them, come close to the best bin on
// nearly every training pair. The threshold plan's cost surface is flat with a few separate
// optimal regions (every node GPU-placed, the faster processor per node, a few mixed ones); a
// single predicted bin that lands in the wrong region costs 20-90% (docs/predictor.md), and a
// model trained on small and medium models does not know which region a large unseen model is
// in. Placing and simulating the predicted bin and these few fixed ones, and keeping the
// cheapest, is a handful of simulations instead of the grid search's up to 144.
//
// Chosen greedily on the training labels only: each step adds the bin that most lowers the mean
// log-regret of the best bin chosen so far, until the 90th percentile of that regret is within
// `p90Target` of the best, or `maxSize` bins.
import type { ThresholdLabels } from "./labels.ts";

export interface PortfolioOptions {
  /** Most bins (default 12). */
  maxSize?: number;
  /** Stop once the training pairs' 90th-percentile regret is at most this (default 1.001). */
  p90Target?: number;
}

export const DEFAULT_PORTFOLIO = { maxSize: 12, p90Target: 1.001 } as const;

/** Per pair, each bin's log(plan cost / the pair's best cost over the bins and the grid). */
export function binLogRegrets(labels: readonly ThresholdLabels[]): Float64Array[] {
  return labels.map((l) => {
    const flat = l.bins.flat();
    const best = Math.min(...flat, ...l.grid.ms.flat());
    return Float64Array.from(flat, (ms) => Math.log(ms / best));
  });
}

function p90(values: Float64Array): number {
  const s = Float64Array.from(values).sort();
  return s.length ? s[Math.min(s.length - 1, Math.ceil(0.9 * s.length) - 1)]! : 0;
}

/** Bin indices (row-major: sparsity bin, then intensity bin), in the order chosen. */
export function choosePortfolio(labels: readonly ThresholdLabels[], options: PortfolioOptions = {}): number[] {
  const maxSize = options.maxSize ?? DEFAULT_PORTFOLIO.maxSize;
  const target = Math.log(options.p90Target ?? DEFAULT_PORTFOLIO.p90Target);
  const regrets = binLogRegrets(labels);
  if (regrets.length === 0) return [];
  const bins = regrets[0]!.length;
  const current = new Float64Array(regrets.length).fill(Infinity);
  const chosen: number[] = [];
  while (chosen.length < maxSize) {
    let best = { bin: -1, mean: Infinity };
    for (let b = 0; b < bins; b++) {
      if (chosen.includes(b)) continue;
      let sum = 0;
      for (let k = 0; k < regrets.length; k++) sum += Math.min(current[k]!, regrets[k]![b]!);
      // Strictly lower only: ties keep the lowest index, so the portfolio is deterministic.
      if (sum / regrets.length < best.mean - 1e-12) best = { bin: b, mean: sum / regrets.length };
    }
    const before = chosen.length ? current.reduce((a, b) => a + b, 0) / regrets.length : Infinity;
    if (best.bin < 0 || best.mean >= before - 1e-12) break;
    chosen.push(best.bin);
    regrets.forEach((r, k) => { current[k] = Math.min(current[k]!, r[best.bin]!); });
    if (p90(current) <= target) break;
  }
  return chosen;
}
