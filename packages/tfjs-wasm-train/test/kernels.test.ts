/**
 * Our wasm training kernels (src/kernels) against the pure-JS cpu backend as the independent reference, for
 * both kernel variants: pure wasm, and native (OpenBLAS conv + batch norm, native/; skipped with a message
 * when the addon is not built). Norms are computed in JS float64 (wasm reductions accumulate in float32).
 */
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { selectBackend, withBackend } from '../src/backend';
import { registerWasmTrainingKernels } from '../src/kernels/register';
import { nativeKernels } from '../src/native-addon';

const NATIVE = nativeKernels();
const VARIANTS = [['wasm', null], ['native', NATIVE.kernels]] as const;
const skipNative = (v: string) => (v === 'native' && !NATIVE.kernels ? `native addon unavailable: ${NATIVE.reason}` : false);
const useVariant = (v: string) => registerWasmTrainingKernels('all', v === 'native' ? NATIVE.kernels : null);
import { relErr, values } from './helpers/numeric';

before(async () => {
  await selectBackend({ backend: 'wasm-single', quiet: true });
});

type Arr = ArrayLike<number>;


function sizeOf(shape: number[]): number { return shape.reduce((a, b) => a * b, 1); }

/** Gradients of sum(conv(x, f) * w) w.r.t. x and f on the current backend (w fixes a non-trivial dy). */
async function convGrads(
  xShape: number[], fShape: number[], stride: number, pad: 'same' | 'valid' | number[][],
): Promise<{ y: Float32Array; dx: Float32Array; df: Float32Array }> {
  const x = tf.tensor4d(values(sizeOf(xShape), 1), xShape as [number, number, number, number]);
  const f = tf.tensor4d(values(sizeOf(fShape), 2), fShape as [number, number, number, number]);
  const yShape = tf.tidy(() => tf.conv2d(x, f, stride, pad as 'same').shape);
  const w = tf.tensor(values(sizeOf(yShape), 3), yShape);
  const g = tf.grads((a: tf.Tensor, b: tf.Tensor) =>
    tf.sum(tf.mul(tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, stride, pad as 'same'), w)));
  const [gx, gf] = g([x, f]);
  const y = tf.conv2d(x, f, stride, pad as 'same');
  const out = { y: (await y.data()) as Float32Array, dx: (await gx.data()) as Float32Array, df: (await gf.data()) as Float32Array };
  y.dispose();
  tf.dispose([x, f, w, gx, gf]);
  return out;
}

const cases: Array<[string, number[], number[], number, 'same' | 'valid' | number[][]]> = [
  ['k3 s1 same', [1, 9, 11, 4], [3, 3, 4, 5], 1, 'same'],
  ['k3 s2 same odd', [3, 9, 11, 4], [3, 3, 4, 5], 2, 'same'],
  ['k3 s2 valid (unused rows)', [3, 10, 12, 3], [3, 3, 3, 6], 2, 'valid'],
  ['k1 s1 valid', [3, 7, 5, 6], [1, 1, 6, 4], 1, 'valid'],
  ['k1 s2 same', [1, 7, 9, 3], [1, 1, 3, 5], 2, 'same'],
  ['k7 s2 same', [1, 15, 13, 3], [7, 7, 3, 4], 2, 'same'],
  ['k7 s1 valid', [3, 11, 9, 2], [7, 7, 2, 3], 1, 'valid'],
  ['k3 s2 explicit', [3, 9, 8, 3], [3, 3, 3, 4], 2, [[0, 0], [1, 2], [2, 0], [0, 0]]],
  ['k1 s2 explicit pad > kernel', [1, 8, 7, 2], [1, 1, 2, 3], 2, [[0, 0], [2, 3], [0, 4], [0, 0]]],
  ['k1 s1 same (matmul route)', [4, 6, 5, 7], [1, 1, 7, 9], 1, 'same'],
  ['k1 s1 explicit pad (conv route)', [2, 5, 4, 3], [1, 1, 3, 2], 1, [[0, 0], [1, 0], [0, 2], [0, 0]]],
];

for (const [variant] of VARIANTS) for (const [name, xs, fs, s, pad] of cases) {
  test(`conv2d and its gradients (${variant}) match cpu: ${name}`, { skip: skipNative(variant) }, async () => {
    useVariant(variant);
    const wasm = await convGrads(xs, fs, s, pad);
    const cpu = await withBackend('cpu', () => convGrads(xs, fs, s, pad));
    const ey = relErr(wasm.y, cpu.y);
    const ex = relErr(wasm.dx, cpu.dx);
    const ef = relErr(wasm.df, cpu.df);
    assert.ok(ey <= 1e-5, `y rel err ${ey}`);
    assert.ok(ex <= 1e-5, `dx rel err ${ex}`);
    assert.ok(ef <= 1e-5, `dfilter rel err ${ef}`);
    useVariant('native');
  });
}

test('conv2dTranspose (Conv2DBackpropInput) matches cpu, stride 2', async () => {
  const run = async () => {
    const dy = tf.tensor4d(values(2 * 5 * 6 * 4, 7), [2, 5, 6, 4]);
    const f = tf.tensor4d(values(3 * 3 * 3 * 4, 8), [3, 3, 3, 4]);
    const y = tf.conv2dTranspose(dy, f, [2, 9, 11, 3], 2, 'same');
    const v = await y.data();
    tf.dispose([dy, f, y]);
    return v;
  };
  const got = await run();
  const want = await withBackend('cpu', run);
  assert.ok(relErr(got, want) <= 1e-5);
});

test('MaxPoolGrad on wasm routes the gradient like cpu, also for all-negative windows', async () => {
  // Closed form first: 1x4x4x1, 2x2 pool stride 2, every window negative with a unique max.
  const xv = [-5, -1, -9, -7,
    -3, -4, -2, -8,
    -6, -6, -1.5, -3,
    -2.5, -7, -4, -0.5];
  const grad = async () => {
    const x = tf.tensor4d(xv, [1, 4, 4, 1]);
    const g = tf.grad((a: tf.Tensor) => tf.sum(tf.mul(tf.maxPool(a as tf.Tensor4D, 2, 2, 'valid'), tf.tensor4d([1, 2, 3, 4], [1, 2, 2, 1]))));
    const d = g(x);
    const v = Array.from(await d.data());
    tf.dispose([x, d]);
    return v;
  };
  const want = [0, 1, 0, 0,
    0, 0, 2, 0,
    0, 0, 0, 0,
    3, 0, 0, 4];
  assert.deepEqual(await grad(), want);
  assert.deepEqual(await withBackend('cpu', grad), want);

  // Overlapping 3x3 stride-2 'same' windows, mixed signs, odd sizes, batch 3, several channels.
  const big = async () => {
    const x = tf.tensor4d(values(3 * 9 * 7 * 5, 11), [3, 9, 7, 5]);
    const shifted = tf.sub(x, 0.7) as tf.Tensor4D; // many all-negative windows
    const pooled = tf.maxPool(shifted, 3, 2, 'same');
    const w = tf.tensor(values(sizeOf(pooled.shape), 12), pooled.shape);
    const g = tf.grad((a: tf.Tensor) => tf.sum(tf.mul(tf.maxPool(a as tf.Tensor4D, 3, 2, 'same'), w)));
    const d = g(shifted);
    const v = await d.data();
    tf.dispose([x, shifted, pooled, w, d]);
    return v;
  };
  assert.ok(relErr(await big(), await withBackend('cpu', big)) <= 1e-6);
});

/** A tiny conv net: conv s2 → relu → maxpool → conv → relu → conv 1x1; MSE to a fixed target. */
function tinyNet(seed: number) {
  const mk = (shape: number[], k: number) => tf.variable(tf.mul(tf.tensor(values(sizeOf(shape), seed + k), shape), 0.3));
  const params = {
    w1: mk([3, 3, 3, 8], 1), b1: mk([8], 2),
    w2: mk([3, 3, 8, 8], 3), b2: mk([8], 4),
    w3: mk([1, 1, 8, 4], 5),
  };
  const forward = (x: tf.Tensor4D) => {
    let h = tf.relu(tf.add(tf.conv2d(x, params.w1 as tf.Variable<tf.Rank.R4>, 2, 'same'), params.b1));
    h = tf.maxPool(h as tf.Tensor4D, 2, 2, 'same');
    h = tf.relu(tf.add(tf.conv2d(h as tf.Tensor4D, params.w2 as tf.Variable<tf.Rank.R4>, 1, 'same'), params.b2));
    return tf.conv2d(h as tf.Tensor4D, params.w3 as tf.Variable<tf.Rank.R4>, 1, 'valid');
  };
  return { params, forward };
}

test('gradients of a small conv net (tf.grads) on wasm match cpu', async () => {
  const run = async () => {
    const { params, forward } = tinyNet(20);
    const x = tf.tensor4d(values(3 * 17 * 15 * 3, 30), [3, 17, 15, 3]);
    const target = tf.tidy(() => tf.add(tf.zerosLike(forward(x)), 0.1));
    const { grads } = tf.variableGrads(() => tf.mean(tf.squaredDifference(forward(x), target)) as tf.Scalar);
    const out: Record<string, Float32Array> = {};
    for (const [k, g] of Object.entries(grads)) out[k] = (await g.data()) as Float32Array;
    const names = Object.fromEntries(Object.entries(params).map(([k, v]) => [v.name, k]));
    tf.dispose([x, target, ...Object.values(grads), ...Object.values(params)]);
    return Object.fromEntries(Object.entries(out).map(([k, v]) => [names[k], v]));
  };
  const got = await run();
  const want = await withBackend('cpu', run);
  assert.deepEqual(Object.keys(got).sort(), ['b1', 'b2', 'w1', 'w2', 'w3']);
  for (const k of Object.keys(want)) {
    const e = relErr(got[k], want[k]);
    assert.ok(e <= 1e-5, `${k}: rel err ${e}`);
  }
});

test('tensor count stays flat over 100 Adam training steps on wasm', () => {
  const { params, forward } = tinyNet(40);
  const x = tf.tensor4d(values(2 * 16 * 16 * 3, 50), [2, 16, 16, 3]);
  const target = tf.tidy(() => tf.add(tf.zerosLike(forward(x)), 0.2));
  const opt = tf.train.adam(1e-3);
  const step = () => opt.minimize(() => tf.mean(tf.squaredDifference(forward(x), target)) as tf.Scalar, true)?.dispose();
  let first = 0;
  let firstLoss = 0;
  for (let i = 0; i < 100; i++) {
    step();
    if (i === 4) first = tf.memory().numTensors;
  }
  assert.equal(tf.memory().numTensors, first, 'tensors leaked between step 5 and step 100');
  firstLoss = tf.tidy(() => tf.mean(tf.squaredDifference(forward(x), target)).dataSync()[0]);
  assert.ok(Number.isFinite(firstLoss), 'loss is not finite after training');
  opt.dispose();
  tf.dispose([x, target, ...Object.values(params)]);
});

for (const [variant] of VARIANTS) test(`bad input (${variant}): a dy that does not match the forward shape gets a clear error`, { skip: skipNative(variant) }, () => {
  useVariant(variant);
  const x = tf.zeros([1, 5, 5, 2]);
  const dy = tf.zeros([1, 4, 4, 3]);
  assert.throws(() => tf.engine().runKernel('Conv2DBackpropFilter', { x, dy },
    { strides: 1, pad: 'same', dataFormat: 'NHWC', filterShape: [3, 3, 2, 3] } as unknown as tf.NamedAttrMap),
  new RegExp(`Conv2DBackpropFilter \\(${variant}\\): dy shape \\[1,4,4,3\\] does not match the forward output \\[1,5,5,3\\]`));
  assert.throws(() => tf.engine().runKernel('Conv2DBackpropInput', { dy, filter: tf.zeros([3, 3, 2, 3]) },
    { strides: 1, pad: 'same', dataFormat: 'NHWC', inputShape: [1, 5, 5, 2] } as unknown as tf.NamedAttrMap),
  /Conv2DBackpropInput \((wasm|native)\): dy shape \[1,4,4,3\] does not match/);
  tf.dispose([x, dy]);
  useVariant('native');
});

test("'missing-only' restores the stock input gradient and MaxPoolGrad; 'all' replaces them again", () => {
  const stockInput = tf.getKernel('Conv2DBackpropInput', 'wasm');
  assert.deepEqual(registerWasmTrainingKernels('missing-only'), ['Conv2DBackpropFilter']);
  const restored = tf.getKernel('Conv2DBackpropInput', 'wasm');
  assert.notEqual(restored?.kernelFunc, stockInput?.kernelFunc, 'ours was active before');
  assert.deepEqual(registerWasmTrainingKernels('conv'), ['Conv2DBackpropFilter', 'Conv2DBackpropInput', 'MaxPoolGrad']);
  assert.notEqual(tf.getKernel('Conv2DBackpropInput', 'wasm')?.kernelFunc, restored?.kernelFunc);
  assert.deepEqual(registerWasmTrainingKernels('all', null),
    ['Conv2DBackpropFilter', 'Conv2DBackpropInput', 'MaxPoolGrad', 'Identity', 'Tile', 'Sum', 'Mean', 'FusedBatchNorm(grad)', 'Mean(grad)', 'Sum(grad)', 'Relu(grad)']);
  if (NATIVE.kernels) {
    assert.deepEqual(registerWasmTrainingKernels('all', NATIVE.kernels),
      ['Conv2DBackpropFilter(native)', 'Conv2DBackpropInput(native)', 'MaxPoolGrad(native)', 'Identity', 'Tile', 'Sum', 'Mean', 'Conv2D(native)',
        'ResizeNearestNeighborGrad(native)', 'Add(native)', 'BatchNormTrain(native)', 'Conv2DBias(native)', 'FusedBatchNorm(grad)', 'Mean(grad)', 'Sum(grad)', 'Relu(grad)']);
  }
  assert.throws(() => registerWasmTrainingKernels('some' as never), /kernel set "some" is not one of all, conv/);
});

test('our kernels free every intermediate: wasm data ids flat over repeated gradient calls', async () => {
  const ids = () => (tf.backend() as unknown as { numDataIds(): number }).numDataIds();
  const once = () => tf.tidy(() => {
    const x = tf.tensor4d(values(2 * 9 * 8 * 3, 60), [2, 9, 8, 3]);
    const f = tf.tensor4d(values(3 * 3 * 3 * 4, 61), [3, 3, 3, 4]);
    const g = tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.square(tf.maxPool(
      tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, 2, 'same'), 2, 2, 'valid'))));
    return g([x, f]).map((t) => t.dataSync()[0]);
  });
  once();
  const before = ids();
  for (let i = 0; i < 5; i++) once();
  assert.equal(ids(), before, 'backend buffers leaked');
});
