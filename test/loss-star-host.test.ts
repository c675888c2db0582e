/**
 * The host STAR kernels (src/loss/star-host.ts) against the tfjs-op implementation (star-kernel.ts + the moments
 * custom op), on the cpu AND wasm backends, at a training-sized shape with awkward channels (empty, tiny mass, one
 * pixel, negative entries, near-isotropic blobs), over every option: loss per landmark and the gradients with
 * respect to heatmaps and targets. Both sides were checked against finite differences and the official fixture
 * elsewhere (loss-star*.test.ts); here the point is that the two implementations agree everywhere else too.
 */
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend, withBackend, nativeKernels } from 'tfjs-wasm-train';
import { starLossPerLandmark } from '../src/loss/star';
import type { StarLossOptions } from '../src/loss/star-options';
import { heatmapMomentsPacked } from '../src/geometry/distribution';
import { hostMomentsPacked, starHostAvailable, useNativeStarMoments } from '../src/loss/star-host';
import { sampleRng } from '../src/data/augment';
import { requireSetup } from './helpers/setup';

before(async () => {
  await initBackend({ backend: 'wasm-single', quiet: true });
});

/** Deterministic pseudo-random numbers (the project's seeded generator). */
const rng = (seed: number) => sampleRng(seed, 0, 0);

const SHAPE: [number, number, number, number] = [3, 16, 16, 20];

/** Gaussian blobs of random anisotropy + noise, with special channels in batch item 0. */
function heatmaps(seed: number): Float32Array {
  const [B, H, W, N] = SHAPE;
  const r = rng(seed);
  const h = new Float32Array(B * H * W * N);
  for (let b = 0; b < B; b++) for (let n = 0; n < N; n++) {
    const cx = 2 + r() * (W - 4);
    const cy = 2 + r() * (H - 4);
    const s0 = 0.5 + r() * 2.5;
    const s1 = n % 5 === 0 ? s0 : 0.5 + r() * 2.5; // every fifth channel isotropic
    const th = r() * Math.PI;
    const [c, s] = [Math.cos(th), Math.sin(th)];
    for (let y = 0; y < H; y++) for (let x = 0; x < W; x++) {
      const u = c * (x - cx) + s * (y - cy);
      const v = -s * (x - cx) + c * (y - cy);
      h[((b * H + y) * W + x) * N + n] = Math.exp(-0.5 * ((u / s0) ** 2 + (v / s1) ** 2)) + 0.01 * r();
    }
  }
  const set = (n: number, f: (y: number, x: number) => number) => {
    for (let y = 0; y < H; y++) for (let x = 0; x < W; x++) h[(y * W + x) * N + n] = f(y, x);
  };
  set(1, () => 0); // empty
  set(2, (y, x) => (y === 3 && x === 12 ? 0.7 : 0)); // one pixel
  set(3, (y, x) => (y === 8 && x === 8 ? 3e-8 : 0)); // tiny mass (below the official clamp)
  set(4, (y, x) => (x === 5 ? 0.2 : 0) - (x === 6 && y === 2 ? 0.05 : 0)); // a line with one negative entry
  return h;
}

function targets(seed: number): Float32Array {
  const r = rng(seed);
  return Float32Array.from({ length: SHAPE[0] * SHAPE[3] * 2 }, () => r() * 2 - 1);
}

function lossAndGrads(h: Float32Array, t: Float32Array, opts: StarLossOptions) {
  return tf.tidy(() => {
    const H = tf.tensor4d(h, SHAPE);
    const T = tf.tensor3d(t, [SHAPE[0], SHAPE[3], 2]);
    const w = tf.tensor2d(Float32Array.from({ length: SHAPE[0] * SHAPE[3] }, (_, k) => 0.5 + (k % 3)), [SHAPE[0], SHAPE[3]]);
    const f = (a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.mul(starLossPerLandmark(a as tf.Tensor4D, b as tf.Tensor3D, opts), w)) as tf.Scalar;
    const per = starLossPerLandmark(H, T, opts).dataSync();
    const { grads } = tf.valueAndGrads(f)([H, T]);
    return { per, gh: grads[0].dataSync(), gt: grads[1].dataSync() };
  });
}

/** Max abs difference relative to the largest reference entry, over the entries whose channel passes `keep`. */
function maxRel(a: ArrayLike<number>, b: ArrayLike<number>, keep: (k: number) => boolean = () => true): number {
  let m = 0;
  let e = 0;
  for (let k = 0; k < a.length; k++) {
    if (!keep(k)) continue;
    assert.ok(Number.isFinite(a[k]), `non-finite value at ${k}: ${a[k]}`);
    m = Math.max(m, Math.abs(b[k]));
    e = Math.max(e, Math.abs(a[k] - b[k]));
  }
  return e / Math.max(m, 1e-30);
}

const OPTION_GRID: StarLossOptions[] = [];
for (const variant of ['v2', 'v1'] as const) for (const distance of ['smoothl1', 'l1', 'l2'] as const) {
  for (const detach of ['none', 'eigenvalues', 'decomposition'] as const) for (const omega of [0, 1, 100]) {
    OPTION_GRID.push({ variant, distance, detach, omega });
  }
  OPTION_GRID.push({ variant, distance, omega: 0.5, eigenvalueClamp: [0.005, 0.05] });
}

for (const backend of ['cpu', 'wasm'] as const) {
  test(`host kernels equal the tfjs-op kernels on ${backend}: ${OPTION_GRID.length} option sets, loss and both gradients`, async () => {
    await withBackend(backend, () => {
      assert.ok(starHostAvailable(), `host kernels not registered for ${backend}`);
      const h = heatmaps(7);
      const t = targets(8);
      const before = tf.memory().numTensors;
      for (const opts of OPTION_GRID) {
        const host = lossAndGrads(h, t, { ...opts, implementation: 'host' });
        const ops = lossAndGrads(h, t, { ...opts, implementation: 'fused' });
        const what = `${backend} ${JSON.stringify(opts)}`;
        assert.ok(maxRel(host.per, ops.per) <= 2e-5, `${what}: loss rel ${maxRel(host.per, ops.per)}`);
        // Gradients: float64 (host) vs float32 (ops) arithmetic. The one-pixel and tiny-mass channels (2, 3 of item
        // 0) are degenerate: their covariance denominator V1 − V2/V1 is a difference of two numbers ≈ 1 that agree to
        // 1e-5, so float32 keeps only ~2 digits there (gradients ~1e13); they are compared separately, loosely.
        const N = SHAPE[3];
        const HW = SHAPE[1] * SHAPE[2];
        const degenerate = (n: number, b: number) => b === 0 && (n === 2 || n === 3);
        const regularH = (k: number) => !degenerate(k % N, Math.floor(k / (N * HW)));
        const regularT = (k: number) => !degenerate(Math.floor(k / 2) % N, Math.floor(k / (2 * N)));
        assert.ok(maxRel(host.gh, ops.gh, regularH) <= 2e-4, `${what}: heatmap grad rel ${maxRel(host.gh, ops.gh, regularH)}`);
        assert.ok(maxRel(host.gt, ops.gt, regularT) <= 2e-4, `${what}: target grad rel ${maxRel(host.gt, ops.gt, regularT)}`);
        const special = (k: number) => !regularH(k);
        assert.ok(maxRel(host.gh, ops.gh, special) <= 5e-2, `${what}: degenerate-channel heatmap grad rel ${maxRel(host.gh, ops.gh, special)}`);
        // The special channels: empty -> exactly zero loss and gradient, as the op path.
        assert.equal(host.per[1], 0);
      }
      assert.equal(tf.memory().numTensors, before, 'tensor leak');
    });
  });
}

for (const impl of ['JS loops', 'native'] as const) test(`host moments (${impl}) equal the op moments (values and gradient) on wasm; one-pixel channel has zero spread`, async () => {
  requireSetup(impl === 'native' && !nativeKernels().kernels ? `native addon unavailable: ${nativeKernels().reason} (npm run build:native)` : false);
  useNativeStarMoments(impl === 'native' ? nativeKernels().kernels : null);
  await withBackend('wasm', () => {
    const h = tf.tensor4d(heatmaps(11), SHAPE);
    const a = hostMomentsPacked(h).dataSync();
    const b = heatmapMomentsPacked(h).dataSync();
    assert.ok(maxRel(a, b) <= 1e-5, `moments rel ${maxRel(a, b)}`);
    for (const k of [3, 4, 5]) assert.equal(a[2 * 7 + k], 0, `one-pixel scatter ${k}`);
    const dy = tf.tensor3d(Float32Array.from({ length: SHAPE[0] * SHAPE[3] * 7 }, (_, k) => Math.sin(k)), [SHAPE[0], SHAPE[3], 7]);
    const ga = tf.grad((x: tf.Tensor) => tf.sum(tf.mul(hostMomentsPacked(x as tf.Tensor4D), dy)))(h).dataSync();
    const gb = tf.grad((x: tf.Tensor) => tf.sum(tf.mul(heatmapMomentsPacked(x as tf.Tensor4D), dy)))(h).dataSync();
    assert.ok(maxRel(ga, gb) <= 1e-5, `moments grad rel ${maxRel(ga, gb)}`);
    tf.dispose([h, dy]);
  });
  useNativeStarMoments(nativeKernels().kernels);
});

test('implementation selection: auto uses host kernels on cpu/wasm; bad shapes get a clear error', async () => {
  await withBackend('cpu', () => {
    const h = tf.tensor4d(heatmaps(3), SHAPE);
    const t = tf.tensor3d(targets(4), [SHAPE[0], SHAPE[3], 2]);
    const auto = starLossPerLandmark(h, t).dataSync();
    const host = starLossPerLandmark(h, t, { implementation: 'host' }).dataSync();
    assert.deepEqual(Array.from(auto), Array.from(host));
    assert.throws(() => starLossPerLandmark(h, t, { implementation: 'gpu' as never }), /implementation must be one of auto \| host \| fused \| autodiff/);
    const bad = tf.zeros([SHAPE[0], SHAPE[3], 3]) as tf.Tensor3D;
    assert.throws(() => starLossPerLandmark(h, bad, { implementation: 'host' }), /starLoss/);
    tf.dispose([h, t, bad]);
  });
});
