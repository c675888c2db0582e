/**
 * The distribution figures of the per-prediction records: for each builder one statistic read back from the Plotly
 * spec it returns, against a value computed by hand from the hand-made records (test/helpers/records.ts).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import {
  anisotropyContrastFigure, angleToTangentFigure, bandOverRuns, calibrationBins, calibrationFigure, describeRecordSets, easyHardFaces, ecdf, eigenTrajectoryFigure,
  histogram, lambdaByPartFigure, modelSummaries, ratioContrast, seedSpread, seedSpreadFigure, summarySentences, type RecordSet,
} from '../src/report/figures/distributions';
import { recordViewFigure, type ViewFace } from '../src/report/figures/record-view';
import type { FigureSpec, Trace } from '../src/report/plot';
import { handRecords } from './helpers/records';

const trace = (fig: FigureSpec, name: string): Trace => {
  const t = fig.data.find((d) => d.name === name);
  assert.ok(t, `no trace "${name}" (have: ${fig.data.map((d) => d.name).join(' | ')})`);
  return t;
};
const close = (a: unknown, b: number, what: string) => assert.ok(Math.abs((a as number) - b) < 1e-6, `${what}: ${a} vs ${b}`);

const sets: RecordSet[] = [
  { model: 'STAR', seed: 1, records: handRecords() },
  { model: 'STAR', seed: 2, records: handRecords({ shift: 2 }) },
  { model: 'MSE', seed: 1, records: handRecords({ decoder: 'argmax-subpixel' }) },
];

test('ecdf, histogram, easy/hard faces and calibration bins by hand', () => {
  assert.deepEqual(ecdf([3, 1, 2, 2, 5]), { x: [1, 2, 3, 5], y: [0.2, 0.6, 0.8, 1] });
  assert.deepEqual(ecdf([1, 2, 3, 4, 5], 3), { x: [1, 3, 5], y: [0.2, 0.6, 1] });
  assert.deepEqual(histogram([-1, 0, 0.5, 1, 2, NaN], [0, 1, 2]), [0.4, 0.4], 'the last bin is closed; values outside count in the total');
  assert.deepEqual(easyHardFaces([0.05, 0.1, 0.2, 0.3, 0.4], 0.25), { easy: [0, 1], hard: [3, 4] });
  const bins = calibrationBins([3, 1, 2, 4], [1, 2, 2, 3], 2);
  assert.deepEqual(bins.map((b) => b.n), [2, 2]);
  close(bins[0].sigma, 1.5, 'bin 1 mean σ');
  close(bins[0].rmsError, 2, 'bin 1 RMS of (2, 2)');
  close(bins[1].rmsError, Math.sqrt(5), 'bin 2 RMS of (1, 3)');
});

test('lambdaByPartFigure: λmax ECDF of a part pooled over the seeds of a model', () => {
  const fig = lambdaByPartFigure(sets, { front: [0, 1], back: [2] }, 'hand');
  // STAR, part "front": λmax 4 and 1 on each of 2 faces × 2 seeds -> x (1, 4), y (0.5, 1)
  const t = trace(fig, 'STAR (soft-argmax): λmax');
  assert.deepEqual((t.x as number[]).map((v) => Number(v.toFixed(4))), [1, 4]);
  assert.deepEqual(t.y, [0.5, 1]);
  assert.ok(!fig.data.some((d) => d.name === 'STAR (soft-argmax): λmin · back'), 'λmin = 0 has no place on a log axis: no trace');
  assert.match(fig.layout.title.text, /hand/);
});

test('anisotropyContrastFigure: λmax/λmin of two selections, solid and dashed', () => {
  const fig = anisotropyContrastFigure([{ title: 'curve vs corner', a: { label: 'curve', sets, select: { landmarks: [0] } }, b: { label: 'corner', sets, select: { landmarks: [1] } } }], 'hand');
  const a = trace(fig, 'STAR (soft-argmax): curve');
  assert.deepEqual((a.x as number[]).map((v) => Number(v.toFixed(4))), [4], 'λ 4 / 1');
  assert.deepEqual((trace(fig, 'STAR (soft-argmax): corner').x as number[]).map((v) => Number(v.toFixed(4))), [1]);
  assert.equal((trace(fig, 'STAR (soft-argmax): corner').line as { dash: string }).dash, 'dash');
});

test('angleToTangentFigure: the 45° axis on a vertical tangent lands in the −45° bin', () => {
  const fig = angleToTangentFigure(sets, { landmarks: [1], what: 'landmark 1' }, 'hand', 10);
  const t = trace(fig, 'STAR (soft-argmax)');
  const i = (t.x as number[]).indexOf(-45);
  assert.equal((t.y as number[])[i], 1);
  assert.equal((t.y as number[]).reduce((a, b) => a + b, 0), 1);
});

test('calibrationFigure: σ along the tangent against the RMS tangent error', () => {
  // STAR seed 1 and 2: landmark 0 σ = √4 = 2 with tangent errors 1 (seed 1) and 3 (seed 2, shifted by 2 px);
  // landmark 1 σ = 1 (λ 1, 1) with tangent error 2. Two bins: σ 1 -> RMS 2; σ 2 -> RMS √((1 + 1 + 9 + 9)/4) = √5.
  const fig = calibrationFigure(sets.slice(0, 2), { what: 'all' }, 'hand', 2);
  const t = trace(fig, 'STAR (soft-argmax)');
  close((t.x as number[])[0], 1, 'σ bin 1');
  close((t.y as number[])[0], 2, 'RMS bin 1');
  close((t.y as number[])[1], Math.sqrt(5), 'RMS bin 2');
});

test('seedSpreadFigure: RMS distance of the seeds\' predictions to their mean, on shared faces only', () => {
  const s = seedSpread(sets.slice(0, 2))!;
  // x errors 1 and 3 (seed 2 shifted by 2 px): each 1 px from their mean
  close(s.spread[0], 1, 'landmark 0');
  close(s.radius[0], Math.sqrt(5), '√(4 + 1)');
  assert.equal(s.faces, 2);
  const fig = seedSpreadFigure(sets, 'hand')!;
  close((trace(fig, 'STAR (soft-argmax): spread across seeds').y as number[])[0], 1, 'figure');
  assert.ok(!fig.data.some((d) => d.name.startsWith('MSE')), 'one seed: no spread');
  assert.equal(seedSpread([sets[0], { model: 'STAR', seed: 3, records: handRecords({ idPrefix: 'other' }) }]), null, 'no shared face: null');
});

test('eigenTrajectoryFigure: median and 10–90% over seeds in heatmap px², runs with λmin < 0 left out', () => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'star-traj-'));
  const mk = (name: string, values: number[], lmin = 0.01) => {
    const dir = path.join(root, name);
    fs.mkdirSync(dir);
    fs.writeFileSync(path.join(dir, 'config.json'), JSON.stringify({ model: { heatmapSize: 5 } })); // (5 − 1)/2 = 2 px per grid unit
    fs.writeFileSync(path.join(dir, 'eigen.jsonl'), values.map((v, i) => JSON.stringify({ step: 10 * i, 'all.lambdaMax': v, 'all.lambdaMin': lmin })).join('\n') + '\n');
    return dir;
  };
  const runs = [
    { model: 'STAR', seed: 1, dir: mk('a', [1, 2]) }, { model: 'STAR', seed: 2, dir: mk('b', [2, 4]) }, { model: 'STAR', seed: 3, dir: mk('c', [3, 6]) },
    { model: 'MSE', seed: 1, dir: mk('d', [5, 5], -3) },
  ];
  const fig = eigenTrajectoryFigure(runs, [{ key: 'all.lambdaMax', title: 'λmax' }], 'hand')!;
  const centre = trace(fig, 'STAR (3 seeds)');
  assert.deepEqual(centre.y, [8, 16], 'median 2 and 4 grid² × 4');
  assert.deepEqual((trace(fig, 'STAR (3 seeds) · lower').y as number[]).map((v) => Number(v.toFixed(6))), [4.8, 9.6], '10%: 1.2 and 2.4 grid² × 4');
  assert.ok(!fig.data.some((d) => d.name.startsWith('MSE')));
  assert.match(fig.layout.title.text, /1 run left out/);
  assert.deepEqual(bandOverRuns([{ step: [0, 10], value: [1, 2] }, { step: [10], value: [4] }]).step, [10], 'steps every run logged');
});

test('recordViewFigure: the selected landmark\'s ellipse is centred on truth + error, its axis √λmax', () => {
  const faces: ViewFace[] = ['face-0', 'face-1'].map((id) => ({ id, source: 'data:image/png;base64,', size: 64, truth: Float64Array.from([10, 10, 20, 20, 30, 30]) }));
  const models = [{ label: 'STAR', drawn: sets[0].records, pooled: [sets[0].records, sets[1].records] }];
  const fig = recordViewFigure(models, faces, { landmarks: [0, 1], measuredOn: 'hand', k: 1 });
  // The landmark menu's second entry (landmark 1): error (0, 2) heatmap px = (0, 8) crop px from (20, 20); λ 1, 1 px² -> radius 4 crop px.
  const menu = (fig.layout.updatemenus as { buttons: { args: [{ x: number[][]; y: number[][] }, number[]] }[] }[])[1];
  const [{ x, y }] = menu.buttons[1].args;
  const xs = x[0].slice(0, -1);
  const ys = y[0].slice(0, -1);
  close(xs.reduce((a, b) => a + b, 0) / xs.length, 20, 'centre x');
  close(ys.reduce((a, b) => a + b, 0) / ys.length, 28, 'centre y');
  xs.forEach((vx, i) => assert.ok(Math.abs(Math.hypot(vx - 20, ys[i] - 28) - 4) < 0.01, `vertex ${i} lies on the 4 px circle (to the 0.01 px the figure rounds to)`));
  // The face menu shows one face's traces at a time.
  const faceMenu = (fig.layout.updatemenus as { buttons: { args: [{ visible: boolean[] }, number[]] }[] }[])[0];
  assert.equal(faceMenu.buttons[1].args[0].visible.filter(Boolean).length, faceMenu.buttons[1].args[1].length / 2);
  assert.throws(() => recordViewFigure(models, [{ ...faces[0], id: 'nope' }], { landmarks: [0], measuredOn: 'hand' }), /have no face "nope"/);
});

test('modelSummaries and the verdict text: contrasts paired by seed, alignment, calibration by hand', () => {
  const sel = { contour: [0], corners: [1], q: 0.5, alignedDeg: 15 };
  const [star] = modelSummaries(sets.slice(0, 2), sel);
  assert.deepEqual(star.contourVsCorners, { a: 4, b: 1, seeds: 2, aHigherIn: 2 });
  // landmark 0's axis lies on its tangent: all contour predictions aligned
  assert.equal(star.alignedContour, 1);
  // 8 tangent rows (2 landmarks × 2 faces × 2 seeds): landmark 0 σ² 4 with e² 1 (seed 1) or 9 (seed 2, shifted 2 px),
  // landmark 1 σ² 1 with e² 4: √((2 + 18 + 16)/8) / √((16 + 4)/8)
  close(star.calibrationRatio, Math.sqrt(36 / 8) / Math.sqrt(20 / 8), 'RMS error / σ');
  const c = ratioContrast({ sets: sets.slice(0, 2), select: { landmarks: [1] } }, { sets: [sets[0]], select: { landmarks: [0] } });
  assert.deepEqual([c.seeds, c.aHigherIn], [1, 0], 'only seed 1 on both sides; 1 < 4');
  assert.match(summarySentences([star], sel)[0], /4\.00 on the contour vs 1\.00 at the eye corners \(on the contour higher in 2 of 2 seeds\)/);
});

test('describeRecordSets: one seed list when every arm has the same seeds, each arm\'s when they differ (a grid in progress)', () => {
  const run = (arm: string, seed: number): RecordSet => ({ model: 'A', seed, records: handRecords(), dir: path.join('results', 'runs', 'regime', `${arm}-s${seed}`) });
  const same = describeRecordSets('x', [run('a-high', 1), run('a-high', 2), run('a-clean', 1), run('a-clean', 2)]);
  assert.match(same, /seeds 1, 2 pooled; errors vs/);
  const uneven = describeRecordSets('x', [run('a-high', 1), run('a-high', 2), run('a-clean', 1)]);
  assert.match(uneven, /seeds pooled per arm \(a-high: 1, 2; a-clean: 1\); errors vs/);
});
