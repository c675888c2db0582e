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
  // p = 1 - 2·atan(3.633)/π = 0.1711; MDE: the effect with 80% noncentral-t power on 1 df, 1.6007 (SciPy brentq; the
  // central-t shortcut (12.706 + 1.3764) · 0.13859/√2 = 1.380 understates it by 14% at n = 2).
  const v = manipulationVerdict(check([3.686, 3.308], [4.140, 3.566]));
  assert.match(v, /^inconclusive: the tangent error grows by \+0\.356 crop px \(seed 1 \+0\.454, seed 2 \+0\.258; p = 0\.17\)/);
  assert.match(v, /2 seeds detect \(minimum detectable effect at 80% power 1\.60 px\); the normal-direction error changes by \+0\.040 px/);
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

test('grid length decision: one arm beyond 2% on two seeds decides 40,000; all within gives 20,000; otherwise undecided', async () => {
  const fs = await import('fs');
  const os = await import('os');
  const path = await import('path');
  const { gridLengthDecision } = await import('../src/report/pilot');
  const make = () => fs.mkdtempSync(path.join(os.tmpdir(), 'star-grid-length-'));
  const run = (root: string, experiment: string, name: string, best: number) => {
    const dir = path.join(root, 'runs', experiment, name);
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(path.join(dir, 'metrics.jsonl'), [[10000, 0.2], [20000, best]].map(([step, nme]) => JSON.stringify({ step, val: { nme, fr: 0, auc: 0 } })).join('\n') + '\n');
    fs.writeFileSync(path.join(dir, 'env.json'), JSON.stringify({ gitCommit: 'abc1234', backend: 'wasm', threads: 1, customKernels: [], starLossKernels: 'host', tfjs: '4.22.0' }));
    fs.writeFileSync(path.join(dir, 'summary.json'), '{}');
  };
  const pair = (root: string, arm: string, short: number, long: number, seeds = [1, 2]) => {
    for (const s of seeds) { run(root, 'regime-pilot', `${arm}-long-s${s}`, short); run(root, 'regime-length', `${arm}-40k-s${s}`, long); }
  };
  // A: 0.069 vs 0.0648 -> +6.48% on 2 seeds: decides 40,000 even with B and D missing.
  const r1 = make();
  pair(r1, 'a-coord', 0.069, 0.0648);
  pair(r1, 'c-star', 0.0665, 0.0660);
  const d1 = gridLengthDecision(r1);
  assert.equal(d1.steps, 40000);
  assert.match(d1.reason, /^a-coord \+6\.48% beyond 2% on seeds 1–2$/);
  // A beyond 2% on one seed only: undecided (the rule is on seeds 1-2).
  const r2 = make();
  pair(r2, 'a-coord', 0.069, 0.0648, [1]);
  pair(r2, 'c-star', 0.0665, 0.0660);
  const d2 = gridLengthDecision(r2);
  assert.equal(d2.steps, null);
  assert.match(d2.reason, /undecided: a-coord, b-coord-value, d-star-detach .*within so far: c-star/);
  // Every arm within 2% on both seeds: 20,000.
  const r3 = make();
  for (const a of ['a-coord', 'c-star', 'b-coord-value', 'd-star-detach']) pair(r3, a, 0.0665, 0.0660);
  assert.deepEqual(gridLengthDecision(r3), { steps: 20000, reason: 'every arm within 2% on seeds 1–2' });
});
