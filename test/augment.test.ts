import { test } from 'node:test';
import assert from 'node:assert/strict';
import { applyTexture, augmentConfig, boxBlur, NO_AUGMENT, OFFICIAL_AUGMENT, sampleGeometry, sampleRng } from '../src/data/augment';

const std = (a: number[]) => { const m = a.reduce((s, v) => s + v, 0) / a.length; return Math.sqrt(a.reduce((s, v) => s + (v - m) ** 2, 0) / (a.length - 1)); };

test('per-sample PRNG: deterministic in (seed, epoch, index), different otherwise, uniform', () => {
  const a = sampleRng(1, 2, 3), b = sampleRng(1, 2, 3);
  const xs = Array.from({ length: 5 }, () => a());
  assert.deepEqual(xs, Array.from({ length: 5 }, () => b()));
  for (const [s, e, i] of [[2, 2, 3], [1, 3, 3], [1, 2, 4]]) assert.notEqual(sampleRng(s, e, i)(), xs[0]);
  const r = sampleRng(9, 0, 0);
  const u = Array.from({ length: 20000 }, () => r());
  assert.ok(u.every((v) => v >= 0 && v < 1));
  assert.ok(Math.abs(u.reduce((s, v) => s + v, 0) / u.length - 0.5) < 0.01);
  // first draws across indices are not correlated with the index
  const first = Array.from({ length: 4000 }, (_, i) => sampleRng(9, 0, i)());
  assert.ok(Math.abs(first.reduce((s, v) => s + v, 0) / first.length - 0.5) < 0.02);
});

test('geometry: official distributions (flip 0.5, rotation N(0,18°), zoom N(1,0.1), shift N(0,0.05·(S-1)))', () => {
  const S = 256, n = 4000;
  const g = Array.from({ length: n }, (_, i) => sampleGeometry(augmentConfig(), S, sampleRng(5, 0, i)));
  const flips = g.filter((x) => x.flip).length / n;
  assert.ok(Math.abs(flips - 0.5) < 0.03, `flip rate ${flips}`);
  assert.ok(Math.abs(std(g.map((x) => (x.rotation * 180) / Math.PI)) - 18) < 0.8);
  assert.ok(Math.abs(std(g.map((x) => x.scale)) - 0.1) < 0.005);
  assert.ok(Math.abs(std(g.map((x) => x.shiftX)) - 0.05 * 255) < 0.6);
  assert.deepEqual(sampleGeometry(NO_AUGMENT, S, sampleRng(1, 1, 1)), { flip: false, rotation: 0, scale: 1, shiftX: 0, shiftY: 0 });
});

test('texture: official probabilities and parameter ranges', () => {
  const S = 64, n = 1500;
  const img = new Float32Array(S * S * 3);
  const counts = { occ: 0, blur: 0, gamma: 0, noise: 0, gray: 0 };
  const gammas: number[] = [];
  let blurDraws = 0;
  for (let i = 0; i < n; i++) {
    img.fill(100);
    const log = applyTexture(img, S, augmentConfig({ blurMaxFraction: 0.5 }), sampleRng(3, 1, i));
    if (log.occlusion) {
      counts.occ++;
      const [, , w, h] = log.occlusion;
      assert.ok(h >= 0.2 * S / 2 - 1 && h <= 0.8 * S / 2 + 1 && w <= (0.6 + 0.4) * S / 2 + 1);
    }
    if (log.blurK !== undefined) { counts.blur++; assert.ok(log.blurK > 1 && log.blurK < 32); }
    if (log.gamma !== undefined) { counts.gamma++; gammas.push(log.gamma); assert.ok(log.gamma >= 0.25 && log.gamma < 4); }
    if (log.noiseAlpha !== undefined) { counts.noise++; assert.ok(log.noiseAlpha >= 0 && log.noiseAlpha < 0.5); }
    if (log.gray) counts.gray++;
    blurDraws++;
  }
  const p = (k: keyof typeof counts) => counts[k] / n;
  assert.ok(Math.abs(p('occ') - 0.4) < 0.04, `occlusion ${p('occ')}`);
  // blur fires with p=0.3 times P(k > 1) = P(u > 2/32) = 0.9375 at S=64 with fraction 0.5
  assert.ok(Math.abs(p('blur') - 0.3 * 0.9375) < 0.04, `blur ${p('blur')}`);
  for (const k of ['gamma', 'noise', 'gray'] as const) assert.ok(Math.abs(p(k) - 0.2) < 0.035, `${k} ${p(k)}`);
  const below1 = gammas.filter((g) => g < 1).length / gammas.length;
  assert.ok(Math.abs(below1 - 0.5) < 0.1);
  assert.equal(blurDraws, n);
});

test('texture ops: gamma closed form, grayscale luma, occlusion is black, nothing when disabled', () => {
  const S = 8;
  const base = new Float32Array(S * S * 3).map((_, i) => [30, 120, 240][i % 3]);
  // find an index whose draws give gamma only
  for (let i = 0; i < 500; i++) {
    const img = base.slice();
    const log = applyTexture(img, S, augmentConfig({ occlusionProb: 0, blurProb: 0, noiseProb: 0, grayProb: 0, gammaProb: 1 }), sampleRng(0, 0, i));
    assert.ok(Math.abs(img[1] - 255 * Math.pow(120 / 255, log.gamma!)) < 1e-3);
    if (i > 3) break;
  }
  const g = base.slice();
  applyTexture(g, S, augmentConfig({ occlusionProb: 0, blurProb: 0, noiseProb: 0, gammaProb: 0, grayProb: 1 }), sampleRng(0, 0, 0));
  assert.ok(Math.abs(g[0] - (0.299 * 30 + 0.587 * 120 + 0.114 * 240)) < 1e-3 && g[0] === g[2]);
  const o = base.slice();
  const log = applyTexture(o, S, augmentConfig({ occlusionProb: 1, blurProb: 0, noiseProb: 0, gammaProb: 0, grayProb: 0 }), sampleRng(0, 0, 0));
  const [x0, y0, w, h] = log.occlusion!;
  const zeros = o.filter((v) => v === 0).length;
  assert.equal(zeros, w * h * 3);
  assert.equal(o[(y0 * S + x0) * 3], 0);
  const d = base.slice();
  assert.deepEqual(applyTexture(d, S, NO_AUGMENT, sampleRng(0, 0, 0)), {});
  assert.deepEqual(d, base);
});

test('box blur equals a brute-force k×k mean with reflect-101 borders (cv2.blur)', () => {
  const S = 9;
  const r = sampleRng(4, 4, 4);
  const img = new Float32Array(S * S * 3).map(() => r() * 255);
  for (const k of [2, 3, 4]) {
    const out = img.slice();
    boxBlur(out, S, k);
    const lo = Math.floor((k - 1) / 2);
    const refl = (i: number) => (i < 0 ? -i : i >= S ? 2 * S - 2 - i : i);
    for (let y = 0; y < S; y++) for (let x = 0; x < S; x++) {
      let s = 0;
      for (let dy = -lo; dy < k - lo; dy++) for (let dx = -lo; dx < k - lo; dx++) s += img[(refl(y + dy) * S + refl(x + dx)) * 3 + 1];
      assert.ok(Math.abs(out[(y * S + x) * 3 + 1] - s / (k * k)) < 1e-3, `k=${k} (${x},${y})`);
    }
  }
});

test('config validation names the field', () => {
  assert.throws(() => augmentConfig({ flipProb: 1.5 }), /AugmentConfig\.flipProb must be in \[0, 1\], got 1\.5/);
  assert.throws(() => augmentConfig({ rotationStdDeg: NaN }), /rotationStdDeg/);
  assert.equal(OFFICIAL_AUGMENT.occlusionProb, 0.4);
});
