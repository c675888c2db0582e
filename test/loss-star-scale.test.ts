/**
 * The STAR loss's numerical contract on every implementation (host kernels with native and with JS moments, fused
 * tfjs ops, autodiff reference) and on the cpu and wasm backends (issue 14 item 2):
 * - scale invariance over 1e-30…1e30: the loss of c·h equals the loss of h, the gradient at c·h is the one at h over c
 *   (the statistics are normalised before anything is squared: Σh² of a 1e19 map overflowed float32);
 * - one-row / one-column heatmaps are the same clear error everywhere;
 * - `validate: true` names non-finite targets, weights and heatmaps, and channel masses beyond float32;
 * - the ill-conditioned regime (near-rank-1 covariances, masses below the official 1e-6 clamp) gives the same loss and
 *   gradient on every implementation, to the float32 rounding of λmin relative to ε (star-options.ts EIGEN_KINK).
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend, nativeKernels, withBackend } from 'tfjs-wasm-train';
import { starLoss } from '../src/loss/star';
import type { StarLossOptions } from '../src/loss/star-options';
import { useNativeStarMoments } from '../src/loss/star-host';

before(async () => {
  await initBackend({ backend: 'wasm-single', quiet: true });
});
after(() => useNativeStarMoments(nativeKernels().kernels));

const SHAPE: [number, number, number, number] = [2, 12, 14, 3];
const BACKENDS = ['cpu', 'wasm'] as const;

/** Implementations, with the host kernels once on native and once on JS moment loops. */
interface Impl { name: string; opts: StarLossOptions; native?: boolean }
const IMPLS: Impl[] = ([
  { name: 'host (native moments)', opts: { implementation: 'host' }, native: true },
  { name: 'host (JS moments)', opts: { implementation: 'host' }, native: false },
  { name: 'fused', opts: { implementation: 'fused' } },
  { name: 'autodiff', opts: { implementation: 'autodiff' } },
] as Impl[]).filter((i) => i.native !== true || nativeKernels().kernels);

function withImpl<T>(impl: Impl, f: () => T): T {
  if (impl.native !== undefined) useNativeStarMoments(impl.native ? nativeKernels().kernels : null);
  try {
    return f();
  } finally {
    useNativeStarMoments(nativeKernels().kernels);
  }
}

function rng(seed: number) {
  let s = seed >>> 0;
  return () => { s = (Math.imul(s, 1664525) + 1013904223) >>> 0; return s / 2 ** 32; };
}

/** Anisotropic blobs with peak ~1 (one channel a one-pixel-wide line). */
function blobs(seed: number): Float32Array {
  const [B, H, W, N] = SHAPE;
  const r = rng(seed);
  const h = new Float32Array(B * H * W * N);
  for (let b = 0; b < B; b++) for (let n = 0; n < N; n++) {
    const cx = 3 + r() * (W - 6), cy = 3 + r() * (H - 6), s0 = 0.8 + 2 * r(), s1 = 0.5 + r(), th = Math.PI * r();
    for (let y = 0; y < H; y++) for (let x = 0; x < W; x++) {
      const u = Math.cos(th) * (x - cx) + Math.sin(th) * (y - cy), v = -Math.sin(th) * (x - cx) + Math.cos(th) * (y - cy);
      h[((b * H + y) * W + x) * N + n] = Math.exp(-0.5 * ((u / s0) ** 2 + (v / s1) ** 2)) + 0.01 * r();
    }
  }
  return h;
}

const targets = (seed: number) => { const r = rng(seed); return Float32Array.from({ length: SHAPE[0] * SHAPE[3] * 2 }, () => r() - 0.5); };

function lossAndGrad(h: Float32Array, t: Float32Array, opts: StarLossOptions, shape: number[] = SHAPE) {
  return tf.tidy(() => {
    const x = tf.tensor4d(h, shape as [number, number, number, number]);
    const gt = tf.tensor3d(t, [shape[0], shape[3], 2]);
    const { value, grads } = tf.valueAndGrads((a: tf.Tensor) => starLoss(a as tf.Tensor4D, gt, opts))([x]);
    return { loss: value.dataSync()[0], grad: grads[0].dataSync() as Float32Array };
  });
}

/** Max |a − b| over max |b|. */
function maxRel(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let m = 0, e = 0;
  for (let k = 0; k < b.length; k++) { m = Math.max(m, Math.abs(b[k])); e = Math.max(e, Math.abs(a[k] - b[k])); }
  return e / m;
}

const SCALES = [1e-30, 1e-20, 1e-9, 1e-6, 1e-3, 1e3, 1e12, 1e19, 1e20, 1e30];

for (const backend of BACKENDS) test(`scale invariance 1e-30…1e30 on ${backend}: loss equal, gradient ∝ 1/c, every implementation`, async () => {
  const h = blobs(1);
  const t = targets(2);
  await withBackend(backend, () => {
    for (const impl of IMPLS) withImpl(impl, () => {
      for (const opts of [{}, { distance: 'l2', variant: 'v1' }, { distance: 'l1', omega: 0.3 }] as StarLossOptions[]) {
        const o = { ...impl.opts, ...opts };
        const unit = lossAndGrad(h, t, o);
        for (const c of SCALES) {
          const r = lossAndGrad(h.map((v) => v * c), t, o);
          const what = `${backend} ${impl.name} ${JSON.stringify(opts)} scale ${c}`;
          assert.ok(Math.abs(r.loss - unit.loss) <= 1e-5 * unit.loss, `${what}: loss ${r.loss} vs ${unit.loss}`);
          assert.ok(r.grad.every(Number.isFinite), `${what}: non-finite gradient`);
          assert.ok(maxRel(r.grad.map((g) => g * c), unit.grad) <= 1e-4, `${what}: gradient·c vs unit gradient ${maxRel(r.grad.map((g) => g * c), unit.grad)}`);
        }
      }
    });
  });
});

test('one-row and one-column heatmaps: the same error naming the shape on every implementation and backend', async () => {
  for (const backend of BACKENDS) await withBackend(backend, () => {
    for (const impl of IMPLS) withImpl(impl, () => {
      for (const shape of [[1, 1, 1, 2], [1, 1, 7, 2], [1, 5, 1, 2]]) {
        const h = tf.ones(shape as [number, number, number, number]) as tf.Tensor4D;
        const gt = tf.zeros([1, 2, 2]) as tf.Tensor3D;
        assert.throws(() => starLoss(h, gt, impl.opts), new RegExp(`starLoss: heatmaps need H, W >= 2 .*got \\[${shape.join(',')}\\]`), `${backend} ${impl.name} [${shape}]`);
        tf.dispose([h, gt]);
      }
    });
  });
});

test('validate: true names non-finite targets, weights and heatmaps, and a channel mass beyond float32', async () => {
  await withBackend('cpu', () => {
    for (const impl of IMPLS) {
      const o = { ...impl.opts, validate: true };
      const h = tf.tensor4d(blobs(3), SHAPE);
      const t = targets(4);
      const bad = (k: number, v: number) => { const u = t.slice(); u[k] = v; return tf.tensor3d(u, [SHAPE[0], SHAPE[3], 2]); };
      assert.throws(() => starLoss(h, bad(2 * 3 + 1, NaN), o), /starLoss: targets value NaN at \[b=1, n=0, xy=1\] is not finite/, impl.name);
      assert.throws(() => starLoss(h, bad(2, Infinity), o), /starLoss: targets value Infinity at \[b=0, n=1, xy=0\] is not finite/, impl.name);
      const gt = bad(0, 0);
      const w = tf.tensor2d([1, 1, 1, 1, -Infinity, 1], [2, 3]);
      assert.throws(() => starLoss(h, gt, { ...o, weights: w }), /starLoss: weights value -Infinity at \[b=1, n=1\] is not finite/, impl.name);
      const hv = blobs(3);
      hv[5] = Infinity;
      assert.throws(() => starLoss(tf.tensor4d(hv, SHAPE), gt, o), /heatmap value Infinity at \[b=0, y=0, x=1, n=2\] is infinite/, impl.name);
      const huge = tf.fill(SHAPE, 3e36) as tf.Tensor4D;
      assert.throws(() => starLoss(huge, gt, o), /heatmap channel \[b=0, n=0\] sums to .* beyond float32/, impl.name);
      tf.dispose([h, gt, w, huge]);
    }
  });
});

/** Ill-conditioned maps [1, 16, 16, 4]: exact and near rank-1 diagonal lines, an axis-aligned line, a tiny mass. */
function illConditioned(): Float32Array {
  const [H, W, N] = [16, 16, 4];
  const h = new Float32Array(H * W * N);
  for (let x = 0; x < W; x++) {
    const v = Math.exp(-0.5 * ((x - 7) / 3) ** 2);
    h[(x * W + x) * N + 0] = v; // exact diagonal: λmin = 0 up to rounding
    h[(x * W + x) * N + 1] = v;
    h[(5 * W + x) * N + 2] = v; // one row
    h[((x >> 1) * W + x) * N + 3] = v * 1e-8; // a slanted line of mass ~1e-7, below the official clamp
  }
  h[(3 * W + 9) * N + 1] += 1e-7; // near rank-1: λmin ~ 1e-8, the sign of float32 λmin is rounding noise
  return h;
}

for (const backend of BACKENDS) test(`ill-conditioned regime on ${backend}: near-rank-1 and sub-1e-6-mass maps agree across implementations`, async () => {
  const h = illConditioned();
  const t = Float32Array.from([0.13, -0.21, 0.3, 0.1, -0.4, 0.05, 0.2, 0.2]);
  await withBackend(backend, () => {
    for (const opts of [{}, { distance: 'l2' }, { distance: 'l1' }, { omega: 0 }, { detach: 'eigenvalues' }] as StarLossOptions[]) {
      const ref = withImpl(IMPLS[0], () => lossAndGrad(h, t, { ...IMPLS[0].opts, ...opts }, [1, 16, 16, 4]));
      for (const impl of IMPLS.slice(1)) {
        const r = withImpl(impl, () => lossAndGrad(h, t, { ...impl.opts, ...opts }, [1, 16, 16, 4]));
        const what = `${backend} ${impl.name} vs ${IMPLS[0].name} ${JSON.stringify(opts)}`;
        // float32 rounding of λmin (~1e-8 here) relative to ε = 1e-5 bounds the agreement of the float32 paths.
        assert.ok(Math.abs(r.loss - ref.loss) <= 1e-3 * ref.loss, `${what}: loss ${r.loss} vs ${ref.loss}`);
        for (let n = 0; n < 4; n++) {
          const channel = (g: Float32Array) => g.filter((_, k) => k % 4 === n);
          const e = maxRel(channel(r.grad), channel(ref.grad));
          assert.ok(e <= 5e-3, `${what}: gradient of channel ${n} ${e}`);
        }
      }
    }
  });
});
