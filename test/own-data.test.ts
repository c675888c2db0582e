/**
 * `star train` on your own data: synthetic faces written out as an iBUG .pts folder (PNG + 1-based .pts, a format a
 * user would have), trained with a held-out validation split, resumable with a config check, the selected weights
 * loadable for predict/evaluate; bad arguments get clear errors.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { spawnSync } from 'child_process';
import sharp from 'sharp';
import { initBackend } from 'tfjs-wasm-train';
import { syntheticDataset } from '../src/data/synthetic/dataset';
import { holdOut, lossFromName, trainOnOwnData } from '../src/train/own-data';
import { loadTrainedModel } from '../src/model/load';

const quiet = { update() {}, message() {}, done() {} };
const root = fs.mkdtempSync(path.join(os.tmpdir(), 'star-own-'));

async function writePtsFolder(dir: string, n: number): Promise<void> {
  const ds = await syntheticDataset({ seed: 9, imageSize: 64, counts: { train: n, val: 4, test: 4 } }, 'train');
  fs.mkdirSync(dir, { recursive: true });
  for (let i = 0; i < ds.length; i++) {
    const s = ds.get(i);
    const { data, width, height } = s.pixels!;
    await sharp(Buffer.from(data), { raw: { width, height, channels: 3 } }).png().toFile(path.join(dir, `face${i}.png`));
    const pts = s.landmarks.map(([x, y]) => `${(x + 1).toFixed(3)} ${(y + 1).toFixed(3)}`).join('\n');
    fs.writeFileSync(path.join(dir, `face${i}.pts`), `version: 1\nn_points: ${s.landmarks.length}\n{\n${pts}\n}\n`);
  }
}

test('holdOut is seeded, disjoint and covers every face; loss names map to loss specs', () => {
  const a = holdOut(50, 0.1, 3);
  assert.deepEqual(a, holdOut(50, 0.1, 3));
  assert.notDeepEqual(a.val, holdOut(50, 0.1, 4).val);
  assert.equal(a.val.length, 8, 'at least 8 validation faces');
  assert.deepEqual([...a.train, ...a.val].sort((x, y) => x - y), Array.from({ length: 50 }, (_, i) => i));
  assert.deepEqual(lossFromName('coord-l1'), { kind: 'coord', distance: 'l1' });
  assert.deepEqual(lossFromName('star', { omega: 10 }), { kind: 'star', options: { omega: 10 } });
  assert.throws(() => lossFromName('star', { omega: -2 }), /omega must be a finite number >= 0/);
  assert.throws(() => lossFromName('mse'), /--loss: expected one of star, heatmap-mse/);
});

test('train on a .pts folder: held-out validation, best/ loadable, resume refuses another configuration', async () => {
  await initBackend({ quiet: true });
  const data = path.join(root, 'faces');
  await writePtsFolder(data, 20);
  const out = path.join(root, 'run');
  const base = { data, out, format: 'pts' as const, scheme: 'wflw', test: data, loss: lossFromName('star'), preset: 'cpu-tiny' as const,
    steps: 6, batchSize: 4, workers: 0, progress: quiet, handleSignals: false };
  const r = await trainOnOwnData(base);
  assert.equal(r.interrupted, false);
  assert.equal(r.trainFaces + r.valFaces, 20);
  assert.equal(r.valFaces, 8);
  assert.ok(r.test && r.test.labels.n === 20 && Number.isFinite(r.test.labels.nme));
  for (const f of ['config.json', 'env.json', 'metrics.jsonl', 'summary.json', 'test-nme.json']) assert.ok(fs.existsSync(path.join(out, f)), f);
  const model = loadTrainedModel(out);
  assert.equal(model.config.numPoints, 98);
  model.params.dispose();
  await assert.rejects(trainOnOwnData({ ...base, loss: lossFromName('coord-l1') }), /holds a checkpoint of a different configuration/);
  await assert.rejects(trainOnOwnData({ ...base, out: path.join(root, 'x'), batchSize: 64 }), /fewer than one batch of 64/);
  // This process started wasm for cpu-tiny: the paper preset would not fit its heap, and the backend cannot change
  // under live tensors, so the run is refused before any step (a fresh process picks the host backend).
  await assert.rejects(trainOnOwnData({ ...base, out: path.join(root, 'p'), preset: 'paper' }),
    /already runs wasm, and paper preset, training batch 4 needs ≈ \d+\.\d GiB of tensors, over the 2\.0 GiB the wasm heap holds reliably; start it in a new process/);
});

test('star train: bad arguments exit 2 with the option named', () => {
  const cli = (...args: string[]) => spawnSync(process.execPath, ['--import', 'tsx', path.join(__dirname, '..', 'src', 'cli', 'main.ts'), 'train', ...args], { encoding: 'utf8', timeout: 60_000 });
  const a = cli('--data', 'synthetic');
  assert.equal(a.status, 2);
  assert.match(a.stderr, /--out is required/);
  const b = cli('--data', 'synthetic', '--out', path.join(root, 'y'), '--loss', 'mse');
  assert.equal(b.status, 2);
  assert.match(b.stderr, /--loss: unknown loss "mse", expected one of star, heatmap-mse, awing, coord-smoothl1, coord-l1, coord-l2/);
  const c = cli('--data', 'synthetic', '--out', path.join(root, 'y'), '--preset', 'huge');
  assert.equal(c.status, 2);
  assert.match(c.stderr, /--preset: unknown preset "huge", expected one of paper, cpu-small, cpu-128, cpu-tiny/);
});

test('STAR_PROFILE=smoke star train --data synthetic trains at the smoke size (faces, preset, batch); options win over it', () => {
  const out = path.join(root, 'synthetic-smoke');
  const r = spawnSync(process.execPath, ['--import', 'tsx', path.join(__dirname, '..', 'src', 'cli', 'main.ts'), 'train', '--data', 'synthetic', '--out', out, '--steps', '2', '--workers', '0'], {
    encoding: 'utf8', timeout: 300_000, env: { ...process.env, STAR_PROFILE: 'smoke', STAR_BACKEND: 'cpu' },
  });
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stderr, /training on the synthetic benchmark \(smoke profile: 32\/16\/16 train\/val\/test faces\): cpu-tiny model, 2 steps of batch 4/);
  assert.match(r.stdout, /trained on 32 faces, selected on 16 /);
  const cfg = JSON.parse(fs.readFileSync(path.join(out, 'config.json'), 'utf8'));
  assert.deepEqual([cfg.train.steps, cfg.train.batchSize, cfg.model.inputSize, cfg.model.channels], [2, 4, 64, 32]);
});
