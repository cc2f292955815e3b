// Draws for the sampler, all from one seeded uniform generator (ir/random.ts's seededRandom).
export type Rng = () => number;

export const int = (r: Rng, lo: number, hi: number): number => lo + Math.floor(r() * (hi - lo + 1));
export const pick = <T>(r: Rng, items: readonly T[]): T => items[Math.floor(r() * items.length)]!;
export const chance = (r: Rng, p: number): boolean => r() < p;
export const uniform = (r: Rng, lo: number, hi: number): number => lo + r() * (hi - lo);
/** Rounds a channel count to a multiple of `m` (at least m), as real nets keep widths. */
export const roundTo = (n: number, m = 8): number => Math.max(m, Math.round(n / m) * m);
/** Output side of a 'same'-padded conv or pool with stride s. */
export const down = (side: number, stride: number): number => Math.ceil(side / stride);
