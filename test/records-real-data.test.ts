/**
 * The records and their figure builders on a run trained by `star train` on real faces (the WFLW samples in
 * ../shared/data, research licence): everything is written to a temporary folder, nothing of the faces (pixels or
 * records) goes into the repository.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { initBackend } from 'tfjs-wasm-train';
import { trainOnOwnData, lossFromName } from '../src/train/own-data';
import { readPredictionRecords, recordsFrame } from '../src/runs';
import { openDataset } from '../src/data/real';
import { WFLW98 } from '../src/data/schemes';
import {
  anisotropyContrastFigure, calibrationFigure, eigenTrajectoryFigure, lambdaByPartFigure, easyHardFaces,
} from '../src/report/figures/distributions';
import { EYE_CORNERS_WFLW } from '../src/report/figures/anisotropy';
import { recordViewFigure, viewFaces } from '../src/report/figures/record-view';
import { requireShared } from '../src/config/shared';


test('records of a star train run on real WFLW faces feed every figure builder', async () => {
  const data = requireShared('data/real-faces/wflw');
  await initBackend({ quiet: true });
  const out = fs.mkdtempSync(path.join(os.tmpdir(), 'star-real-records-'));
  const quiet = { update() {}, message() {}, done() {} };
  const r = await trainOnOwnData({
    data, val: data, test: data, out, loss: lossFromName('star'), preset: 'cpu-tiny', steps: 3, batchSize: 2, workers: 0, progress: quiet, handleSignals: false,
  });
  assert.equal(r.interrupted, false);
  assert.ok(r.records && r.records.committed.faces === 4 && !r.records.full, 'four faces: one file holds them all');
  const rec = readPredictionRecords(out)!;
  assert.equal(rec.truth, 'labels', 'real faces have no clean truth');
  assert.equal(rec.decoder, 'soft-argmax');
  assert.equal(rec.scheme, 'wflw98');
  assert.ok(rec.tangentAngle.every(Number.isNaN), 'no curve tangents on real data');
  assert.ok(rec.errX.every(Number.isFinite) && rec.iod.every((v) => v > 0));
  assert.deepEqual(Object.keys(rec.meta), [], 'no generator parameters');
  const frame = recordsFrame(rec, WFLW98.parts) as { shape: number[] };
  assert.equal(frame.shape[0], 4 * 98);

  const sets = [{ model: 'STAR (real faces, 3 steps)', seed: 1, records: rec }];
  const on = 'a star train run on 4 real WFLW faces (test only)';
  assert.ok(lambdaByPartFigure(sets, WFLW98.parts, on).data.length > 0);
  const easyHard = easyHardFaces(rec.nme, 0.25);
  const contrast = anisotropyContrastFigure([
    { title: 'contour vs eye corners', a: { label: 'contour', sets, select: { landmarks: WFLW98.parts.contour } }, b: { label: 'eye corners', sets, select: { landmarks: EYE_CORNERS_WFLW } } },
    { title: 'easy vs hard', a: { label: 'easy', sets, select: { faces: () => easyHard.easy } }, b: { label: 'hard', sets, select: { faces: () => easyHard.hard } } },
  ], on);
  assert.equal(contrast.data.filter((t) => t.name.includes('contour')).length, 1);
  const calib = calibrationFigure(sets, { what: 'landmarks with a tangent' }, on);
  assert.equal((calib.data[0].x as number[]).length, 0, 'no tangents: nothing to calibrate, and the figure says so by being empty');
  assert.ok(eigenTrajectoryFigure([{ model: 'STAR', seed: 1, dir: out }], [{ key: 'contour.lambdaMax', title: 'contour λmax' }], on));
  const ds = openDataset(data, { warn: () => {} });
  const faces = await viewFaces(ds, rec.ids.slice(0, 2), rec.inputSize);
  const view = recordViewFigure([{ label: 'STAR', drawn: rec, pooled: [rec] }], faces, { landmarks: [0, 60], measuredOn: on });
  assert.equal(view.data.filter((t) => t.type === 'image').length, 2);
  fs.rmSync(out, { recursive: true, force: true });
});
