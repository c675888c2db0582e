/** Summary statistics of results over seeds: mean ± sample std, and paired differences with a 95% t interval. */

export function mean(xs: number[]): number {
  return xs.reduce((a, b) => a + b, 0) / xs.length;
}

/** Sample standard deviation (n - 1); 0 for a single value. */
export function std(xs: number[]): number {
  if (xs.length < 2) return 0;
  const m = mean(xs);
  return Math.sqrt(xs.reduce((a, x) => a + (x - m) ** 2, 0) / (xs.length - 1));
}

/** One number over the seeds of an arm: the per-seed values (in seed order) and their mean and sample std. */
export interface SeedStats {
  mean: number;
  /** Sample standard deviation; 0 for one value. */
  sd: number;
  n: number;
  values: number[];
}

/** Mean and sd of the values; NaN mean and sd when there are none (callers print them as missing). */
export function seedStats(values: number[]): SeedStats {
  if (values.length === 0) return { mean: NaN, sd: NaN, n: 0, values: [] };
  return { mean: mean(values), sd: std(values), n: values.length, values: [...values] };
}

/** Two-sided 97.5% quantile of Student's t with `df` degrees of freedom (table for small df, normal limit beyond). */
export function tQuantile975(df: number): number {
  const table = [NaN, 12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179, 2.16, 2.145, 2.131,
    2.12, 2.11, 2.101, 2.093, 2.086, 2.08, 2.074, 2.069, 2.064, 2.06, 2.056, 2.052, 2.048, 2.045, 2.042];
  if (df < 1) return NaN;
  if (df < table.length) return table[df];
  return 1.96 + 2.4 / df; // within 0.002 of the exact value for df > 30
}

export interface PairedDifference {
  /** Mean of (b - a) over paired seeds. */
  mean: number;
  /** 95% interval of the mean difference (NaN bounds with fewer than 2 pairs). */
  lo: number;
  hi: number;
  n: number;
  /** "b lower", "b higher", or "no detectable difference" (interval covers zero or too few pairs). */
  verdict: 'b lower' | 'b higher' | 'no detectable difference';
}

/** Paired comparison of arm b against arm a (same seeds, same data). */
export function pairedDifference(a: number[], b: number[]): PairedDifference {
  if (a.length !== b.length) throw new Error(`paired comparison needs the same number of runs (${a.length} vs ${b.length})`);
  const d = a.map((x, i) => b[i] - x);
  const n = d.length;
  const m = mean(d);
  if (n < 2) return { mean: m, lo: NaN, hi: NaN, n, verdict: 'no detectable difference' };
  const half = (tQuantile975(n - 1) * std(d)) / Math.sqrt(n);
  const lo = m - half;
  const hi = m + half;
  const verdict = hi < 0 ? 'b lower' : lo > 0 ? 'b higher' : 'no detectable difference';
  return { mean: m, lo, hi, n, verdict };
}
