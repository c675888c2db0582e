import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mean, std, pairedDifference, tQuantile975 } from '../src/runs/stats';

test('mean and sample std match hand computation', () => {
  assert.equal(mean([1, 2, 3, 4]), 2.5);
  assert.ok(Math.abs(std([1, 2, 3, 4]) - Math.sqrt(5 / 3)) < 1e-12);
  assert.equal(std([7]), 0);
});

test('paired difference interval: hand-computed case and verdicts', () => {
  // d = [-1, -2, -3]: mean -2, sd 1, t(2) = 4.303 -> half width 4.303/sqrt(3) = 2.4843
  const r = pairedDifference([10, 10, 10], [9, 8, 7]);
  assert.ok(Math.abs(r.mean + 2) < 1e-12);
  assert.ok(Math.abs(r.hi - (-2 + 4.303 / Math.sqrt(3))) < 1e-9);
  assert.equal(r.verdict, 'no detectable difference');
  const clear = pairedDifference([5, 5, 5, 5], [4, 4.1, 3.9, 4]);
  assert.equal(clear.verdict, 'b lower');
  assert.equal(pairedDifference([1], [2]).verdict, 'no detectable difference');
  assert.throws(() => pairedDifference([1, 2], [1]), /same number/);
  assert.ok(Math.abs(tQuantile975(60) - 2.0) < 0.003);
});
