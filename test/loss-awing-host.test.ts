/**
 * The fused Adaptive Wing kernel (src/loss/awing-host.ts) against the tfjs-op version (baselines.ts, implementation
 * 'ops': tf's own autodiff of the same formula), on cpu and wasm: loss value and gradient, non-default parameters,
 * targets with plateaus and peaks at the borders (the 3×3 weight map), p = y exactly (zero gradient), NaN, bad shapes,
 * leaks. The formula itself is checked against a float64 scalar reference in loss-baselines.test.ts.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { nativeKernels, selectBackend } from 'tfjs-wasm-train';
import { useNativeAwing } from '../src/loss/awing-host';
import { adaptiveWing, type AdaptiveWingOptions } from '../src/loss/baselines';
import { relErr, values } from '../packages/tfjs-wasm-train/test/helpers/numeric';
import { assertNoLeaks } from '../packages/tfjs-wasm-train/test/helpers/leaks';

const NATIVE = nativeKernels().kernels;
after(async () => { useNativeAwing(NATIVE); await tf.setBackend('cpu'); });

const SHAPE: [number, number, number, number] = [2, 9, 11, 5];
const size = SHAPE.reduce((a, b) => a * b, 1);

/** Gaussian-like targets: zero background, a peak per (b, n) (some on the border), a plateau, and a value > θ away. */
function targets(): Float32Array {
  const [B, H, W, N] = SHAPE;
  const t = new Float32Array(size);
  for (let b = 0; b < B; b++) for (let n = 0; n < N; n++) {
    const ci = (3 * n + b) % H;
    const cj = n === 0 ? 0 : (5 * n + 2 * b) % W;
    for (let i = 0; i < H; i++) for (let j = 0; j < W; j++) {
      const v = Math.exp(-((i - ci) ** 2 + (j - cj) ** 2) / 3);
      t[((b * H + i) * W + j) * N + n] = v < 0.01 ? 0 : v;
    }
  }
  t[((0 * H + 4) * W + 4) * N + 2] = 0.35; // a lone value between the threshold and the peak
  return t;
}

/** Predictions: the targets plus noise in [-0.8, 0.8) (both branches), with some elements exactly on the target. */
function predictions(t: Float32Array): Float32Array {
  const noise = values(size, 11, 0.8);
  const p = Float32Array.from(t, (v, k) => v + noise[k]);
  for (let k = 0; k < size; k += 7) p[k] = t[k];
  return p;
}

function lossAndGrad(p: Float32Array, t: Float32Array, o: AdaptiveWingOptions): { loss: number; grad: Float32Array } {
  return tf.tidy(() => {
    const y = tf.tensor4d(t, SHAPE);
    const { value, grad } = tf.valueAndGrad((x: tf.Tensor) => adaptiveWing(x as tf.Tensor4D, y, o))(tf.tensor4d(p, SHAPE));
    return { loss: value.dataSync()[0], grad: grad.dataSync() as Float32Array };
  });
}

const OPTIONS: Array<[string, AdaptiveWingOptions]> = [
  ['official parameters', {}],
  ['other parameters', { omega: 10, theta: 0.3, epsilon: 2, alpha: 2.3, weight: 5, weightThreshold: 0.4 }],
];

// The kernel's loop in the native addon (where built: CI builds it) and in JS.
const PATHS = [['native', NATIVE], ['JS', null]] as const;

for (const backend of ['cpu', 'wasm-single'] as const) {
  for (const [label, o] of OPTIONS) for (const [path, nat] of PATHS) {
    test(`fused Adaptive Wing (${path} loop) = tfjs ops on ${backend}, ${label}: loss and gradient`, async () => {
      if (path === 'native') assert.ok(NATIVE, `the native addon is not built here (${nativeKernels().reason}): npm run build:native`);
      useNativeAwing(nat);
      await selectBackend({ backend, quiet: true });
      const t = targets();
      const p = predictions(t);
      const fused = lossAndGrad(p, t, { ...o, implementation: 'host' });
      const ops = lossAndGrad(p, t, { ...o, implementation: 'ops' });
      assert.ok(Math.abs(fused.loss - ops.loss) <= 1e-6 * Math.abs(ops.loss), `loss ${fused.loss} vs ${ops.loss}`);
      const e = relErr(fused.grad, ops.grad);
      assert.ok(e <= 1e-5, `gradient rel err ${e}`);
      // Where the prediction equals the target, both give a zero gradient (tf.abs's gradient at 0).
      for (let k = 0; k < size; k += 7) assert.equal(fused.grad[k], 0, `grad[${k}] at p = y`);
      // 'auto' takes the fused kernel on the CPU backends: the same bits as 'host'.
      assert.equal(lossAndGrad(p, t, o).loss, fused.loss);
    });
  }
}

for (const [path, nat] of PATHS) test(`fused Adaptive Wing (${path} loop): the weight map's threshold compares in float32, as the ops do (0.7 rounds down in float32)`, async () => {
  useNativeAwing(nat);
  await selectBackend({ backend: 'cpu', quiet: true });
  for (const thr of [0.7, 0.2]) {
    const t = new Float32Array(size);
    t[((1 * 9 + 4) * 11 + 6) * 5 + 3] = thr; // exactly the float32 threshold: boosted (>=)
    t[((0 * 9 + 2) * 11 + 2) * 5 + 1] = Math.fround(thr) - 1e-6; // just below: not boosted
    const p = predictions(t);
    const fused = lossAndGrad(p, t, { weightThreshold: thr, implementation: 'host' });
    const ops = lossAndGrad(p, t, { weightThreshold: thr, implementation: 'ops' });
    assert.ok(Math.abs(fused.loss - ops.loss) <= 1e-6 * Math.abs(ops.loss), `threshold ${thr}: loss ${fused.loss} vs ${ops.loss}`);
    assert.ok(relErr(fused.grad, ops.grad) <= 1e-5, `threshold ${thr}: gradient`);
  }
});

test('fused Adaptive Wing: the native loop gives the JS loop\'s numbers, and the same bits at 1 and 2 threads', async () => {
  assert.ok(NATIVE, `the native addon is not built here (${nativeKernels().reason}): npm run build:native`);
  await selectBackend({ backend: 'wasm-single', quiet: true });
  const t = targets();
  const p = predictions(t);
  useNativeAwing(null);
  const js = lossAndGrad(p, t, { implementation: 'host' });
  useNativeAwing(NATIVE);
  NATIVE.setThreads(1);
  const one = lossAndGrad(p, t, { implementation: 'host' });
  NATIVE.setThreads(2, 0); // no minimum work per thread: both samples' parts really split
  const two = lossAndGrad(p, t, { implementation: 'host' });
  NATIVE.setThreads(1);
  assert.ok(Math.abs(one.loss - js.loss) <= 1e-6 * Math.abs(js.loss), `loss ${one.loss} vs JS ${js.loss}`);
  assert.ok(relErr(one.grad, js.grad) <= 1e-6, `gradient vs JS ${relErr(one.grad, js.grad)}`);
  assert.equal(two.loss, one.loss);
  assert.deepEqual(Array.from(two.grad), Array.from(one.grad));
});

for (const [path, nat] of PATHS) test(`fused Adaptive Wing (${path} loop): a NaN target leaves its neighbours' weight map as the ops' (max pooling passes NaN over)`, async () => {
  useNativeAwing(nat);
  await selectBackend({ backend: 'cpu', quiet: true });
  const t = targets();
  const [, H, W, N] = SHAPE;
  const at = (b: number, i: number, j: number, n: number) => ((b * H + i) * W + j) * N + n;
  t[at(1, 4, 5, 3)] = 0.9; // a peak (boosts its 3×3 neighbourhood) ...
  t[at(1, 3, 4, 3)] = NaN; // ... with a NaN target as the first neighbour of the pixels to its lower right
  const p = predictions(t);
  const fused = lossAndGrad(p, t, { implementation: 'host' });
  const ops = lossAndGrad(p, t, { implementation: 'ops' });
  assert.ok(Number.isNaN(fused.loss) && Number.isNaN(ops.loss), 'a NaN target makes the loss NaN');
  const finite = (g: Float32Array) => Array.from(g, (v) => (Number.isFinite(v) ? v : 0));
  assert.ok(relErr(finite(fused.grad), finite(ops.grad)) <= 1e-5, `gradient away from the NaN: rel err ${relErr(finite(fused.grad), finite(ops.grad))}`);
});

for (const [path, nat] of PATHS) test(`fused Adaptive Wing (${path} loop): a NaN prediction gives a NaN loss and a NaN gradient there, not a silent number`, async () => {
  useNativeAwing(nat);
  await selectBackend({ backend: 'cpu', quiet: true });
  const t = targets();
  const p = predictions(t);
  p[13] = NaN;
  const r = lossAndGrad(p, t, { implementation: 'host' });
  assert.ok(Number.isNaN(r.loss));
  assert.ok(Number.isNaN(r.grad[13]));
  assert.ok(Number.isFinite(r.grad[14]));
});

test('fused Adaptive Wing: clear errors for bad shapes and an unknown implementation; no leaks over repeated gradient steps', async () => {
  await selectBackend({ backend: 'wasm-single', quiet: true });
  assert.throws(() => adaptiveWing(tf.zeros(SHAPE) as tf.Tensor4D, tf.zeros([2, 9, 11, 4]) as tf.Tensor4D, { implementation: 'host' }),
    /adaptiveWing: heatmaps \[2,9,11,5\] and target heatmaps \[2,9,11,4\] must both be \[B, H, W, N\] and equal/);
  assert.throws(() => adaptiveWing(tf.zeros(SHAPE) as tf.Tensor4D, tf.zeros(SHAPE) as tf.Tensor4D, { implementation: 'fast' as 'host' }),
    /implementation must be auto, ops or host, got "fast"/);
  const t = tf.tensor4d(targets(), SHAPE);
  const x = tf.variable(tf.tensor4d(predictions(targets()), SHAPE));
  assertNoLeaks(() => {
    const { value, grads } = tf.variableGrads(() => adaptiveWing(x as unknown as tf.Tensor4D, t), [x]);
    tf.dispose([value, ...Object.values(grads)]);
  });
  // Forward only (validation): the gradient the kernel keeps for the backward is freed with the scope.
  assertNoLeaks(() => tf.tidy(() => { adaptiveWing(x as unknown as tf.Tensor4D, t).dataSync(); }));
  tf.dispose([t, x]);
});
