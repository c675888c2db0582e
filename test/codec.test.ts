import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { createCodec } from '../src/data/codec';
import { catmullRom } from '../src/data/edge-maps';
import { COFW29, WFLW98, type LandmarkScheme } from '../src/data/schemes';

function rng(seed: number): () => number {
  let s = seed;
  return () => (s = (s * 16807) % 2147483647) / 2147483647;
}
/** Landmarks uniform in the interior of the crop (>= 3 σ_heatmap from the border, where a Gaussian is not cut). */
function interior(S: number, n: number, r: () => number, margin = 0.1): Float32Array {
  return new Float32Array(2 * n).map(() => S * margin + r() * S * (1 - 2 * margin));
}

test('consistent: encode -> decode round trip < 0.05 crop px at σ >= 1 heatmap px, >= 4σ from the border (soft-argmax and argmax)', () => {
  for (const [S, sigma] of [[256, 1], [256, 2], [128, 1], [128, 1.5]]) {
    const c = createCodec(WFLW98, { inputSize: S, sigma });
    const r = rng(S + sigma * 10);
    for (let t = 0; t < 5; t++) {
      // Keep points >= 4 σ (heatmap px) inside the map: a Gaussian cut by the border biases any centroid.
      const lm = interior(S, 98, r, ((4 * sigma + 1) * 4) / S);
      const { heatmaps } = c.encode(lm);
      for (const m of ['soft-argmax', 'argmax-subpixel'] as const) {
        const d = c.decode(heatmaps, m);
        const worst = Math.max(...Array.from(d, (v, i) => Math.abs(v - lm[i])));
        assert.ok(worst < 0.05, `S=${S} σ=${sigma} ${m}: worst error ${worst}`);
      }
    }
  }
});

test('consistent: σ far below 1 heatmap px is NOT exact (the test above can fail)', () => {
  const c = createCodec(WFLW98, { inputSize: 256, sigma: 0.3 });
  const lm = interior(256, 98, rng(5));
  const d = c.decode(c.encode(lm).heatmaps);
  assert.ok(Math.max(...Array.from(d, (v, i) => Math.abs(v - lm[i]))) > 0.3);
});

test('consistent: heatmap peak sits on the target grid position; closed-form values', () => {
  const c = createCodec(COFW29, { inputSize: 128, heatmapSize: 32, sigma: 1.5 });
  // crop px x with heatmap px u = (x+0.5)/4 - 0.5 = 10 exactly -> x = 41.5
  const lm = new Float32Array(58).fill(41.5);
  lm[0] = 41.5 + 4 * 0.3; // u = 10.3
  const { heatmaps, targets } = c.encode(lm);
  assert.ok(Math.abs(targets[2] - (2 * 10 / 31 - 1)) < 1e-6);
  const N = 29;
  // point 1 at (10, 10): value at pixel (x=12, y=10) = exp(-4 / (2·2.25))
  assert.ok(Math.abs(heatmaps[(10 * 32 + 12) * N + 1] - Math.exp(-4 / 4.5)) < 1e-6);
  // point 0 at (u=10.3, v=10): value at (11, 10) = exp(-0.49/4.5)
  assert.ok(Math.abs(heatmaps[(10 * 32 + 11) * N + 0] - Math.exp(-0.49 / 4.5)) < 1e-6);
});

test('invisible points give zero maps; bad shapes raise clear errors', () => {
  const c = createCodec(COFW29, { inputSize: 64 });
  const vis = new Array(29).fill(1);
  vis[7] = 0;
  const { heatmaps } = c.encode(new Float32Array(58).fill(30), vis);
  let s = 0;
  for (let p = 0; p < 16 * 16; p++) s += heatmaps[p * 29 + 7];
  assert.equal(s, 0);
  assert.throws(() => c.encode(new Float32Array(56)), /56 values, expected 58 \(scheme cofw29/);
  assert.throws(() => c.decode(new Float32Array(100)), /not a multiple of H·W·N/);
  assert.throws(() => c.encodeTargets(new Float32Array(58).fill(NaN)), /landmark 0 x is NaN/);
  assert.throws(() => createCodec(COFW29, { inputSize: 64, heatmapSize: 100 }), /heatmapSize/);
  // targets of points outside the crop are clamped to the grid border (official behaviour), unless asked not to
  const out = new Float32Array(58).fill(30); out[0] = -20; out[1] = 90;
  assert.deepEqual(Array.from(c.encodeTargets(out).subarray(0, 2)), [-1, 1]);
  const raw = createCodec(COFW29, { inputSize: 64, clampTargets: false }).encodeTargets(out);
  assert.ok(raw[0] < -1 && raw[1] > 1);
});

test('official: point map equals an independent 2-D draw at S then bilinear down-sampling; labels (2x+1)/S-1', () => {
  const S = 64, H = 16, sigma = 1.5;
  const scheme: LandmarkScheme = { ...COFW29 };
  const c = createCodec(scheme, { inputSize: S, convention: 'official' });
  const lm = interior(S, 29, rng(3));
  const { heatmaps, targets } = c.encode(lm);
  const n = 4, cx = Math.trunc(lm[2 * n]), cy = Math.trunc(lm[2 * n + 1]);
  const big = (x: number, y: number) => Math.exp(-((x - cx) ** 2 + (y - cy) ** 2) / (2 * sigma * sigma));
  for (let y = 0; y < H; y++) {
    for (let x = 0; x < H; x++) {
      const sx = (x + 0.5) * 4 - 0.5, sy = (y + 0.5) * 4 - 0.5; // = 4x+1.5: halfway between 4x+1 and 4x+2
      const ref = 0.25 * (big(Math.floor(sx), Math.floor(sy)) + big(Math.ceil(sx), Math.floor(sy)) + big(Math.floor(sx), Math.ceil(sy)) + big(Math.ceil(sx), Math.ceil(sy)));
      assert.ok(Math.abs(heatmaps[(y * H + x) * 29 + n] - ref) < 1e-6, `(${x},${y})`);
    }
  }
  assert.ok(Math.abs(targets[2 * n] - ((2 * lm[2 * n] + 1) / S - 1)) < 1e-6);
  assert.ok(Math.abs(c.targetToCrop(targets[2 * n]) - lm[2 * n]) < 1e-4, 'labels invert exactly');
});

test('official: the round-trip bias is about half a pixel on average and up to ~2.5 px near the border (measured)', () => {
  const S = 256;
  const c = createCodec(WFLW98, { inputSize: S, convention: 'official' });
  const r = rng(11);
  const errs: number[] = [];
  for (let t = 0; t < 10; t++) {
    const lm = interior(S, 98, r);
    const d = c.decode(c.encode(lm).heatmaps);
    d.forEach((v, i) => errs.push(v - lm[i]));
  }
  const mean = errs.reduce((a, b) => a + b, 0) / errs.length;
  const rms = Math.sqrt(errs.reduce((a, b) => a + b * b, 0) / errs.length);
  // Closed form of the mismatch: decode(j) = 256j/63 - 0.5 vs the sample's crop position 4j + 1.5, plus int() truncation.
  assert.ok(mean < -0.4 && mean > -0.6, `mean bias ${mean}`);
  assert.ok(rms > 0.9 && rms < 1.4, `rms ${rms}`);
});

test('tensor decoder (cpu backend) agrees with the JS decoder on a batch, and does not leak', async () => {
  await tf.setBackend('cpu');
  for (const convention of ['consistent', 'official'] as const) {
    const c = createCodec(COFW29, { inputSize: 64, convention });
    const r = rng(7);
    const B = 3, per = 16 * 16 * 29;
    const batch = new Float32Array(B * per);
    for (let b = 0; b < B; b++) batch.set(c.encode(interior(64, 29, r)).heatmaps, b * per);
    for (let i = 0; i < batch.length; i += 97) batch[i] += r() * 0.3; // not a clean Gaussian
    const js = c.decode(batch);
    const before = tf.memory().numTensors;
    const t = tf.tensor4d(batch, [B, 16, 16, 29]);
    const out = c.decodeTensor(t);
    assert.deepEqual(out.shape, [B, 29, 2]);
    const dev = out.dataSync();
    t.dispose(); out.dispose();
    assert.equal(tf.memory().numTensors, before);
    const worst = Math.max(...Array.from(dev, (v, i) => Math.abs(v - js[i])));
    assert.ok(worst < 1e-3, `${convention}: ${worst}`);
  }
  assert.throws(() => createCodec(COFW29, { inputSize: 64 }).decodeTensor(tf.zeros([1, 8, 8, 29]) as tf.Tensor4D), /expected \[B, 16, 16, 29\], got \[1, 8, 8, 29\]/);
});

test('edge maps: a straight open edge gives exp(-d²/2σ²) across it and 1 on it', () => {
  const scheme: LandmarkScheme = {
    ...COFW29, name: 'line3', numPoints: 3, flipPairs: [], edges: [{ name: 'l', closed: false, points: [0, 1, 2] }],
  };
  const c = createCodec(scheme, { inputSize: 64, heatmapSize: 64, edgeMaps: true, edgeSigma: 1.5 });
  const { edgemaps } = c.encode([10, 30, 30, 30, 50, 30]); // horizontal line y = 30 from x = 10 to 50
  assert.ok(edgemaps);
  for (const dy of [0, 1, 2, 3]) {
    assert.ok(Math.abs(edgemaps![(30 + dy) * 64 + 30] - Math.exp(-(dy * dy) / 4.5)) < 1e-6, `dy=${dy}`);
  }
  assert.ok(edgemaps![(30) * 64 + 60] < 1e-6, 'beyond the open end the map fades');
  assert.equal(catmullRom([[0, 0], [1, 0], [2, 0]], false, 5).length, 11);
});

test('real: codec round trip on WFLW test landmarks, as inter-ocular NME (official floor ≈ 1.4 %, consistent ≈ 0)', async () => {
  const path = await import('path');
  const { requireShared } = await import('../src/config/shared');
  const dir = requireShared('data');
  const { readWflwAttributeLists } = await import('../src/data/formats/wflw');
  const { cropMatrix, invertAffine, transformPoints } = await import('../src/data/crop');
  const faces = readWflwAttributeLists(path.join(dir, 'wflw-test-annotations'), { checkImages: false }).filter((_, i) => i % 20 === 0);
  const nme = (c: ReturnType<typeof createCodec>) => {
    let s = 0;
    for (const f of faces) {
      const m = cropMatrix(f.box, 256);
      const back = transformPoints(invertAffine(m), c.decode(c.encode(transformPoints(m, f.landmarks.flat())).heatmaps));
      const io = Math.hypot(f.landmarks[60][0] - f.landmarks[72][0], f.landmarks[60][1] - f.landmarks[72][1]);
      s += f.landmarks.reduce((a, [x, y], i) => a + Math.hypot(back[2 * i] - x, back[2 * i + 1] - y), 0) / 98 / io;
    }
    return (100 * s) / faces.length;
  };
  const official = nme(createCodec(WFLW98, { convention: 'official' }));
  const consistent = nme(createCodec(WFLW98, { sigma: 1 }));
  assert.ok(official > 1.0 && official < 1.8, `official ${official}%`);
  assert.ok(consistent < 0.01, `consistent ${consistent}%`);
});
