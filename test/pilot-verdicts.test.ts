/** Notebook 10's verdicts (src/report/pilot.ts), against hand-computed statistics. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { lengthStageVerdict, manipulationVerdict, type ManipulationCheck } from '../src/report/pilot';
import { pairedT } from '../src/runs/inference';

const check = (clean: number[], ambiguous: number[]): ManipulationCheck => ({
  seeds: clean.map((_c, i) => i + 1), clean, ambiguous,
  cleanNormal: clean.map(() => 2.4), ambiguousNormal: clean.map(() => 2.44),
  test: pairedT(clean, ambiguous),
});

test('manipulation verdict: a non-significant growth is inconclusive with its MDE, not a failure', () => {
  // The pilot's seeds 1-2: differences +0.454 and +0.258 -> mean 0.356, sd 0.13859; t = 3.633 on 1 df:
  // p = 1 - 2·atan(3.633)/π = 0.1711; MDE = (t.975,1 12.706 + t.80,1 1.3764) · 0.13859/√2 = 1.380.
  const v = manipulationVerdict(check([3.686, 3.308], [4.140, 3.566]));
  assert.match(v, /^inconclusive: the tangent error grows by \+0\.356 crop px \(seed 1 \+0\.454, seed 2 \+0\.258; p = 0\.17\)/);
  assert.match(v, /2 seeds detect \(minimum detectable effect at 80% power 1\.38 px\); the normal-direction error changes by \+0\.040 px/);
});

test('manipulation verdict: passes on significant growth, fails without growth, waits for a second seed', () => {
  // Differences 0.30, 0.32, 0.34, 0.36: mean 0.33, sd 0.02582, t = 25.56 on 3 df -> p ≈ 1.3e-4.
  const pass = manipulationVerdict(check([3, 3, 3, 3], [3.3, 3.32, 3.34, 3.36]));
  assert.match(pass, /^passes: .* grows by \+0\.330 crop px .*p = 0\.000(1[0-9]|1)/);
  const fail = manipulationVerdict(check([3, 3, 3], [2.9, 3.05, 2.95]));
  assert.match(fail, /^FAILS: .* \(-0\.033 crop px;/);
  assert.match(manipulationVerdict(check([3], [3.2])), /^one seed only/);
  assert.equal(manipulationVerdict(null), 'not measured yet.');
});

test('run-length stage verdict: every arm within 2% on 2 seeds, else the arms each way and what is missing', () => {
  const stage = { id: 's', steps: [20000, 40000] as const, pairs: [] };
  const row = (arm: string, gap: number, seeds = 2) => ({ arm, check: { best: 0.1, bestStep: 1, bestLong: 0.1, bestLongStep: 2, relativeGap: gap, converged: gap <= 0.02, seeds } });
  assert.equal(lengthStageVerdict(stage, [row('a', 0.01), row('c', 0.015)]), '20,000 vs 40,000 steps: 20,000 is within 2% of the longer run for every arm (largest gap 1.50%).');
  assert.equal(lengthStageVerdict(stage, [row('a', 0.0649, 1), row('c', 0.01, 1), { arm: 'b', check: null }]),
    '20,000 vs 40,000 steps: within 2%: c; beyond it: a (6.49%); not yet measured: b; seeds per measured arm: 1/1.');
  assert.equal(lengthStageVerdict(stage, [{ arm: 'a', check: null }]), '20,000 vs 40,000 steps: no arm has both lengths finished yet.');
});
