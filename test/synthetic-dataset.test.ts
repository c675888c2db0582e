/**
 * syntheticDataset: generation through the worker pool is byte-identical to in-thread generation, the cache is hit
 * on the second call and returns identical data, the cache folder follows the config hash, test sets keep both
 * noisy and clean labels.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { syntheticDataset, syntheticCacheDir, resolveSyntheticConfig, generateSample, type SyntheticConfigInput } from '../src/data/synthetic';

const small: SyntheticConfigInput = { seed: 5, imageSize: 64, counts: { train: 10, val: 2, test: 4 } };

test('worker pool = in-thread bytes; cache hit returns identical data; hash-named folder', async () => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'synthetic-test-'));
  try {
    const a = await syntheticDataset(small, 'train', { cacheRoot: root, workers: 2, chunk: 3 });
    const dir = syntheticCacheDir(resolveSyntheticConfig(small), root);
    assert.ok(fs.existsSync(path.join(dir, 'train.rgb')) && fs.existsSync(path.join(dir, 'train.json')) && fs.existsSync(path.join(dir, 'config.json')));
    assert.equal(fs.readdirSync(dir).filter((f) => f.includes('.tmp')).length, 0, 'temporary files left behind');
    const mtime = fs.statSync(path.join(dir, 'train.rgb')).mtimeMs;
    const b = await syntheticDataset(small, 'train', { cacheRoot: root, workers: 0 });
    assert.equal(fs.statSync(path.join(dir, 'train.rgb')).mtimeMs, mtime, 'second call regenerated instead of reading the cache');
    const c = await syntheticDataset(small, 'train', { cache: false, workers: 0 });
    assert.equal(a.length, 10);
    for (let i = 0; i < a.length; i++) {
      const [sa, sb, sc] = [a.get(i), b.get(i), c.get(i)];
      assert.ok(Buffer.from(sa.pixels!.data).equals(Buffer.from(sb.pixels!.data)), `cache bytes differ at ${i}`);
      assert.ok(Buffer.from(sa.pixels!.data).equals(Buffer.from(sc.pixels!.data)), `pool bytes differ from in-thread at ${i}`);
      assert.deepEqual(sa.landmarks, sb.landmarks);
      assert.deepEqual(sa.landmarks, sc.landmarks);
      assert.deepEqual(sa.tangents, sb.tangents);
      assert.deepEqual(sa.attributes, sb.attributes);
    }
    // A single sample generated alone equals the one in the split (seed per index, not per worker).
    const one = await generateSample(resolveSyntheticConfig(small), 'train', 7);
    assert.ok(Buffer.from(one.rgb).equals(Buffer.from(a.get(7).pixels!.data)));
    // Changing any knob moves the cache folder.
    const other = syntheticCacheDir(resolveSyntheticConfig({ ...small, ambiguity: { sigmaTangent: 0.05 } }), root);
    assert.notEqual(other, dir);
    // A corrupted cache file is reported with its path, not silently used.
    fs.writeFileSync(path.join(dir, 'train.rgb'), Buffer.alloc(10));
    await assert.rejects(syntheticDataset(small, 'train', { cacheRoot: root }), /train\.rgb: 10 bytes/);
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
});

test('test split: landmarks are noisy, cleanLandmarks are the truth, tangents present, box follows the official convention', async () => {
  const ds = await syntheticDataset(small, 'test', { cache: false, workers: 0 });
  assert.equal(ds.length, 4);
  assert.equal(ds.scheme.name, 'wflw98');
  for (let i = 0; i < ds.length; i++) {
    const s = ds.get(i);
    assert.equal(s.landmarks.length, 98);
    assert.equal(s.cleanLandmarks!.length, 98);
    assert.equal(s.tangents!.length, 98);
    assert.notDeepEqual(s.landmarks, s.cleanLandmarks);
    assert.equal(s.pixels!.data.length, 64 * 64 * 3);
    // Box: side = scale * 200 covers the clean landmarks, centred on their bounding box.
    const xs = s.cleanLandmarks!.map((p) => p[0]), ys = s.cleanLandmarks!.map((p) => p[1]);
    const side = s.box.scale * 200;
    assert.ok(Math.abs((Math.min(...xs) + Math.max(...xs)) / 2 - s.box.center[0]) < 1e-2);
    assert.ok(Math.max(Math.max(...xs) - Math.min(...xs), Math.max(...ys) - Math.min(...ys)) * 1.25 - side < 1e-2);
    assert.equal(Object.keys(s.attributes!).length, 6);
  }
  await assert.rejects(syntheticDataset(small, 'bogus' as never), /split "bogus"/);
});
