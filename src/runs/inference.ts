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

/**
 * The level each comparison's interval is drawn at, compatible with Holm's step-down decisions: α/(m − rank) while Holm
 * rejects (rank 0 = smallest p); from the first comparison it fails to reject on, every later one keeps that step's
 * level, because Holm stops there — a later comparison with a larger nominal level α/(m − rank) is not rejected, so its
 * interval must not exclude 0 either. NaN when untestable.
 */
export function holmLevels(ps: readonly number[], alpha: number): number[] {
  const idx = ps.map((p, i) => ({ p, i })).filter((e) => !Number.isNaN(e.p)).sort((x, y) => x.p - y.p);
  const out = ps.map(() => NaN);
  let stopped: number | null = null;
  idx.forEach((e, rank) => {
    const level = stopped ?? alpha / (idx.length - rank);
    // The same test as holmAdjust's adjusted p < α (the verdict's), so the two can never disagree.
    if (stopped === null && !(e.p * (idx.length - rank) < alpha)) stopped = level;
    out[e.i] = level;
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
 * Regularised incomplete gamma P(a, x) and Q(a, x) = 1 − P (series below a + 1, Lentz continued fraction for Q above,
 * so each tail is computed directly, without cancellation; ≈ 1e-15 relative).
 */
export function regularizedGamma(a: number, x: number): { p: number; q: number } {
  if (!(a > 0)) throw new Error(`regularizedGamma: a must be > 0, got ${a}`);
  if (x <= 0) return { p: 0, q: 1 };
  const front = Math.exp(a * Math.log(x) - x - logGamma(a));
  if (x < a + 1) {
    let term = 1 / a;
    let sum = term;
    for (let k = 1; k < 1000 && Math.abs(term) > Math.abs(sum) * 1e-16; k++) {
      term *= x / (a + k);
      sum += term;
    }
    const p = front * sum;
    return { p, q: 1 - p };
  }
  const tiny = 1e-300;
  let b = x + 1 - a;
  let c = 1 / tiny;
  let d = 1 / b;
  let h = d;
  for (let i = 1; i < 1000; i++) {
    const an = -i * (i - a);
    b += 2;
    d = an * d + b;
    if (Math.abs(d) < tiny) d = tiny;
    c = b + an / c;
    if (Math.abs(c) < tiny) c = tiny;
    d = 1 / d;
    const step = d * c;
    h *= step;
    if (Math.abs(step - 1) < 1e-16) break;
  }
  const q = front * h;
  return { p: 1 - q, q };
}

/** Standard normal CDF Φ(x): the tail beyond |x| is Q(1/2, x²/2)/2, accurate in both far tails. */
export function normalCdf(x: number): number {
  if (Number.isNaN(x)) return NaN;
  if (!Number.isFinite(x)) return x > 0 ? 1 : 0;
  const tail = 0.5 * regularizedGamma(0.5, (x * x) / 2).q;
  return x >= 0 ? 1 - tail : tail;
}

/** Simpson nodes over S = √(V/ν), V ~ χ²_ν: the weights fold in the density, so ∫ g(s) f_S(s) ds = Σ w_i g(s_i). */
const chiNodes = new Map<number, { s: number[]; w: number[] }>();
function scaledChiQuadrature(df: number): { s: number[]; w: number[] } {
  const hit = chiNodes.get(df);
  if (hit) return hit;
  // V beyond ν + 60 + 12√(2ν) carries < 1e-13 of the mass for every ν ≥ 1.
  const sMax = Math.sqrt((df + 60 + 12 * Math.sqrt(2 * df)) / df);
  const intervals = 2000;
  const h = sMax / intervals;
  const logC = Math.log(2) + (df / 2) * Math.log(df / 2) - logGamma(df / 2);
  const s: number[] = [];
  const w: number[] = [];
  for (let i = 0; i <= intervals; i++) {
    const x = i * h;
    const density = x === 0 ? (df === 1 ? Math.exp(logC) : 0) : Math.exp(logC + (df - 1) * Math.log(x) - (df * x * x) / 2);
    const simpson = i === 0 || i === intervals ? 1 : i % 2 ? 4 : 2;
    s.push(x);
    w.push((simpson * h * density) / 3);
  }
  const nodes = { s, w };
  chiNodes.set(df, nodes);
  return nodes;
}

/**
 * P(T ≤ t) for the noncentral t with `df` degrees of freedom and noncentrality δ: T = (Z + δ)/√(V/ν), so
 * P(T ≤ t) = E[Φ(t·S − δ)] with S = √(V/ν), integrated by Simpson's rule over S: within 1e-9 of SciPy's nct for
 * ν = 1…30, δ ≤ 20, |t| ≤ 4; on 1 df with t ≥ 40 the error grows to ~1e-7 (the integrand's step is narrower than a
 * node), which moves an MDE by ~1e-8 relative.
 */
export function noncentralTCdf(t: number, df: number, delta: number): number {
  if (!(df > 0)) throw new Error(`noncentralTCdf: df must be > 0, got ${df}`);
  const { s, w } = scaledChiQuadrature(df);
  let sum = 0;
  for (let i = 0; i < s.length; i++) sum += w[i] * normalCdf(t * s[i] - delta);
  return Math.min(1, Math.max(0, sum));
}

/** Power of the two-sided paired t-test at level alpha for a true mean difference `effect` (noncentral t). */
export function pairedTPower(effect: number, sd: number, n: number, alpha: number): number {
  const df = n - 1;
  const critical = studentTQuantile(1 - alpha / 2, df);
  const delta = (effect * Math.sqrt(n)) / sd;
  return 1 - noncentralTCdf(critical, df, delta) + noncentralTCdf(-critical, df, delta);
}

/**
 * Minimum detectable effect of a two-sided paired t-test at level alpha with the given power, from the observed sd of
 * the differences: the effect whose exact (noncentral-t) power is `power`, solved by bisection. The usual central-t
 * shortcut (t_{1−α/2} + t_{power})·sd/√n understates it by 3% at n = 8 and 9% at n = 4 at the Holm/Bonferroni levels
 * used here (α ≈ 0.008; checked with SciPy 1.17), enough to size a design one seed too small.
 */
export function minimumDetectableEffect(sd: number, n: number, alpha: number, power = 0.8): number {
  if (n < 2 || !(sd >= 0)) return NaN;
  if (sd === 0) return 0;
  const approx = (studentTQuantile(1 - alpha / 2, n - 1) + studentTQuantile(power, n - 1)) * (sd / Math.sqrt(n));
  let lo = 0;
  let hi = approx;
  while (pairedTPower(hi, sd, n, alpha) < power) hi *= 2;
  for (let i = 0; i < 100 && hi - lo > 1e-12 * hi; i++) {
    const mid = (lo + hi) / 2;
    if (pairedTPower(mid, sd, n, alpha) < power) lo = mid;
    else hi = mid;
  }
  return (lo + hi) / 2;
}

export type Verdict = 'b lower' | 'b higher' | 'equivalent' | 'inconclusive' | 'not testable';

export interface FamilyRow {
  test: PairedT;
  /** Holm-adjusted two-sided p. */
  pHolm: number;
  /**
   * The level of this comparison's interval (holmLevels): Holm's level for it while Holm rejects, the stopping step's
   * level after, so the interval excludes 0 exactly when the verdict rejects. Decision-compatible intervals, not
   * simultaneous 1 − α coverage of the family.
   */
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
