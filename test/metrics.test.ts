import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'child_process';
import { areaUnderCurve, cedCurve, cedGrid, failureRate, nme, nmePerImage, simpson } from '../src/eval/metrics';
import { requireSetup } from './helpers/setup';

const close = (a: number, b: number, tol = 1e-12) => assert.ok(Math.abs(a - b) <= tol, `${a} vs ${b}`);

test('nme: hand-computed, groups averaged, visibility mask, clear errors', () => {
  // gt: 4 points; eyes are points 0/1 (left group) and 2/3 (right group): centroids (0,0) and (4,0) -> d = 4.
  const gt = [[-1, 1], [1, -1], [3, 0], [5, 0]];
  const pred = [[-1, 1 + 2], [1, -1], [3, 0], [5 + 4, 0]]; // errors 2, 0, 0, 4
  close(nme(pred, gt, { left: [0, 1], right: [2, 3] }), (2 + 0 + 0 + 4) / 4 / 4);
  close(nme(pred, gt, { left: [0, 1], right: [2, 3] }, [1, 1, 1, 0]), 2 / 3 / 4);
  close(nme(pred, gt, { left: [0], right: [3] }), 1.5 / Math.hypot(6, 1));
  assert.deepEqual(nmePerImage([pred, gt], [gt, gt], { left: [0], right: [3] }).map((v) => +v.toFixed(12)), [+(1.5 / Math.hypot(6, 1)).toFixed(12), 0]);
  assert.throws(() => nme(pred, gt.slice(0, 3), { left: [0], right: [2] }), /4 points, gt has 3/);
  assert.throws(() => nme(pred, gt, { left: [0], right: [7] }), /index 7/);
  assert.throws(() => nme(pred, gt, { left: [0], right: [0] }), /coincide/);
});

test('grid follows numpy arange endpoints: 502 points ending at 0.0501 for thr 0.05, 1001 for 0.1', () => {
  const g5 = cedGrid(0.05);
  assert.equal(g5.length, 502);
  close(g5[501], 0.0501, 1e-15);
  const g10 = cedGrid(0.1);
  assert.equal(g10.length, 1001);
  close(g10[1000], 0.1, 1e-15);
});

test('CED, FR and AUC on hand-computed cases', () => {
  // All perfect: CED = 1 everywhere; AUC = (last grid point)/thr: 1 at 0.1, 1.002 at 0.05 (official grid quirk).
  close(areaUnderCurve([0, 0, 0], 0.1), 1, 1e-12);
  close(areaUnderCurve([0, 0], 0.05), 0.0501 / 0.05, 1e-12);
  assert.equal(failureRate([0, 0], 0.1), 0);
  // One image at NME exactly 0.05, thr 0.1 (odd point count, plain Simpson): step at x_500 = 0.05.
  // Pair (498, 499, 500) with y = (0, 0, 1) gives h/3; pairs 250..499 give 2h each -> 0.05 + h/3.
  close(areaUnderCurve([0.05], 0.1), (0.05 + 1e-4 / 3) / 0.1, 1e-10);
  // FR: fraction with NME > last grid point; at thr 0.05 an NME of 0.05005 is NOT a failure (grid ends at 0.0501).
  close(failureRate([0.01, 0.2, 0.09, 0.11], 0.1), 0.5);
  close(failureRate([0.05005, 0.06], 0.05), 0.5);
  // CED values.
  const c = cedCurve([0.0002, 0.0003, 0.5], 0.1);
  assert.deepEqual(c.y.slice(0, 5), [0, 0, 1 / 3, 2 / 3, 2 / 3]);
  // Even number of points: Simpson 'avg' equals the exact integral of a quadratic on a uniform grid.
  const xs = [0, 1, 2, 3, 4, 5];
  // x²: both halves are Simpson(exact, 64/3 resp. 124/3) + a trapezoid end (20.5 resp. 0.5): 251/6.
  close(simpson(xs.map((x) => x * x), xs), 251 / 6, 1e-12);
  const lin = simpson(xs.map((x) => 2 * x + 1), xs);
  close(lin, 25 + 5, 1e-12); // exact for linear functions
  assert.throws(() => cedCurve([], 0.1), /no NME/);
  assert.throws(() => failureRate([0.1], 0), /threshold/);
});

test('matches scipy.integrate.simps (/usr/bin/python3 with numpy + scipy, installed by npm run setup)', () => {
  const probe = spawnSync('/usr/bin/python3', ['-c', 'import numpy, scipy.integrate'], { encoding: 'utf8' });
  requireSetup(probe.status !== 0 && 'numpy/scipy not importable by /usr/bin/python3 (npm run setup installs python3-scipy)');
  const nmes = Array.from({ length: 97 }, (_, i) => ((i * 7919) % 131) / 1000);
  const py = `
import json, sys, numpy as np
from scipy import integrate
simps = getattr(integrate, 'simps', None) or integrate.simpson
n = np.array(json.loads(sys.argv[1])); out = []
for thr in (0.05, 0.1):
    xs = np.arange(0, thr + 1e-4, 1e-4); ys = np.array([np.count_nonzero(n <= x) for x in xs]) / len(n)
    out.append([1 - ys[-1], simps(ys, xs) / thr])
print(json.dumps(out))`;
  const r = spawnSync('/usr/bin/python3', ['-c', py, JSON.stringify(nmes)], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  const ref = JSON.parse(r.stdout) as number[][];
  close(failureRate(nmes, 0.05), ref[0][0], 1e-12);
  close(areaUnderCurve(nmes, 0.05), ref[0][1], 1e-9);
  close(failureRate(nmes, 0.1), ref[1][0], 1e-12);
  close(areaUnderCurve(nmes, 0.1), ref[1][1], 1e-9);
});
