// Latency summaries for `sparoa bench` and the batch tuner.

export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return NaN;
  const at = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[at]!;
}

export function median(values: readonly number[]): number {
  return percentile([...values].sort((a, b) => a - b), 50);
}

export interface LatencySummary { count: number; p50: number; p90: number; p99: number; mean: number; min: number; max: number }

export function summarize(latenciesMs: readonly number[]): LatencySummary {
  const s = [...latenciesMs].sort((a, b) => a - b);
  return {
    count: s.length, p50: percentile(s, 50), p90: percentile(s, 90), p99: percentile(s, 99),
    mean: s.reduce((a, b) => a + b, 0) / Math.max(1, s.length), min: s[0] ?? NaN, max: s[s.length - 1] ?? NaN,
  };
}
