import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { checkFlatness, checkRunLength, seedMeanCurve, validationCurve } from '../src/runs/convergence';

test('seed-mean curve keeps the steps every seed evaluated', () => {
  const m = seedMeanCurve([{ step: [1, 2, 3], nme: [0.3, 0.2, 0.1] }, { step: [2, 3], nme: [0.4, 0.3] }]);
  assert.deepEqual(m.step, [2, 3]);
  assert.ok(Math.abs(m.nme[0] - 0.3) < 1e-12 && Math.abs(m.nme[1] - 0.2) < 1e-12);
});

test('run length check: hand-computed relative gap and the 2% rule', () => {
  // chosen: seed mean 0.1015 (best), longer: seed mean 0.100 -> gap 1.5% (converged, <= 2%); 0.103 -> 3% (not).
  const longer = [{ step: [10, 20], nme: [0.11, 0.099] }, { step: [10, 20], nme: [0.12, 0.101] }];
  const ok = checkRunLength([{ step: [5, 10], nme: [0.2, 0.101] }, { step: [5, 10], nme: [0.2, 0.102] }], longer);
  assert.ok(Math.abs(ok.relativeGap - 0.015) < 1e-9, String(ok.relativeGap));
  assert.equal(ok.converged, true);
  assert.equal(ok.bestStep, 10);
  assert.equal(ok.bestLongStep, 20);
  const short = checkRunLength([{ step: [10], nme: [0.103] }, { step: [10], nme: [0.103] }], longer);
  assert.equal(short.converged, false);
  assert.throws(() => checkRunLength([], longer), /at least one finished run/);
});

test('validation curve from a run folder: a resumed run\'s repeated step keeps the last value', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'conv-'));
  fs.writeFileSync(path.join(dir, 'metrics.jsonl'), [
    { step: 10, loss: 1 }, { step: 10, val: { nme: 0.5 } }, { step: 20, val: { nme: 0.4 } }, { step: 20, val: { nme: 0.35 } },
  ].map((r) => JSON.stringify(r)).join('\n') + '\n');
  assert.deepEqual(validationCurve(dir), { step: [10, 20], nme: [0.5, 0.35] });
});

test('manipulation check reads the clean-truth tangent error of chosen landmarks', async () => {
  const { tangentError } = await import('../src/runs/manipulation');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'manip-'));
  const stats = { lambdaMin: [], lambdaMax: [], ratio: [], tangentAlignment: [], imageRatio: [], errTangent: [1, 3, NaN, 10], errNormal: [0.5, 1.5, NaN, 9] };
  // NaN is not JSON: a landmark without a tangent is written as null and skipped.
  fs.writeFileSync(path.join(dir, 'distribution-stats.json'), JSON.stringify({ ...stats, errTangent: [1, 3, null, 10], errNormal: [0.5, 1.5, null, 9] }));
  assert.deepEqual(tangentError(dir, [0, 1, 2]), { tangent: 2, normal: 1, landmarks: 2 });
  assert.throws(() => tangentError(fs.mkdtempSync(path.join(os.tmpdir(), 'manip-')), [0]), /no distribution-stats\.json/);
});

test('flatness check: best up to 3/4 of the run against the run\'s best, hand-computed', () => {
  // Seed means at steps 10..40: 0.20, 0.110, 0.1040, 0.1000 -> up to step 30 the best is 0.104: gain 4% (not flat);
  // with the last point at 0.1030 instead the run's best is 0.103, early best 0.104: gain 0.971% (flat at 2%).
  const steps = [10, 20, 30, 40];
  const a = { step: steps, nme: [0.21, 0.12, 0.100, 0.098] };
  const b = { step: steps, nme: [0.19, 0.10, 0.108, 0.102] };
  const r = checkFlatness([a, b], 0.75);
  assert.equal(r.upTo, 30);
  assert.ok(Math.abs(r.bestEarly - 0.104) < 1e-12 && Math.abs(r.best - 0.1) < 1e-12 && r.bestStep === 40);
  assert.ok(Math.abs(r.relativeGain - 0.04) < 1e-9);
  assert.equal(r.flat, false);
  const c = { step: steps, nme: [0.21, 0.12, 0.100, 0.104] };
  const d = { step: steps, nme: [0.19, 0.10, 0.108, 0.102] };
  const f = checkFlatness([c, d], 0.75);
  assert.ok(Math.abs(f.relativeGain - (0.104 - 0.103) / 0.103) < 1e-9);
  assert.equal(f.flat, true);
  assert.equal(f.seeds, 2);
  assert.throws(() => checkFlatness([a], 1), /upToFraction/);
  assert.throws(() => checkFlatness([{ step: [50], nme: [0.1] }], 0.5), /no evaluation at or before/);
});
