/**
 * The secondary ablations' pre-registration (src/experiments/regime-secondary.ts): the JSON files the grid's tag
 * trains are these specs; arms equal to grid arms have the grid's run keys (so the runner copies the grid's runs,
 * and the committed grid runs confirm the keys of the tagged code); every other setting is the regime's; the sizing
 * rule against SciPy values (scipy.stats.t, the same MDE formula: (t_{1−α/2,n−1} + t_{0.8,n−1})·sd/√n).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'fs';
import * as path from 'path';
import { PROJECT_ROOT } from '../src/config/profile';
import { REGIME } from '../src/experiments/regime';
import { REGIME_SECONDARY, SHARED_GRID_ARMS, secondarySeedCount, secondarySpecFile } from '../src/experiments/regime-secondary';
import { runKey } from '../src/experiments/run';
import { readSpecFile, scaleSpec } from '../src/experiments/spec';
import { secondaryPlan, secondaryPlanText } from '../src/report/regime';
import type { ComparisonRow, ExperimentTables } from '../src/report/experiment-tables';
import { specFileText } from '../scripts/secondary-specs';

const grid = scaleSpec(REGIME, 'full');
const gridArm = (id: string) => grid.arms.find((a) => a.id === id)!;

test('the spec files are the pre-registered specs, and they validate', () => {
  for (const spec of REGIME_SECONDARY) {
    const file = path.join(PROJECT_ROOT, secondarySpecFile(spec));
    assert.equal(fs.readFileSync(file, 'utf8'), specFileText(spec), `${secondarySpecFile(spec)} differs: node --import tsx scripts/secondary-specs.ts`);
    assert.deepEqual(readSpecFile(file), JSON.parse(specFileText(spec)));
  }
});

test('arms equal to grid arms have the grid\'s run keys (seeds 1–8), confirmed by the committed grid runs', () => {
  let confirmed = 0;
  for (const spec of REGIME_SECONDARY.map((s) => scaleSpec(s, 'full'))) {
    for (const arm of spec.arms.filter((a) => a.id in SHARED_GRID_ARMS)) {
      assert.deepEqual(arm.loss, SHARED_GRID_ARMS[arm.id as keyof typeof SHARED_GRID_ARMS]);
      for (const seed of spec.seeds) {
        const key = runKey(spec, arm, seed);
        assert.equal(key, runKey(grid, gridArm(arm.id), seed), `${spec.name}/${arm.id} s${seed}`);
        const committed = path.join(PROJECT_ROOT, 'results', 'runs', 'regime', `${arm.id}-s${seed}`, 'run-key.txt');
        if (fs.existsSync(committed)) {
          assert.equal(key, fs.readFileSync(committed, 'utf8').trim(), `${spec.name}/${arm.id} s${seed} vs the grid's run`);
          confirmed++;
        }
      }
    }
  }
  // The grid's first paired seed is committed (a-coord-high-s1, c-star-high-s1): without it nothing ties the keys to the tag.
  assert.ok(confirmed >= 2, `only ${confirmed} grid run keys found under results/runs/regime`);
});

test('every other setting is the regime\'s: same data, model, recipe and seeds; arms at high ambiguity; shared configs share keys', () => {
  const keys = new Map<string, string>();
  for (const spec of REGIME_SECONDARY.map((s) => scaleSpec(s, 'full'))) {
    for (const k of ['data', 'model', 'train', 'augment', 'dataSeed', 'valFaces'] as const) assert.deepEqual(spec[k], grid[k], `${spec.name}.${k}`);
    assert.deepEqual(spec.seeds, [1, 2, 3, 4, 5, 6, 7, 8]);
    assert.equal(spec.analysis?.primary, undefined, `${spec.name}: secondary comparisons only`);
    for (const arm of spec.arms) {
      assert.deepEqual(arm.data, gridArm('c-star-high').data, `${spec.name}/${arm.id}: high ambiguity`);
      const key = runKey(spec, arm, 1);
      const seen = keys.get(arm.id);
      if (seen) assert.equal(key, seen, `${arm.id} differs between secondary experiments`);
      keys.set(arm.id, key);
    }
  }
  // Distinct arms train distinct things (no two ids share a configuration within the secondary set).
  assert.equal(new Set(keys.values()).size, keys.size);
});

test('secondarySeedCount: the smallest n in 4…8 with exact MDE ≤ 0.2 points at α = 0.05/m (SciPy noncentral-t values), 8 when none', () => {
  const cases: Array<[number, number, number, number, boolean]> = [
    // sd, m, n, MDE at n (SciPy brentq on the noncentral-t power), meets the margin
    [0.1, 3, 6, 0.1877, true], // n = 5: 0.2292
    [0.1, 2, 6, 0.1705, true], // n = 5: 0.2050 (the central-t shortcut, 0.1984, would have chosen 5)
    [0.05, 3, 4, 0.1562, true],
    [0.3, 3, 8, 0.4351, false],
    [0, 3, 4, 0, true],
  ];
  for (const [sd, m, n, mde, meets] of cases) {
    const r = secondarySeedCount(sd, m);
    assert.equal(r.n, n, `sd ${sd}, m ${m}`);
    assert.ok(Math.abs(r.mde - mde) < 5e-4, `sd ${sd}, m ${m}: MDE ${r.mde} vs ${mde}`);
    assert.equal(r.meetsMargin, meets);
  }
  assert.throws(() => secondarySeedCount(NaN, 3), /sd must be a finite number/);
  assert.throws(() => secondarySeedCount(0.1, 0), /comparisons must be an integer >= 1/);
});

test('secondaryPlan reads only final verdicts and the two within-level primary comparisons (not the interaction)', () => {
  const row = (comparison: string, sdDiff: number | null): ComparisonRow => ({
    family: 'primary', comparison, baseline: 'x', arm: 'y', metric: 'NME % (clean truth)', n: 8, meanDiff: 0, sdDiff,
    ci95: null, pHolm: null, intervalHolm: null, margin: 0.2, pTost: null, mde: null, verdict: 'inconclusive',
  });
  const labels = REGIME.analysis!.primary!.map((p) => p.label);
  const tables = (sds: Array<number | null>) => ({ comparisons: labels.map((l, i) => row(l, sds[i])) }) as unknown as ExperimentTables;
  assert.equal(secondaryPlan(tables([0.1, 0.08, 0.5]), REGIME.analysis, false), null);
  assert.equal(secondaryPlan(tables([null, 0.08, 0.5]), REGIME.analysis, true), null);
  const plan = secondaryPlan(tables([0.1, 0.08, 0.5]), REGIME.analysis, true)!;
  assert.equal(plan.sd, 0.1);
  assert.deepEqual(plan.experiments.map((e) => [e.name, e.comparisons, e.n]), [['regime-restriction', 3, 6], ['regime-omega', 3, 6], ['regime-distance', 2, 6]]);
  assert.match(secondaryPlanText(plan), /sized from the primary sd 0\.100 points .*regime-restriction 6 seeds \(MDE 0\.19 points at α = 0\.05\/3\); regime-omega 6 seeds .*; regime-distance 6 seeds \(MDE 0\.17 points at α = 0\.05\/2\)\./);
  assert.match(secondaryPlanText(null), /not sized yet/);
});
