/**
 * A spec means what it says: the sizes it declares run as declared, the profile fills in only what it leaves out,
 * `--print` shows exactly what runs, and a run counts as identical (and is reused) only when everything that shapes it
 * is identical. The built-in specs declare the preset they run without changing the committed runs' keys.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { EXPERIMENTS } from '../src/experiments/ablations';
import { PROFILE_SCALE, printableSpec, readSpecFile, scaleSpec, type ExperimentSpec, type ScaledSpec } from '../src/experiments/spec';
import { runKey } from '../src/experiments/run';
import { runDirFor } from '../src/runs/folder';
import { PROFILES, resultsDir } from '../src/config/profile';
import { NO_AUGMENT } from '../src/data/augment';

test('the built-in specs declare the preset they run, and the committed runs keep their keys', () => {
  for (const spec of Object.values(EXPERIMENTS)) {
    assert.ok(spec.model.preset, `${spec.name} declares its preset`);
    for (const p of PROFILES) assert.equal(scaleSpec(spec, p).model.preset, spec.profiles?.[p]?.preset ?? spec.model.preset, `${spec.name} (${p}) runs the preset it declares`);
  }
  const root = resultsDir('full');
  let checked = 0;
  for (const spec of Object.values(EXPERIMENTS)) {
    const s = scaleSpec(spec, 'full');
    for (const seed of s.seeds) for (const arm of s.arms) {
      const file = path.join(runDirFor(root, s, arm, seed), 'run-key.txt');
      if (!fs.existsSync(file)) continue;
      assert.equal(runKey(s, arm, seed), fs.readFileSync(file, 'utf8').trim(), `${path.relative(root, file)}: the spec now resolves to another run`);
      checked += 1;
    }
  }
  assert.ok(checked >= 100, `only ${checked} committed run keys found under ${root}`);
});

test('--print shows what runs: read back (renamed) it gives the same runs in every profile; scaling is idempotent', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'star-spec-print-'));
  for (const spec of Object.values(EXPERIMENTS)) {
    for (const p of PROFILES) {
      const printed = printableSpec(spec, p);
      assert.equal(printed.profiles, undefined, 'the per-profile sizes are applied, not printed');
      assert.deepEqual(scaleSpec(printed, p), printed, `${spec.name} (${p}): scaling the printed spec changes it`);
      const file = path.join(dir, `${spec.name}-${p}.json`);
      fs.writeFileSync(file, JSON.stringify({ ...printed, name: `my-${spec.name}` }, null, 2));
      const mine = readSpecFile(file);
      const builtIn = scaleSpec(spec, p);
      for (const q of PROFILES) {
        const again = scaleSpec(mine, q);
        assert.deepEqual(again.seeds, builtIn.seeds, `${spec.name} printed for ${p}, run in ${q}: seeds`);
        for (const seed of again.seeds) for (const arm of again.arms) {
          assert.equal(runKey(again, arm, seed), runKey(builtIn, arm, seed), `${spec.name} printed for ${p}, run in ${q}: ${arm.id} s${seed}`);
        }
      }
    }
  }
  fs.rmSync(dir, { recursive: true, force: true });
});

const arms = [{ id: 'a', label: 'A', loss: { kind: 'star' as const } }, { id: 'b', label: 'B', loss: { kind: 'heatmap-mse' as const } }];

test('a spec\'s own seeds, preset, steps, batch, lr and counts run in every profile; the profile fills in the rest; "profiles" wins in its profile', () => {
  const mine: ExperimentSpec = {
    name: 'mine', title: 'mine', question: '', data: { counts: { train: 40 } }, model: { preset: 'cpu-small' },
    train: { steps: 20, batchSize: 2, schedule: { lr: 1e-3, milestones: [0.5], gamma: 0.1, warmupSteps: 0 } }, seeds: [1, 2], arms, comparisons: [],
  };
  for (const p of PROFILES) {
    const s = scaleSpec(mine, p);
    assert.deepEqual([s.seeds, s.model.preset, s.train.steps, s.train.batchSize, s.train.schedule.lr], [[1, 2], 'cpu-small', 20, 2, 1e-3], p);
    assert.deepEqual(s.data.counts, { ...PROFILE_SCALE[p].counts, train: 40 }, `${p}: the counts it leaves out are the profile's`);
    assert.equal(s.train.evalEvery, PROFILE_SCALE[p].evalEvery);
    assert.deepEqual(s.augment, PROFILE_SCALE[p].augment);
  }
  const perProfile = scaleSpec({ ...mine, profiles: { smoke: { steps: 3, seeds: [9], counts: { train: 8, val: 4, test: 4 } } } }, 'smoke');
  assert.deepEqual([perProfile.seeds, perProfile.train.steps, perProfile.data.counts, perProfile.model.preset], [[9], 3, { train: 8, val: 4, test: 4 }, 'cpu-small']);
  assert.equal(scaleSpec({ ...mine, profiles: { smoke: { steps: 3 } } }, 'quick').train.steps, 20, 'a profile section applies in its profile only');
  const bare = scaleSpec({ ...mine, data: {}, model: {}, train: {}, seeds: undefined }, 'quick');
  assert.deepEqual([bare.seeds, bare.model.preset, bare.train.steps, bare.train.batchSize, bare.data.counts], [[1], 'cpu-tiny', 1200, 8, PROFILE_SCALE.quick.counts], 'all left out: the profile\'s');
});

test('a run is identical (same key, reused) only when everything that shapes it is identical', () => {
  const base: ExperimentSpec = {
    name: 'key-base', title: 't', question: 'q', data: { seed: 3, counts: { train: 40, val: 8, test: 8 } }, model: { preset: 'cpu-tiny' },
    train: { steps: 20, batchSize: 2, evalEvery: 10 }, seeds: [1, 2], arms, comparisons: [['a', 'b']],
  };
  const key = (s: ExperimentSpec, armIndex = 0, seed = 1) => {
    const scaled: ScaledSpec = scaleSpec(s, 'smoke');
    return runKey(scaled, scaled.arms[armIndex], seed);
  };
  const k0 = key(base);
  // Nothing that shapes the run: names, texts, comparisons, analysis, other arms, the profile it is scaled in.
  assert.equal(key({ ...base, name: 'renamed', title: 'x', question: 'y', comparisons: [], analysis: { margin: 1 } }), k0);
  assert.equal(key({ ...base, arms: [{ ...arms[0], id: 'other-id', label: 'other label' }] }), k0);
  assert.equal(runKey(scaleSpec(base, 'full'), arms[0], 1), k0, 'declared sizes: the same run in every profile');
  // Each thing that shapes it.
  const shaping: [string, ExperimentSpec, number?, number?][] = [
    ['seed', base, 0, 2],
    ['loss', base, 1, 1],
    ['loss options', { ...base, arms: [{ ...arms[0], loss: { kind: 'star', options: { omega: 2 } } }] }],
    ['preset', { ...base, model: { preset: 'cpu-small' } }],
    ['model override', { ...base, model: { preset: 'cpu-tiny', overrides: { channels: 24 } } }],
    ['arm model override', { ...base, arms: [{ ...arms[0], model: { aam: true } }] }],
    ['steps', { ...base, train: { ...base.train, steps: 21 } }],
    ['arm steps scale', { ...base, arms: [{ ...arms[0], stepsScale: 2 }] }],
    ['batch size', { ...base, train: { ...base.train, batchSize: 4 } }],
    ['learning rate', { ...base, train: { ...base.train, schedule: { lr: 1e-4, milestones: [0.4, 0.7, 0.9], gamma: 0.1, warmupSteps: 0 } } }],
    ['evaluation interval (model selection)', { ...base, train: { ...base.train, evalEvery: 5 } }],
    ['EMA', { ...base, train: { ...base.train, ema: { horizon: 0.5 } } }],
    ['training faces', { ...base, data: { ...base.data, counts: { train: 41, val: 8, test: 8 } } }],
    ['validation faces', { ...base, data: { ...base.data, counts: { train: 40, val: 9, test: 8 } } }],
    ['data seed', { ...base, data: { ...base.data, seed: 4 } }],
    ['data seed per run', { ...base, dataSeed: 'run' }],
    ['label noise', { ...base, data: { ...base.data, ambiguity: { sigmaTangent: 0.05 } } }],
    ['arm data', { ...base, arms: [{ ...arms[0], data: { imageSize: 96 } }] }],
    ['augmentation', { ...base, augment: NO_AUGMENT }],
    ['validation subset', { ...base, valFaces: 'all' }],
  ];
  for (const [what, spec, armIndex, seed] of shaping) assert.notEqual(key(spec, armIndex, seed), k0, `${what} changes the run but not its key`);
});
