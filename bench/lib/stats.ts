/** Small statistics for benchmark samples. */

export function percentile(samples: readonly number[], p: number): number {
  if (samples.length === 0) return NaN;
  const sorted = [...samples].sort((a, b) => a - b);
  // Nearest-rank: p99 of 100 samples is the 99th, never an interpolation between two.
  const rank = Math.min(sorted.length, Math.max(1, Math.ceil((p / 100) * sorted.length)));
  return sorted[rank - 1];
}

export const median = (samples: readonly number[]): number => percentile(samples, 50);

export function summary(samples: readonly number[]): { min: number; median: number; max: number } {
  return { min: Math.min(...samples), median: median(samples), max: Math.max(...samples) };
}

export const mean = (samples: readonly number[]): number => (samples.length ? samples.reduce((a, b) => a + b, 0) / samples.length : NaN);

export function fmt(n: number, digits = 1): string {
  if (!Number.isFinite(n)) return 'n/a';
  return n.toFixed(digits);
}
