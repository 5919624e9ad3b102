/** Small statistics and formatting helpers shared by the benchmark sections. */

export function median(samples: readonly number[]): number {
  if (samples.length === 0) return Number.NaN;
  const sorted = [...samples].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  const upper = sorted[middle] ?? Number.NaN;
  if (sorted.length % 2 === 1) return upper;
  return ((sorted[middle - 1] ?? upper) + upper) / 2;
}

export function min(samples: readonly number[]): number {
  return samples.length === 0 ? Number.NaN : Math.min(...samples);
}

export function max(samples: readonly number[]): number {
  return samples.length === 0 ? Number.NaN : Math.max(...samples);
}

/** Median of per-run ratios: each pair was measured back to back, so a noisy neighbour slows both. */
export function pairedRatio(numerators: readonly number[], denominators: readonly number[]): number {
  const ratios = numerators
    .map((value, i) => value / (denominators[i] ?? Number.NaN))
    .filter((r) => Number.isFinite(r));
  return median(ratios);
}

export const round = (value: number, digits = 1): number => {
  const factor = 10 ** digits;
  return Math.round(value * factor) / factor;
};

export function verdict(value: number, target: number): 'PASS' | 'MISS' {
  return Number.isFinite(value) && value <= target ? 'PASS' : 'MISS';
}

/** Milliseconds from a performance.now() start. */
export const since = (start: number): number => performance.now() - start;
