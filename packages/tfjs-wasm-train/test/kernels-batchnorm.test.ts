/**
 * Fused training batch norm (src/ops/batch-norm.ts) on wasm against the tf.moments + tf.batchNorm4d
 * composition on the pure-JS cpu backend: outputs, and gradients w.r.t. x, γ, β — also through the returned
 * statistics (a loss that uses mean and variance exercises the dμ, dσ² terms); flat tensor and buffer counts.
 */
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { selectBackend, withBackend } from '../src/backend';
import { batchNormTrain, useNativeBatchNorm } from '../src/ops/batch-norm';
import { nativeKernels } from '../src/native-addon';
import { relErr, values } from './helpers/numeric';
import { assertNoLeaks } from './helpers/leaks';

before(async () => {
  await selectBackend({ backend: 'wasm-single', quiet: true });
});


const shape: [number, number, number, number] = [3, 5, 4, 6];
const size = 3 * 5 * 4 * 6;

async function run(useStats: boolean, relu = false) {
  // Non-zero channel means (offset 2) make the variance formula's cancellation visible if it were one-pass.
  const x = tf.tensor4d(values(size, 1, 1.5, 2), shape);
  const gamma = tf.tensor1d(values(6, 2, 0.5, 1));
  const beta = tf.tensor1d(values(6, 3));
  const w = tf.tensor4d(values(size, 4), shape);
  const u = tf.tensor1d(values(6, 5));
  const f = (a: tf.Tensor, g: tf.Tensor, bb: tf.Tensor) => {
    const r = batchNormTrain(a as tf.Tensor4D, g as tf.Tensor1D, bb as tf.Tensor1D, 1e-5, { relu });
    let l = tf.sum(tf.mul(r.y, w));
    if (useStats) l = tf.add(l, tf.add(tf.sum(tf.mul(r.mean, u)), tf.sum(tf.mul(r.variance, tf.square(u)))));
    return l as tf.Scalar;
  };
  const fwd = batchNormTrain(x, gamma, beta, 1e-5, { relu });
  const { value, grads } = tf.valueAndGrads(f)([x, gamma, beta]);
  const out = {
    y: await fwd.y.data(), mean: await fwd.mean.data(), variance: await fwd.variance.data(), loss: (await value.data())[0],
    dx: await grads[0].data(), dg: await grads[1].data(), db: await grads[2].data(),
  };
  tf.dispose([x, gamma, beta, w, u, fwd.y, fwd.mean, fwd.variance, value, ...grads]);
  return out;
}

const NATIVE = nativeKernels();
for (const variant of ['JS loops', 'native'] as const) for (const useStats of [false, true]) for (const relu of [false, true]) {
  const skip = variant === 'native' && !NATIVE.kernels ? `native addon unavailable: ${NATIVE.reason}` : false;
  test(`fused batch norm${relu ? ' + ReLU' : ''} on wasm (${variant}) = tf-ops composition on cpu${useStats ? ' (loss also uses mean and variance)' : ''}`, { skip }, async () => {
    useNativeBatchNorm(variant === 'native' ? NATIVE.kernels : null);
    const got = await run(useStats, relu);
    useNativeBatchNorm(NATIVE.kernels);
    const want = await withBackend('cpu', () => run(useStats, relu));
    if (relu) assert.ok(got.y.some((v) => v === 0) && got.y.some((v) => v > 0), 'the ReLU clips some outputs and keeps others');
    for (const k of ['y', 'mean', 'variance', 'dx', 'dg', 'db'] as const) {
      const e = relErr(got[k], want[k]);
      assert.ok(e <= 1e-5, `${k}: rel err ${e}`);
    }
    assert.ok(Math.abs(got.loss - want.loss) <= 1e-5 * Math.max(1, Math.abs(want.loss)));
  });
}

test('fused batch norm: clear shape error; no tensor or buffer leaks over 10 gradient steps', () => {
  assert.throws(() => batchNormTrain(tf.zeros([2, 3, 3, 4]) as tf.Tensor4D, tf.ones([3]), tf.zeros([4])),
    /batchNormTrain: x must be \[B,H,W,C\] with gamma and beta \[C\]; got x \[2,3,3,4\], gamma \[3\], beta \[4\]/);
  const x = tf.tensor4d(values(size, 7), shape);
  const g = tf.variable(tf.ones([6]));
  const b = tf.variable(tf.zeros([6]));
  assertNoLeaks(() => {
    const { value, grads } = tf.variableGrads(() => tf.tidy(() => tf.sum(tf.square(batchNormTrain(x, g as tf.Tensor1D, b as tf.Tensor1D).y)) as tf.Scalar), [g, b]);
    tf.dispose([value, ...Object.values(grads)]);
  });
  tf.dispose([x, g, b]);
});

test('native bnGrad (one call) = bnGradParams + bnGradX bit for bit, with and without the ReLU mask, at 1 and 2 threads', { skip: NATIVE.kernels ? false : `native addon unavailable: ${NATIVE.reason}` }, () => {
  const nat = NATIVE.kernels!;
  const before = nat.getThreads();
  try {
    const n = 8 * 9 * 7, C = 24;
    const x = values(n * C, 31, 1.5, 0.5), dy = values(n * C, 32), y = values(n * C, 33);
    const g = values(C, 34, 0.5, 1), mean = values(C, 35, 0.2), variance = values(C, 36, 0.3, 0.6);
    const dm = values(C, 37, 0.1), dv = values(C, 38, 0.1);
    for (const threads of [1, 2]) for (const mask of [null, y]) {
      nat.setThreads(threads);
      const [dx1, dg1, db1] = [new Float32Array(n * C), new Float32Array(C), new Float32Array(C)];
      nat.bnGradParams(x, mean, variance, dy, dg1, db1, n, C, 1e-5, mask);
      nat.bnGradX(x, g, mean, variance, dy, dm, dv, dx1, n, C, 1e-5, mask);
      const [dx2, dg2, db2] = [new Float32Array(n * C), new Float32Array(C), new Float32Array(C)];
      nat.bnGrad(x, g, mean, variance, dy, dm, dv, dx2, n, C, 1e-5, mask, dg2, db2);
      const bits = (a: Float32Array) => Buffer.from(a.buffer);
      assert.ok(bits(dx1).equals(bits(dx2)), `dx, ${threads} thread(s), mask ${mask !== null}`);
      assert.ok(bits(dg1).equals(bits(dg2)) && bits(db1).equals(bits(db2)), `dγ, dβ, ${threads} thread(s), mask ${mask !== null}`);
    }
    assert.throws(() => nat.bnGrad(x, g, mean, variance, dy, dm, dv, new Float32Array(n * C), n, C, 1e-5, null, new Float32Array(C - 1), new Float32Array(C)),
      /dgamma/);
  } finally {
    nat.setThreads(before);
  }
});
