/**
 * The evaluation protocol on a real-format fixture (WFLW list, 98 points, hand-made numbers and image) and `predict`
 * on an image file: finite metrics in the stated ranges, landmarks mapped back to image pixels, files written.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import sharp from 'sharp';
import { initBackend } from 'tfjs-wasm-train';
import { openDataset } from '../src/data/real';
import { createCodec } from '../src/data/codec';
import { evaluate } from '../src/eval/evaluate';
import { buildHourglass } from '../src/model/hourglass';
import { modelConfig } from '../src/model/config';
import { WFLW98 } from '../src/data/schemes';
import { predictImage, boxFromRect } from '../src/predict';
import { modelProvenance, writePrediction } from '../src/predict/write';
import { loadImage } from '../src/data/image';
import { saveCheckpoint } from '../src/model/checkpoint';
import { loadTrainedModel } from '../src/model/load';

const fixtures = path.join(__dirname, 'fixtures', 'formats');

test('evaluate() on a WFLW-format fixture: NME, FR, AUC, CED and per-attribute subsets', async () => {
  await initBackend({ quiet: true });
  const ds = openDataset(path.join(fixtures, 'wflw_rect_attr.txt'), { format: 'wflw', imageRoot: fixtures });
  const model = buildHourglass(modelConfig('cpu-tiny'), { seed: 3 });
  const codec = createCodec(WFLW98, { inputSize: 64, heatmapSize: 16 });
  const r = await evaluate(model, ds, { codec, distributions: true, keepPredictions: true });
  assert.equal(r.labels.n, ds.length);
  assert.ok(Number.isFinite(r.labels.nme) && r.labels.nme > 0);
  assert.ok(r.labels.fr >= 0 && r.labels.fr <= 1 && r.labels.auc >= 0 && r.labels.auc <= 1);
  assert.equal(r.ced.x.length, 1001, 'official CED grid at threshold 0.1');
  assert.equal(r.clean, undefined, 'real data has no clean truth');
  assert.equal(r.predictions!.length, ds.length);
  assert.equal(r.distributions!.ratio.length, 98);
  // The untrained model's predictions stay inside the crop.
  for (const face of r.predictions!) for (const [x, y] of face) assert.ok(x >= -1 && x <= 64 && y >= -1 && y <= 64);
  model.params.dispose();
});

test('predict with a given box: landmarks in image pixels inside the box\'s crop, JSON + overlay PNG; a checkpoint round-trips', async () => {
  await initBackend({ quiet: true });
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'star-predict-'));
  const model = buildHourglass(modelConfig('cpu-tiny'), { seed: 4 });
  await saveCheckpoint(path.join(tmp, 'run', 'best'), { model: model.params.all(), state: { modelConfig: model.config } });
  const loaded = loadTrainedModel(path.join(tmp, 'run'));
  const img = await loadImage(path.join(fixtures, 'img', 'face.png'));
  const rect: [number, number, number, number] = [20, 30, 80, 90];
  const a = await predictImage(model, img, { box: rect });
  const b = await predictImage(loaded, img, { box: rect });
  assert.deepEqual(a.faces[0].landmarks, b.faces[0].landmarks, 'a saved and reloaded model predicts the same');
  assert.equal(a.faces[0].landmarks.length, 98);
  const box = boxFromRect(rect);
  const half = (box.scale * 200) / 2 + 2;
  for (const [x, y] of a.faces[0].landmarks) {
    assert.ok(Math.abs(x - box.center[0]) <= half && Math.abs(y - box.center[1]) <= half, `(${x}, ${y}) outside the crop of ${JSON.stringify(box)}`);
  }
  const files = await writePrediction(a, img, path.join(tmp, 'out', 'face'), { image: 'face.png', model: modelProvenance('run', path.join(tmp, 'run')) });
  const meta = await sharp(files.png).metadata();
  assert.equal(meta.width, 100);
  const json = JSON.parse(fs.readFileSync(files.json, 'utf8'));
  assert.equal(json.faces[0].landmarks.length, 98);
  assert.match(json.model.trainedOn, /unknown/, 'no config.json in the run folder: provenance unknown, not invented');
  await assert.rejects(loadImage(path.join(tmp, 'missing.png')), /image not found/);
  assert.throws(() => boxFromRect([10, 10, 5, 20]), /x1 < x2/);
  model.params.dispose();
  loaded.params.dispose();
});

test('fileWeightsHandler is a tf.io IOHandler: save then load returns the same weights', async () => {
  await initBackend({ quiet: true });
  const tf = await import('@tensorflow/tfjs-core');
  const { fileWeightsHandler } = await import('../src/model/checkpoint');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'star-io-'));
  const w = { a: tf.tensor2d([[1, 2], [3, 4]]), b: tf.tensor1d([0.5, -0.25, 8]) };
  const { data, specs } = await tf.io.encodeWeights(w);
  const h = fileWeightsHandler(dir, 'weights');
  await h.save!({ weightSpecs: specs, weightData: data, userDefinedMetadata: { note: 'x' } });
  const back = await h.load!();
  const decoded = tf.io.decodeWeights(back.weightData as ArrayBuffer, back.weightSpecs!);
  assert.deepEqual(Array.from(await decoded.a.data()), [1, 2, 3, 4]);
  assert.deepEqual(Array.from(await decoded.b.data()), [0.5, -0.25, 8]);
  assert.deepEqual(back.userDefinedMetadata, { note: 'x' });
  const manifest = JSON.parse(fs.readFileSync(path.join(dir, 'weights.json'), 'utf8'));
  assert.deepEqual(manifest.weightsManifest[0].paths, ['weights.bin'], 'the layout tf.io.loadWeights expects');
});

test('300W protocol: common / challenge / full subsets from the official folder layout, threshold 0.05', async () => {
  await initBackend({ quiet: true });
  const { W300_68 } = await import('../src/data/schemes');
  const { w300SubsetOfPath } = await import('../src/data/subsets');
  assert.equal(w300SubsetOfPath('C:\\data\\300W\\IBUG\\image_003_1.jpg'), 'challenge');
  assert.equal(w300SubsetOfPath('300W/helen/testset/296814969_3.jpg'), 'common');
  assert.equal(w300SubsetOfPath('300W/lfpw/trainset/image_0001.png'), undefined);
  assert.equal(w300SubsetOfPath('300W/afw/134212_1.jpg'), undefined);
  // A made-up 68-point face (a circle of points) on a grey image, in the 300W layout, .pts with 1-based coordinates.
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'star-300w-'));
  const pts = Array.from({ length: 68 }, (_, i) => `${(50 + 25 * Math.cos(i / 68 * 2 * Math.PI)).toFixed(2)} ${(50 + 25 * Math.sin(i / 68 * 2 * Math.PI)).toFixed(2)}`);
  const png = await sharp({ create: { width: 100, height: 100, channels: 3, background: { r: 128, g: 128, b: 128 } } }).png().toBuffer();
  const faces = ['ibug/a', 'lfpw/testset/b', 'helen/testset/c', 'afw/d'];
  for (const f of faces) {
    const file = path.join(root, '300W', f);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(`${file}.png`, png);
    fs.writeFileSync(`${file}.pts`, `version: 1\nn_points: 68\n{\n${pts.join('\n')}\n}\n`);
  }
  const ds = openDataset(path.join(root, '300W'), { format: 'pts', scheme: '300w' });
  assert.equal(ds.length, 4);
  const model = buildHourglass(modelConfig('cpu-tiny', { numPoints: 68, numEdges: W300_68.edges.length }), { seed: 3 });
  const r = await evaluate(model, ds, { codec: createCodec(W300_68, { inputSize: 64, heatmapSize: 16 }) });
  assert.equal(r.threshold, 0.05);
  assert.equal(r.perSubset.challenge?.n, 1);
  assert.equal(r.perSubset.common?.n, 2);
  assert.equal(r.perSubset.full?.n, 3);
  assert.equal(r.perSubset.largepose, undefined);
  // full = the NME mean over common ∪ challenge faces (n-weighted).
  const full = (r.perSubset.common!.nme * 2 + r.perSubset.challenge!.nme) / 3;
  assert.ok(Math.abs(r.perSubset.full!.nme - full) < 1e-12);
  model.params.dispose();
});
