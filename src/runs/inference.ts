/**
 * Inference for paired seeds: Student-t tests, Holm's step-down correction, equivalence (TOST) and the minimum
 * detectable effect. Pure functions on plain numbers; every limit is stated where it applies.
 *
 * Verdict rule of a comparison family (decided before any run, see src/experiments/regime.ts):
 * - "b lower" / "b higher" when the Holm-adjusted two-sided p is below α;
 * - "equivalent within ±margin" when TOST at the family's Bonferroni level α/m rejects both one-sided nulls;
 * - otherwise "inconclusive", always reported with the minimum detectable effect at 80% power;
 * - "not testable (n = 1)" with fewer than two paired seeds.
 */

/** ln Γ(x) for x > 0 (Lanczos, g = 7, n = 9: relative error < 1e-14 over the range used here). */
export function logGamma(x: number): number {
  if (!(x > 0)) throw new Error(`logGamma: x must be > 0, got ${x}`);
  const c = [0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059,
    12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7];
  if (x < 0.5) return Math.log(Math.PI / Math.sin(Math.PI * x)) - logGamma(1 - x);
  const z = x - 1;
  let a = c[0];
  const t = z + 7.5;
  for (let i = 1; i < 9; i++) a += c[i] / (z + i);
  return 0.5 * Math.log(2 * Math.PI) + (z + 0.5) * Math.log(t) - t + Math.log(a);
}

/** Continued fraction of the regularised incomplete beta (modified Lentz); converges fast for x < (a+1)/(a+b+2). */
function betaContinuedFraction(a: number, b: number, x: number): number {
  const tiny = 1e-300;
  let c = 1;
  let d = 1 - ((a + b) * x) / (a + 1);
  if (Math.abs(d) < tiny) d = tiny;
  d = 1 / d;
  let h = d;
  for (let m = 1; m <= 500; m++) {
    const m2 = 2 * m;
    let num = (m * (b - m) * x) / ((a + m2 - 1) * (a + m2));
    d = 1 + num * d;
    if (Math.abs(d) < tiny) d = tiny;
    c = 1 + num / c;
    if (Math.abs(c) < tiny) c = tiny;
    d = 1 / d;
    h *= d * c;
    num = (-(a + m) * (a + b + m) * x) / ((a + m2) * (a + m2 + 1));
    d = 1 + num * d;
    if (Math.abs(d) < tiny) d = tiny;
    c = 1 + num / c;
    if (Math.abs(c) < tiny) c = tiny;
    d = 1 / d;
    const step = d * c;
    h *= step;
    if (Math.abs(step - 1) < 1e-15) return h;
  }
  throw new Error(`incomplete beta: no convergence for a=${a}, b=${b}, x=${x}`);
}

/** Regularised incomplete beta I_x(a, b). */
export function incompleteBeta(x: number, a: number, b: number): number {
  if (x <= 0) return 0;
  if (x >= 1) return 1;
  const front = Math.exp(logGamma(a + b) - logGamma(a) - logGamma(b) + a * Math.log(x) + b * Math.log(1 - x));
  return x < (a + 1) / (a + b + 2) ? (front * betaContinuedFraction(a, b, x)) / a : 1 - (front * betaContinuedFraction(b, a, 1 - x)) / b;
}

/** P(T <= t) for Student's t with `df` > 0 degrees of freedom. */
export function studentTCdf(t: number, df: number): number {
  if (!(df > 0)) throw new Error(`studentTCdf: df must be > 0, got ${df}`);
  if (Number.isNaN(t)) return NaN;
  if (!Number.isFinite(t)) return t > 0 ? 1 : 0;
  const tail = 0.5 * incompleteBeta(df / (df + t * t), df / 2, 0.5);
  return t >= 0 ? 1 - tail : tail;
}

/** The p-quantile of Student's t (bisection on the CDF to 1e-12; p in (0, 1)). */
export function studentTQuantile(p: number, df: number): number {
  if (!(p > 0 && p < 1)) throw new Error(`studentTQuantile: p must be in (0, 1), got ${p}`);
  if (p === 0.5) return 0;
  if (p < 0.5) return -studentTQuantile(1 - p, df);
  let lo = 0;
  let hi = 1;
  while (studentTCdf(hi, df) < p) hi *= 2;
  for (let i = 0; i < 200 && hi - lo > 1e-12 * Math.max(1, hi); i++) {
    const mid = (lo + hi) / 2;
    if (studentTCdf(mid, df) < p) lo = mid;
    else hi = mid;
  }
  return (lo + hi) / 2;
}

export interface PairedT {
  /** Number of pairs. */
  n: number;
  /** Mean of the paired differences b − a. */
  mean: number;
  /** Sample standard deviation of the differences (n − 1). */
  sd: number;
  /** Standard error sd/√n. */
  se: number;
  /** Two-sided p-value of H0: mean difference = 0 (NaN with n < 2; 0 or 1 when sd = 0). */
  p: number;
}

/** Paired t-test of arm b against arm a (same seeds in the same order). */
export function pairedT(a: readonly number[], b: readonly number[]): PairedT {
  if (a.length !== b.length) throw new Error(`paired test needs the same number of runs (${a.length} vs ${b.length})`);
  const d = a.map((x, i) => b[i] - x);
  if (d.some((v) => !Number.isFinite(v))) throw new Error('paired test: a difference is not finite');
  const n = d.length;
  const mean = n ? d.reduce((s, v) => s + v, 0) / n : NaN;
  if (n < 2) return { n, mean, sd: NaN, se: NaN, p: NaN };
  const sd = Math.sqrt(d.reduce((s, v) => s + (v - mean) ** 2, 0) / (n - 1));
  const se = sd / Math.sqrt(n);
  const p = se === 0 ? (mean === 0 ? 1 : 0) : 2 * studentTCdf(-Math.abs(mean / se), n - 1);
  return { n, mean, sd, se, p };
}

/** Two-sided confidence interval of the mean difference at level 1 − alpha. */
export function pairedInterval(t: PairedT, alpha: number): [number, number] {
  if (t.n < 2) return [NaN, NaN];
  const half = studentTQuantile(1 - alpha / 2, t.n - 1) * t.se;
  return [t.mean - half, t.mean + half];
}

/**
 * Holm's step-down adjusted p-values (same order as given): sort ascending, p_(i) · (m − i + 1), running maximum,
 * capped at 1. NaN p-values (untestable comparisons) stay NaN and do not count in m.
 */
export function holmAdjust(ps: readonly number[]): number[] {
  const idx = ps.map((p, i) => ({ p, i })).filter((e) => !Number.isNaN(e.p)).sort((x, y) => x.p - y.p);
  const m = idx.length;
  const out = ps.map(() => NaN);
  let running = 0;
  idx.forEach((e, rank) => {
    running = Math.max(running, Math.min(1, e.p * (m - rank)));
    out[e.i] = running;
  });
  return out;
}

/** The per-hypothesis level Holm tests each comparison at: α/(m − rank), rank 0 = smallest p (NaN when untestable). */
export function holmLevels(ps: readonly number[], alpha: number): number[] {
  const idx = ps.map((p, i) => ({ p, i })).filter((e) => !Number.isNaN(e.p)).sort((x, y) => x.p - y.p);
  const out = ps.map(() => NaN);
  idx.forEach((e, rank) => {
    out[e.i] = alpha / (idx.length - rank);
  });
  return out;
}

/**
 * Two one-sided tests of |mean difference| < margin at level alpha: equivalent when the 1 − 2α interval lies inside
 * (−margin, margin). Returns the TOST p-value (the larger one-sided p).
 */
export function tost(t: PairedT, margin: number): number {
  if (!(margin > 0)) throw new Error(`tost: margin must be > 0, got ${margin}`);
  if (t.n < 2) return NaN;
  if (t.se === 0) return Math.abs(t.mean) < margin ? 0 : 1;
  const pLower = 1 - studentTCdf((t.mean + margin) / t.se, t.n - 1);
  const pUpper = studentTCdf((t.mean - margin) / t.se, t.n - 1);
  return Math.max(pLower, pUpper);
}

/**
 * Minimum detectable effect of a two-sided paired t-test at level alpha with the given power, from the observed sd of
 * the differences: (t_{1−α/2, n−1} + t_{power, n−1}) · sd/√n. The central-t approximation is within 0.3% of the
 * exact (noncentral-t) value at n = 8 and 5% below it at n = 3 (checked with SciPy 1.10).
 */
export function minimumDetectableEffect(sd: number, n: number, alpha: number, power = 0.8): number {
  if (n < 2 || !(sd >= 0)) return NaN;
  return (studentTQuantile(1 - alpha / 2, n - 1) + studentTQuantile(power, n - 1)) * (sd / Math.sqrt(n));
}

export type Verdict = 'b lower' | 'b higher' | 'equivalent' | 'inconclusive' | 'not testable';

export interface FamilyRow {
  test: PairedT;
  /** Holm-adjusted two-sided p. */
  pHolm: number;
  /** Level at which Holm tests this comparison, and the interval at that level (compatible with its decision step). */
  levelHolm: number;
  intervalHolm: [number, number];
  /** TOST p at the margin; equivalence is claimed when it is below α/m (Bonferroni over the family). */
  pTost: number;
  /** Minimum detectable effect at 80% power and the family's Bonferroni level α/m. */
  mde: number;
  verdict: Verdict;
}

/**
 * A family of paired comparisons analysed together: Holm over the family for differences, TOST at α/m for
 * equivalence within ±margin, MDE at α/m. Each entry is [baseline values, arm values] over the same seeds.
 */
export function analyseFamily(pairs: ReadonlyArray<readonly [readonly number[], readonly number[]]>, opts: { alpha?: number; margin: number; power?: number }): FamilyRow[] {
  const alpha = opts.alpha ?? 0.05;
  const tests = pairs.map(([a, b]) => pairedT(a, b));
  const pHolm = holmAdjust(tests.map((t) => t.p));
  const levels = holmLevels(tests.map((t) => t.p), alpha);
  const m = tests.filter((t) => !Number.isNaN(t.p)).length;
  return tests.map((t, i): FamilyRow => {
    const pTost = tost(t, opts.margin);
    const familyAlpha = m > 0 ? alpha / m : alpha;
    let verdict: Verdict;
    if (t.n < 2) verdict = 'not testable';
    else if (pHolm[i] < alpha) verdict = t.mean < 0 ? 'b lower' : 'b higher';
    else if (pTost < familyAlpha) verdict = 'equivalent';
    else verdict = 'inconclusive';
    return {
      test: t, pHolm: pHolm[i], levelHolm: levels[i], intervalHolm: Number.isNaN(levels[i]) ? [NaN, NaN] : pairedInterval(t, levels[i]),
      pTost, mde: minimumDetectableEffect(t.sd, t.n, familyAlpha, opts.power ?? 0.8), verdict,
    };
  });
}
