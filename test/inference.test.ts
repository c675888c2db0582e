import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  analyseFamily, holmAdjust, holmLevels, minimumDetectableEffect, pairedInterval, pairedT, studentTCdf, studentTQuantile, tost,
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
  assert.deepEqual(holmLevels([0.01, 0.04, 0.03, 0.5], 0.05).map((v) => Number(v.toFixed(10))), [0.0125, 0.025, 0.05 / 3, 0.05].map((v) => Number(v.toFixed(10))));
});

test('minimum detectable effect: central-t formula vs SciPy and the noncentral value', () => {
  // (t.ppf(0.975, n-1) + t.ppf(0.8, n-1)) · 0.85/√n with SciPy: n=8 0.97989..., n=16 0.63701...
  close(minimumDetectableEffect(0.85, 8, 0.05), 0.9798929542064889, 1e-8, 'mde n=8');
  close(minimumDetectableEffect(0.85, 16, 0.05), 0.6370100852352832, 1e-8, 'mde n=16');
  // Exact (noncentral t, SciPy brentq) at n = 8: 0.98263; the approximation is within 0.3%.
  assert.ok(Math.abs(minimumDetectableEffect(0.85, 8, 0.05) / 0.982629476106651 - 1) < 0.003);
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
