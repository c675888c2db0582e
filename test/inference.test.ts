import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  analyseFamily, holmAdjust, holmLevels, minimumDetectableEffect, noncentralTCdf, normalCdf, pairedInterval, pairedTPower, pairedT, studentTCdf, studentTQuantile, tost,
} from '../src/runs/inference';

const close = (got: number, want: number, tol: number, what: string) =>
  assert.ok(Math.abs(got - want) <= tol * Math.max(1, Math.abs(want)), `${what}: ${got} vs ${want}`);

// Reference values: SciPy 1.10 (Debian's python3-scipy), scipy.stats.t.cdf / t.ppf / ttest_1samp.
test('Student t CDF and quantiles match SciPy', () => {
  close(studentTCdf(1.5, 3), 0.8847080673775886, 1e-10, 'cdf(1.5, 3)');
  close(studentTCdf(-2.2, 7), 0.03186550765131839, 1e-10, 'cdf(-2.2, 7)');
  close(studentTCdf(0.3, 1), 0.5927735790777423, 1e-10, 'cdf(0.3, 1)');
  close(studentTCdf(4, 30), 0.9998090771819581, 1e-10, 'cdf(4, 30)');
  close(studentTQuantile(0.975, 7), 2.3646242510102993, 1e-9, 'ppf(0.975, 7)');
  close(studentTQuantile(0.99375, 7), 3.3352949398170852, 1e-9, 'ppf(0.99375, 7)');
  close(studentTQuantile(0.8, 7), 0.8960296443135947, 1e-9, 'ppf(0.8, 7)');
  close(studentTQuantile(0.999, 2), 22.32712476997542, 1e-9, 'ppf(0.999, 2)');
  close(studentTQuantile(0.025, 7), -2.3646242510102993, 1e-9, 'ppf(0.025, 7)');
});

test('paired t-test and TOST match SciPy on a hand-made case', () => {
  const d = [-0.5, -1.2, 0.3, -0.8, -0.1, -0.9, -0.4, -0.6];
  const t = pairedT(d.map(() => 10), d.map((v) => 10 + v));
  close(t.mean, -0.525, 1e-12, 'mean');
  close(t.sd, 0.4713203338949606, 1e-12, 'sd');
  close(t.p, 0.016139388423330812, 1e-9, 'p');
  // TOST at margin 0.75: max(p_lower, p_upper) = max(0.1094820, 6.05e-5).
  close(tost(t, 0.75), 0.10948199743831044, 1e-9, 'tost p');
  const [lo, hi] = pairedInterval(t, 0.05);
  close(hi - lo, 2 * 2.3646242510102993 * t.se, 1e-9, 'interval width');
  assert.throws(() => pairedT([1, 2], [1]), /same number/);
  assert.ok(Number.isNaN(pairedT([1], [2]).p));
});

test('Holm adjusted p-values and levels: hand-computed', () => {
  // sorted 0.01·4 = 0.04, 0.03·3 = 0.09, 0.04·2 = 0.08 -> running max 0.09, 0.5·1 = 0.5
  assert.deepEqual(holmAdjust([0.01, 0.04, 0.03, 0.5]).map((v) => Number(v.toFixed(10))), [0.04, 0.09, 0.09, 0.5]);
  assert.deepEqual(holmAdjust([0.3, NaN, 0.6]).map((v) => (Number.isNaN(v) ? 'nan' : Number(v.toFixed(10)))), [0.6, 'nan', 0.6]);
  assert.deepEqual(holmLevels([0.01, 0.04, 0.03, 0.5], 0.05).map((v) => Number(v.toFixed(10))), [0.0125, 0.05 / 3, 0.05 / 3, 0.05 / 3].map((v) => Number(v.toFixed(10))));
  // Holm stops at its first non-rejection: p = 0.010 fails at 0.025/3, so all three stay at that level, and an
  // interval drawn at a later nominal level (0.025 for p = 0.020) cannot exclude 0 while the verdict is inconclusive.
  assert.deepEqual(holmLevels([0.02, 0.01, 0.011], 0.025).map((v) => Number(v.toFixed(12))), [0.025 / 3, 0.025 / 3, 0.025 / 3].map((v) => Number(v.toFixed(12))));
  // At the exact boundary p·(m − rank) = α Holm does not reject (adjusted p = α is not below α); the level stops there.
  assert.deepEqual(holmLevels([0.0125, 0.4, 0.3, 0.2], 0.05).map((v) => Number(v.toFixed(12))), [0.0125, 0.0125, 0.0125, 0.0125]);
  assert.equal(holmAdjust([0.0125, 0.4, 0.3, 0.2])[0], 0.05);
  // Property: with NaNs and ties, a comparison is rejected (adjusted p < α) exactly when p is below its interval's level,
  // i.e. exactly when its interval excludes 0.
  let state = 12345;
  const rand = () => ((state = (state * 1103515245 + 12345) % 2147483648) / 2147483648);
  for (let trial = 0; trial < 500; trial++) {
    const ps = Array.from({ length: 1 + Math.floor(rand() * 6) }, () => (rand() < 0.15 ? NaN : rand() < 0.2 ? 0.01 : rand() ** 3 * 0.2));
    const adj = holmAdjust(ps);
    const lv = holmLevels(ps, 0.05);
    ps.forEach((p, i) => {
      if (Number.isNaN(p)) assert.ok(Number.isNaN(lv[i]));
      else assert.equal(p < lv[i], adj[i] < 0.05, `p ${JSON.stringify(ps)} at ${i}: level ${lv[i]}, adjusted ${adj[i]}`);
    });
  }
  assert.deepEqual(holmLevels([0.001, 0.004, 0.02], 0.025).map((v) => Number(v.toFixed(12))), [0.025 / 3, 0.0125, 0.025].map((v) => Number(v.toFixed(12))));
});

test('noncentral t CDF and power against SciPy 1.17 (nct.cdf, and quad over the chi density)', () => {
  close(noncentralTCdf(2, 5, 1), 0.7780746626162148, 1e-9, 'nct(2; 5, 1)');
  close(noncentralTCdf(1.5, 3, 2.5), 0.16686909072651487, 1e-9, 'nct(1.5; 3, 2.5)');
  close(noncentralTCdf(-1, 7, 0.5), 0.07810220220087769, 1e-9, 'nct(-1; 7, 0.5)');
  close(noncentralTCdf(3, 2, 4), 0.21121489158489212, 1e-9, 'nct(3; 2, 4)');
  close(noncentralTCdf(2.5, 15, 3), 0.31036059869549426, 1e-9, 'nct(2.5; 15, 3)');
  // δ = 0 is the central t; ν = 1 exercises the density's nonzero value at S = 0.
  for (const [t, df] of [[1.5, 3], [-2.2, 7], [0.7, 1]] as const) close(noncentralTCdf(t, df, 0), studentTCdf(t, df), 1e-9, `nct(${t}; ${df}, 0)`);
  close(normalCdf(-1.96), 0.024997895148220435, 1e-14, 'Φ(-1.96)');
  close(normalCdf(0.5), 0.6914624612740131, 1e-14, 'Φ(0.5)');
  close(normalCdf(-8), 6.22096057427174e-16, 1e-25, 'Φ(-8)');
  // At the effect 0 the two-sided test's power is its level.
  close(pairedTPower(0, 1, 8, 0.05), 0.05, 1e-9, 'power at 0');
});

test('minimum detectable effect: exact (noncentral t) against SciPy brentq, and above the central-t shortcut', () => {
  // Reference: scipy.optimize.brentq on 1 − nct.cdf(tc) + nct.cdf(−tc) = 0.8, with quad over the chi density.
  const cases: Array<[number, number, number, number]> = [
    [0.85, 8, 0.05, 0.9826294762955237], [0.85, 16, 0.05, 0.6370457978365214], [1, 3, 0.05, 3.2640435496995712],
    [1, 4, 0.05 / 3, 3.1242073059156215], [1, 8, 0.025 / 3, 1.6495360404490114], [0.3, 6, 0.0125, 0.6015995852106374],
    [1, 2, 0.05, 11.54988843588236], [1, 5, 0.025, 2.0500072975556245],
  ];
  for (const [sd, n, alpha, want] of cases) close(minimumDetectableEffect(sd, n, alpha), want, 1e-7 * want, `mde(${sd}, ${n}, ${alpha})`);
  // The central-t shortcut (t_{1−α/2} + t_{0.8})·sd/√n is smaller: 2.9% at n = 8, α = 0.025/3.
  const central = (studentTQuantile(1 - 0.025 / 6, 7) + studentTQuantile(0.8, 7)) / Math.sqrt(8);
  assert.ok(minimumDetectableEffect(1, 8, 0.025 / 3) / central - 1 > 0.025);
  assert.equal(minimumDetectableEffect(0, 8, 0.05), 0);
  assert.ok(Number.isNaN(minimumDetectableEffect(0.85, 1, 0.05)));
});

test('family verdicts: difference, equivalence, inconclusive, not testable', () => {
  const base = [10, 11, 12, 10.5, 11.5, 10.2, 11.1, 10.8];
  const lower = base.map((v, i) => v - 1 + 0.05 * Math.sin(i));
  const same = base.map((v, i) => v + 0.02 * Math.cos(3 * i));
  const noisy = base.map((v, i) => v + (i % 2 ? 1.5 : -1.4));
  const rows = analyseFamily([[base, lower], [base, same], [base, noisy], [[1], [2]]], { margin: 0.5 });
  assert.deepEqual(rows.map((r) => r.verdict), ['b lower', 'equivalent', 'inconclusive', 'not testable']);
  assert.ok(rows[2].mde > 0.5, 'a noisy comparison reports an MDE larger than the margin');
  // m = 3 testable comparisons: the smallest p is tested at α/3.
  assert.ok(Math.abs(rows[0].levelHolm - 0.05 / 3) < 1e-12);
});
