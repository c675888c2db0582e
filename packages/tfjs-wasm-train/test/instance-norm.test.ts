/**
 * Fused instance norm (+ ReLU) (src/ops/instance-norm.ts) on wasm and host, with the addon (1 and 2 pool threads)
 * and with the JS loops, against the tf.moments composition on the pure-JS cpu backend: output and input gradient
 * under a random upstream gradient; a clear error for a bad shape; flat tensor and buffer counts.
 */
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { selectBackend, withBackend } from '../src/backend';
import { useNativeBatchNorm } from '../src/ops/batch-norm';
import { instanceNormOps, instanceNormTrain } from '../src/ops/instance-norm';
import { nativeKernels } from '../src/native-addon';
import { relErr, values } from './helpers/numeric';
import { assertNoLeaks } from './helpers/leaks';

before(async () => {
  // Both backends with their training kernels registered (host first: the test then runs on wasm by default).
  await selectBackend({ backend: 'host', quiet: true });
  await selectBackend({ backend: 'wasm-single', quiet: true });
});

// Odd sizes; per-(sample, channel) offsets so that every instance has its own mean; one constant instance (variance 0).
const shape: [number, number, number, number] = [3, 5, 7, 6];
const size = 3 * 5 * 7 * 6;

async function run(fused: boolean, relu: boolean) {
  const raw = values(size, 11, 1.5, 0);
  for (let p = 0; p < size; p++) {
    const c = p % 6;
    const s = Math.floor(p / (5 * 7 * 6));
    raw[p] += s - c * 0.7;
    if (s === 1 && c === 2) raw[p] = 3.25;
  }
  const x = tf.tensor4d(raw, shape);
  // The constant instance gets no weight: its outputs are 0 only up to the native loops' rounding (checked apart).
  const wv = values(size, 12);
  for (let p = 0; p < size; p++) if (Math.floor(p / (5 * 7 * 6)) === 1 && p % 6 === 2) wv[p] = 0;
  const w = tf.tensor4d(wv, shape);
  const norm = (a: tf.Tensor) => (fused ? instanceNormTrain(a as tf.Tensor4D, 1e-5, { relu }) : instanceNormOps(a as tf.Tensor4D, 1e-5, { relu }));
  const y = norm(x);
  const { value, grads } = tf.valueAndGrads((a: tf.Tensor) => tf.sum(tf.mul(norm(a), w)) as tf.Scalar)([x]);
  const out = { y: await y.data(), dx: await grads[0].data(), loss: (await value.data())[0] };
  tf.dispose([x, w, y, value, ...grads]);
  return out;
}

const NATIVE = nativeKernels();
for (const backend of ['wasm', 'host'] as const) {
  for (const variant of ['JS loops', 'native 1 thread', 'native 2 threads'] as const) {
    for (const relu of [false, true]) {
      const skip = variant !== 'JS loops' && !NATIVE.kernels ? `native addon unavailable: ${NATIVE.reason}` : false;
      test(`instance norm${relu ? ' + ReLU' : ''} on ${backend} (${variant}) = tf.moments composition on cpu (output and input gradient)`, { skip }, async () => {
        const nat = variant === 'JS loops' ? null : NATIVE.kernels;
        const threadsBefore = NATIVE.kernels?.getThreads();
        if (nat) nat.setThreads(variant === 'native 2 threads' ? 2 : 1);
        try {
          const got = await withBackend(backend, async () => {
            useNativeBatchNorm(nat, backend);
            try {
              return await run(true, relu);
            } finally {
              useNativeBatchNorm(NATIVE.kernels, backend);
            }
          });
          const want = await withBackend('cpu', () => run(false, relu));
          if (relu) assert.ok(got.y.some((v) => v === 0) && got.y.some((v) => v > 0), 'the ReLU clips some outputs and keeps others');
          // The constant instance (3.25, σ² = 0) normalises to 0 up to rounding: the native loops compute x·r − μ·r
          // (r = 1/√ε ≈ 316), so a float32 rounding of x·r ≈ 1028 (≤ 6e-5) is left; the composition's (x − μ)·r is exact.
          for (let h = 0; h < 5 * 7; h++) assert.ok(Math.abs(got.y[(5 * 7) * 6 + h * 6 + 2]) <= 1e-4);
          for (const k of ['y', 'dx'] as const) {
            const e = relErr(got[k], want[k]);
            assert.ok(e <= 1e-5, `${k}: rel err ${e}`);
          }
          assert.ok(Math.abs(got.loss - want.loss) <= 1e-5 * Math.max(1, Math.abs(want.loss)), `loss ${got.loss} vs ${want.loss}`);
        } finally {
          if (NATIVE.kernels && threadsBefore !== undefined) NATIVE.kernels.setThreads(threadsBefore);
        }
      });
    }
  }
}

test('instance norm: the gradient matches central finite differences in float64 terms (cpu composition as the oracle is itself checked)', async () => {
  // A tiny case where a float32 central difference is informative: [1,3,2,2], loss Σ w·IN(x).
  const x0 = [0.3, -1.2, 0.8, 2.0, -0.5, 0.1, 1.7, -0.9, 0.25, 0.6, -1.4, 1.1];
  const w = [0.5, -1, 2, 0.25, 1.5, -0.75, 1, 0.3, -2, 0.8, 0.1, -0.6];
  const loss = (xs: number[]) => {
    // float64 reference of Σ w·(x − μ)/√(σ² + ε) per channel over the 6 positions.
    let l = 0;
    for (let c = 0; c < 2; c++) {
      const v = [0, 1, 2, 3, 4, 5].map((p) => xs[p * 2 + c]);
      const mu = v.reduce((a, b) => a + b, 0) / 6;
      const s2 = v.reduce((a, b) => a + (b - mu) ** 2, 0) / 6;
      v.forEach((xv, p) => { l += w[p * 2 + c] * (xv - mu) / Math.sqrt(s2 + 1e-5); });
    }
    return l;
  };
  const x = tf.tensor4d(x0, [1, 3, 2, 2]);
  const wt = tf.tensor4d(w, [1, 3, 2, 2]);
  const g = tf.grad((a: tf.Tensor) => tf.sum(tf.mul(instanceNormTrain(a as tf.Tensor4D), wt)) as tf.Scalar)(x);
  const got = await g.data();
  tf.dispose([x, wt, g]);
  const h = 1e-6;
  for (let i = 0; i < x0.length; i++) {
    const up = [...x0]; up[i] += h;
    const dn = [...x0]; dn[i] -= h;
    const fd = (loss(up) - loss(dn)) / (2 * h);
    assert.ok(Math.abs(got[i] - fd) <= 1e-4 * Math.max(1, Math.abs(fd)), `dx[${i}]: ${got[i]} vs finite difference ${fd}`);
  }
});

test('instance norm: clear errors for a bad input; no tensor or buffer leaks over 10 gradient steps', () => {
  assert.throws(() => instanceNormTrain(tf.zeros([2, 3, 4]) as unknown as tf.Tensor4D), /instanceNormTrain: x must be \[B,H,W,C\], got \[2,3,4\]/);
  assert.throws(() => instanceNormTrain(tf.zeros([1, 2, 2, 1], 'int32') as tf.Tensor4D), /instanceNormTrain: x must be float32, got int32/);
  const x = tf.variable(tf.tensor4d(values(size, 7), shape));
  assertNoLeaks(() => {
    const { value, grads } = tf.variableGrads(() => tf.tidy(() => tf.sum(tf.square(instanceNormTrain(x as unknown as tf.Tensor4D, 1e-5, { relu: true }))) as tf.Scalar), [x]);
    tf.dispose([value, ...Object.values(grads)]);
  });
  x.dispose();
});

test('instance norm + ReLU: an instance with NaN or Inf comes out NaN (not zeros), as with the composition; the others stay finite', async () => {
  for (const bad of [NaN, Infinity, -Infinity]) {
    const x = tf.tensor4d(values(2 * 3 * 3 * 2, 21).map((v, p) => (p === 2 * 3 * 3 + 4 * 2 + 1 ? bad : v)), [2, 3, 3, 2]);
    const y = await instanceNormTrain(x, 1e-5, { relu: true }).data();
    const want = await withBackend('cpu', async () => {
      const xc = tf.tensor4d(await x.data(), [2, 3, 3, 2]);
      const r = await instanceNormOps(xc, 1e-5, { relu: true }).data();
      xc.dispose();
      return r;
    });
    for (let p = 0; p < y.length; p++) {
      const inBad = p >= 18 && p % 2 === 1;
      assert.equal(Number.isNaN(y[p]), inBad, `x has ${bad}: y[${p}] = ${y[p]}`);
      assert.equal(Number.isNaN(want[p]), inBad, `composition, x has ${bad}: y[${p}] = ${want[p]}`);
    }
    x.dispose();
  }
});
