/** Small statistics helpers for the benchmarks. */
export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i]!;
}

export interface LatencySummary {
  n: number;
  p50: number;
  p99: number;
  mean: number;
}

export function summarise(samplesMs: number[]): LatencySummary {
  const sorted = [...samplesMs].sort((a, b) => a - b);
  const mean = sorted.reduce((a, b) => a + b, 0) / sorted.length;
  return { n: sorted.length, p50: percentile(sorted, 50), p99: percentile(sorted, 99), mean };
}

export const fmt = (n: number, digits = 3) => (Number.isFinite(n) ? n.toFixed(digits) : "n/a");

export interface RatioSpread {
  median: number;
  min: number;
  max: number;
}

/**
 * The round-by-round ratios a[i] / b[i] of two stores measured back to back in each round: drift on a
 * shared machine moves both sides of a pair alike, so their spread shows how far a ratio can be trusted.
 */
export function pairedRatios(a: readonly number[], b: readonly number[]): RatioSpread {
  const n = Math.min(a.length, b.length);
  const rs = Array.from({ length: n }, (_, i) => a[i]! / b[i]!).sort((x, y) => x - y);
  if (rs.length === 0) return { median: NaN, min: NaN, max: NaN };
  const m = Math.floor(rs.length / 2);
  const median = rs.length % 2 ? rs[m]! : (rs[m - 1]! + rs[m]!) / 2;
  return { median, min: rs[0]!, max: rs[rs.length - 1]! };
}

/**
 * The order of the stores in round `round`: as listed in even rounds, reversed in odd ones. With a fixed
 * order each store always ran at the same place in the round, so drift within a round (the machine
 * slowing, daprd's heap growing) landed on one side of every pair; alternating gives each store the same
 * mean position.
 */
export function roundOrder<T>(items: readonly T[], round: number): T[] {
  return round % 2 === 0 ? [...items] : [...items].reverse();
}
