/**
 * The native kernels split over several threads (native/tfjs_wasm_train.cc, Pool) and the fused
 * convolution + bias op (src/ops/conv-bias.ts), against the pure-JS cpu backend: forward values and the
 * gradients w.r.t. every input, for 1, 2 and 3 threads with every job split (minWork 0: uneven parts, parts with a
 * single row or sample), and the same numbers on a repeat (the partial sums are added in a fixed order).
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { selectBackend, withBackend } from '../src/backend';
import { nativeKernels } from '../src/native-addon';
import { registerWasmTrainingKernels } from '../src/kernels/register';
import { RELU_GRAD } from '../src/kernels/relu-grad';
import { convBias, type ConvPad } from '../src/ops/conv-bias';
import { batchNormTrain } from '../src/ops/batch-norm';
import { relErr, values } from './helpers/numeric';

const NATIVE = nativeKernels();
const skip = NATIVE.kernels ? false : `native addon unavailable: ${NATIVE.reason}`;

before(async () => {
  await selectBackend({ backend: 'wasm-single', quiet: true });
  if (NATIVE.kernels) registerWasmTrainingKernels('all', NATIVE.kernels);
});
after(() => NATIVE.kernels?.setThreads(1));

const size = (s: number[]) => s.reduce((a, b) => a * b, 1);

/** y = convBias(x, w, b) and the gradients of sum(y * u) w.r.t. x, w, b. `fused: false`: conv2d + add. */
async function convBiasRun(xs: number[], ws: number[], stride: number, pad: ConvPad, fused = true) {
  return tf.tidy(() => {
    const x = tf.tensor4d(values(size(xs), 1), xs as [number, number, number, number]);
    const w = tf.tensor4d(values(size(ws), 2), ws as [number, number, number, number]);
    const b = tf.tensor1d(values(ws[3], 3));
    const f = (a: tf.Tensor, ww: tf.Tensor, bb: tf.Tensor) =>
      fused ? convBias(a as tf.Tensor4D, ww as tf.Tensor4D, bb as tf.Tensor1D, stride, pad) : tf.add(tf.conv2d(a as tf.Tensor4D, ww as tf.Tensor4D, stride, pad), bb);
    const y = f(x, w, b);
    const u = tf.tensor(values(y.size, 4), y.shape);
    const [dx, dw, db] = tf.grads((a: tf.Tensor, ww: tf.Tensor, bb: tf.Tensor) => tf.sum(tf.mul(f(a, ww, bb), u)))([x, w, b]);
    return { y: y.dataSync(), dx: dx.dataSync(), dw: dw.dataSync(), db: db.dataSync() };
  });
}

const CASES: Array<[string, number[], number[], number, ConvPad]> = [
  ['k3 s1 same', [3, 9, 7, 4], [3, 3, 4, 5], 1, 'same'],
  ['k7 s2 explicit (stem)', [3, 13, 11, 3], [7, 7, 3, 4], 2, [[0, 0], [3, 3], [3, 3], [0, 0]]],
  ['k1 s1 (pointwise GEMM)', [5, 4, 3, 6], [1, 1, 6, 7], 1, 'valid'],
  ['k3 s2 valid, batch 1 (fewer samples than threads)', [1, 10, 9, 3], [3, 3, 3, 2], 2, 'valid'],
];

for (const threads of [1, 2, 3]) for (const [name, xs, ws, stride, pad] of CASES) {
  test(`convBias (native, ${threads} thread${threads > 1 ? 's' : ''}, every job split): ${name} = conv2d + add on cpu`, { skip }, async () => {
    NATIVE.kernels!.setThreads(threads, 0);
    const got = await convBiasRun(xs, ws, stride, pad);
    const again = await convBiasRun(xs, ws, stride, pad);
    const want = await withBackend('cpu', () => convBiasRun(xs, ws, stride, pad, false));
    NATIVE.kernels!.setThreads(1);
    for (const k of ['y', 'dx', 'dw', 'db'] as const) {
      const e = relErr(got[k], want[k]);
      assert.ok(e <= 1e-5, `${k}: rel err ${e}`);
      assert.deepEqual(again[k], got[k], `${k}: a repeat gives the same bits`);
    }
  });
}

test('convBias without the native addon is exactly conv2d + add', async () => {
  const plain = await withBackend('cpu', () => convBiasRun([2, 5, 5, 3], [3, 3, 3, 4], 1, 'same', false));
  const viaOp = await withBackend('cpu', () => convBiasRun([2, 5, 5, 3], [3, 3, 3, 4], 1, 'same', true));
  for (const k of ['y', 'dx', 'dw', 'db'] as const) assert.deepEqual(viaOp[k], plain[k], k);
});

test('convBias names the mismatched shapes', { skip }, () => {
  assert.throws(() => convBias(tf.zeros([1, 4, 4, 3]) as tf.Tensor4D, tf.zeros([3, 3, 2, 5]) as tf.Tensor4D, tf.zeros([5]) as tf.Tensor1D, 1, 'same'),
    /convBias: x \[B,H,W,Cin\], w \[kh,kw,Cin,Cout\], b \[Cout\] expected; got x \[1,4,4,3\], w \[3,3,2,5\], b \[5\]/);
});

async function bnRun(relu: boolean) {
  const shape: [number, number, number, number] = [3, 5, 7, 6];
  return tf.tidy(() => {
    const x = tf.tensor4d(values(size(shape), 5, 1.5, 2), shape);
    const g = tf.tensor1d(values(6, 6, 0.5, 1));
    const b = tf.tensor1d(values(6, 7));
    const u = tf.tensor4d(values(size(shape), 8), shape);
    const r = batchNormTrain(x, g, b, 1e-5, { relu });
    const [dx, dg, db] = tf.grads((a: tf.Tensor, gg: tf.Tensor, bb: tf.Tensor) =>
      tf.sum(tf.mul(batchNormTrain(a as tf.Tensor4D, gg as tf.Tensor1D, bb as tf.Tensor1D, 1e-5, { relu }).y, u)))([x, g, b]);
    return { y: r.y.dataSync(), mean: r.mean.dataSync(), variance: r.variance.dataSync(), dx: dx.dataSync(), dg: dg.dataSync(), db: db.dataSync() };
  });
}

for (const threads of [2, 3]) for (const relu of [false, true]) {
  test(`batch norm${relu ? ' + ReLU' : ''} (native, ${threads} threads, every pass split) = tf-ops composition on cpu`, { skip }, async () => {
    NATIVE.kernels!.setThreads(threads, 0);
    const got = await bnRun(relu);
    NATIVE.kernels!.setThreads(1);
    const want = await withBackend('cpu', () => bnRun(relu));
    for (const k of ['y', 'mean', 'variance', 'dx', 'dg', 'db'] as const) {
      const e = relErr(got[k], want[k]);
      assert.ok(e <= 1e-5, `${k}: rel err ${e}`);
    }
  });
}

test('setThreads rejects a bad count and reports the pool size', { skip }, () => {
  assert.throws(() => NATIVE.kernels!.setThreads(0), /setThreads\(n\[, minWork\]\) needs n >= 1/);
  NATIVE.kernels!.setThreads(2);
  assert.equal(NATIVE.kernels!.getThreads(), 2);
  NATIVE.kernels!.setThreads(1);
  assert.equal(NATIVE.kernels!.getThreads(), 1);
});

async function reluRun() {
  return tf.tidy(() => {
    const x = tf.tensor4d(values(4 * 9 * 7 * 5, 9), [4, 9, 7, 5]);
    const u = tf.tensor4d(values(4 * 9 * 7 * 5, 10), [4, 9, 7, 5]);
    const [dx] = tf.grads((a: tf.Tensor) => tf.sum(tf.mul(tf.relu(a), u)))([x]);
    return dx.dataSync();
  });
}

for (const threads of [1, 2]) test(`ReLU gradient (native, ${threads} thread${threads > 1 ? 's' : ''}) = dy · step(x) on cpu, bit for bit`, { skip }, async () => {
  NATIVE.kernels!.setThreads(threads, 0);
  const prof = await tf.profile(() => reluRun());
  const got = await reluRun();
  NATIVE.kernels!.setThreads(1);
  assert.ok(prof.kernels.some((k) => k.name === RELU_GRAD), 'the one-pass kernel ran');
  const want = await withBackend('cpu', () => reluRun());
  assert.ok(want.some((v) => v === 0) && want.some((v) => v !== 0));
  assert.deepEqual(got, want);
});

test('heatmap moments split by sample (native, 3 threads) = 1 thread, bit for bit', { skip }, () => {
  const nk = NATIVE.kernels!;
  const [B, H, W, N] = [5, 6, 7, 4];
  const h = Float32Array.from(values(B * H * W * N, 11), (v) => Math.abs(v));
  const xs = Float32Array.from({ length: W }, (_, i) => i + 0.5);
  const ys = Float32Array.from({ length: H }, (_, i) => i + 0.5);
  const shape = Int32Array.from([B, H, W, N]);
  const dP = values(B * N * 7, 12);
  const run = (threads: number) => {
    nk.setThreads(threads, 0);
    const P = new Float32Array(B * N * 7);
    const dh = new Float32Array(B * H * W * N);
    nk.heatmapMoments(h, P, shape, xs, ys);
    nk.heatmapMomentsGrad(dP, h, P, dh, shape, xs, ys);
    nk.setThreads(1);
    return { P, dh };
  };
  const one = run(1);
  const three = run(3);
  assert.ok(one.P.some((v) => v !== 0) && one.dh.some((v) => v !== 0));
  assert.deepEqual(three.P, one.P);
  assert.deepEqual(three.dh, one.dh);
});

/**
 * Gradient of sum(pool(x) · u) for overlapping 3x3 stride-2 'same' windows: mixed signs with many all-negative
 * windows, or (`ties`) ReLU outputs, whose all-zero windows must send the gradient to their first zero.
 */
async function maxPoolGradRun(ties = false) {
  return tf.tidy(() => {
    const shifted = tf.sub(tf.tensor4d(values(3 * 9 * 7 * 5, 11), [3, 9, 7, 5]), 0.7) as tf.Tensor4D;
    const x = ties ? tf.relu(shifted) : shifted;
    const u = tf.tensor4d(values(3 * 5 * 4 * 5, 12), [3, 5, 4, 5]);
    const [dx] = tf.grads((a: tf.Tensor) => tf.sum(tf.mul(tf.maxPool(a as tf.Tensor4D, 3, 2, 'same'), u)))([x]);
    return dx.dataSync() as Float32Array;
  });
}

/** Gradient of sum(resizeNearestNeighbor(x, k·size) · u), the hourglass's up-sampling for k = 2. */
async function upsampleGradRun(k: number, halfPixelCenters = false) {
  return tf.tidy(() => {
    const x = tf.tensor4d(values(3 * 5 * 4 * 6, 13), [3, 5, 4, 6]);
    const u = tf.tensor4d(values(3 * 5 * k * 4 * k * 6, 14), [3, 5 * k, 4 * k, 6]);
    const [dx] = tf.grads((a: tf.Tensor) =>
      tf.sum(tf.mul(tf.image.resizeNearestNeighbor(a as tf.Tensor4D, [5 * k, 4 * k], false, halfPixelCenters), u)))([x]);
    return { dx: dx.dataSync() as Float32Array, u: u.dataSync() as Float32Array };
  });
}

/** The k×k block sums of u in row-major block order, float32 after every addition (the native kernel's order). */
function blockSums(u: Float32Array, [B, H, W, C]: number[], k: number): Float32Array {
  const out = new Float32Array(B * H * W * C);
  for (let b = 0; b < B; b++) for (let y = 0; y < H; y++) for (let x = 0; x < W; x++) for (let c = 0; c < C; c++) {
    let s = 0;
    for (let a = 0; a < k; a++) for (let e = 0; e < k; e++) s = Math.fround(s + u[((b * H * k + y * k + a) * W * k + x * k + e) * C + c]);
    out[((b * H + y) * W + x) * C + c] = s;
  }
  return out;
}

/** Runs `fn` with the native pool at `threads` (every job split), restoring one thread even when `fn` throws. */
async function withThreads<T>(threads: number, fn: () => T | Promise<T>): Promise<T> {
  NATIVE.kernels!.setThreads(threads, 0);
  try {
    return await fn();
  } finally {
    NATIVE.kernels!.setThreads(1);
  }
}

/** Runs `fn` on the 'conv' kernel set (JS MaxPoolGrad, stock up-sampling gradient and Add), then back to 'all'. */
async function withConvSet<T>(fn: () => T | Promise<T>): Promise<T> {
  registerWasmTrainingKernels('conv');
  try {
    return await fn();
  } finally {
    registerWasmTrainingKernels('all', NATIVE.kernels);
  }
}

/** Counts calls of one addon function while `fn` runs (proves the native path ran, or did not). */
async function countCalls<T>(name: 'maxPoolGrad' | 'upsampleGrad' | 'addSame', fn: () => T | Promise<T>): Promise<{ result: T; calls: number }> {
  const nk = NATIVE.kernels! as unknown as Record<string, (...a: unknown[]) => void>;
  const real = nk[name];
  let calls = 0;
  nk[name] = (...a: unknown[]) => { calls++; real(...a); };
  try {
    return { result: await fn(), calls };
  } finally {
    nk[name] = real;
  }
}

for (const ties of [false, true]) {
  test(`MaxPoolGrad (native, 1-3 threads, every job split${ties ? ', ReLU ties' : ''}) = the JS kernel bit for bit, and the cpu backend`, { skip }, async () => {
    const got: Float32Array[] = [];
    for (const threads of [1, 2, 3]) {
      const { result, calls } = await countCalls('maxPoolGrad', () => withThreads(threads, () => maxPoolGradRun(ties)));
      assert.equal(calls, 1, 'the native kernel ran');
      got.push(result);
    }
    const { result: js, calls } = await countCalls('maxPoolGrad', () => withConvSet(() => maxPoolGradRun(ties)));
    assert.equal(calls, 0, 'the JS loop ran');
    assert.ok(js.some((v) => v !== 0) && js.some((v) => v === 0));
    for (const g of got) assert.deepEqual(g, js);
    const cpu = await withBackend('cpu', () => maxPoolGradRun(ties));
    assert.ok(relErr(got[0], cpu) <= 1e-6);
    // Same pixels chosen as on cpu (a wrong tie rule moves gradient between zeros without changing its sum).
    assert.deepEqual(got[0].map((v) => Number(v !== 0)), cpu.map((v) => Number(v !== 0)));
  });
}

test('up-sampling gradient (native, k = 2 and 4, 1-3 threads) = block sums bit for bit, = the stock wasm kernel', { skip }, async () => {
  for (const k of [2, 4]) {
    for (const halfPixel of [false, true]) {
      for (const threads of [1, 2, 3]) {
        const { result: { dx, u }, calls } = await countCalls('upsampleGrad', () => withThreads(threads, () => upsampleGradRun(k, halfPixel)));
        assert.equal(calls, 1, `k=${k}: the native kernel ran`);
        assert.deepEqual(dx, blockSums(u, [3, 5, 4, 6], k), `k=${k} halfPixel=${halfPixel} threads=${threads}`);
      }
      const stock = await withConvSet(() => upsampleGradRun(k, halfPixel));
      const ours = await upsampleGradRun(k, halfPixel);
      assert.ok(relErr(ours.dx, stock.dx) <= 1e-6, `k=${k} halfPixel=${halfPixel}: ours vs stock wasm`);
    }
  }
});

test('up-sampling gradient: other factors (3, non-integer) and alignCorners go to the stock kernel', { skip }, async () => {
  const run = (size: [number, number], alignCorners: boolean) => tf.tidy(() => {
    const x = tf.tensor4d(values(2 * 4 * 4 * 3, 15), [2, 4, 4, 3]);
    const [dx] = tf.grads((a: tf.Tensor) => tf.sum(tf.square(tf.image.resizeNearestNeighbor(a as tf.Tensor4D, size, alignCorners))))([x]);
    return dx.dataSync() as Float32Array;
  });
  const cases: Array<[[number, number], boolean]> = [[[12, 12], false], [[6, 6], false], [[8, 8], true], [[8, 6], false]];
  const { result: ours, calls } = await countCalls('upsampleGrad', () => cases.map(([sz, a]) => run(sz, a)));
  assert.equal(calls, 0);
  const stock = await withConvSet(() => cases.map(([sz, a]) => run(sz, a)));
  ours.forEach((o, i) => assert.deepEqual(o, stock[i], `case ${i}`));
});

test('Add (native for same-shaped float32, 1-3 threads) = cpu bit for bit; broadcasting and small tensors stay stock', { skip }, async () => {
  const shape = [3, 17, 19, 23]; // 22,287 elements: above the native threshold, uneven parts
  const run = () => tf.tidy(() => {
    const a = tf.tensor4d(values(size(shape), 16), shape as [number, number, number, number]);
    const b = tf.tensor4d(values(size(shape), 17), shape as [number, number, number, number]);
    const row = tf.tensor1d(values(23, 18));
    const small = tf.tensor2d(values(12, 19), [3, 4]);
    return [tf.add(a, b), tf.add(a, row), tf.add(small, small)].map((t) => t.dataSync() as Float32Array);
  });
  const want = await withBackend('cpu', run);
  let total = 0;
  for (const threads of [1, 2, 3]) {
    const { result: got, calls } = await countCalls('addSame', () => withThreads(threads, run));
    total += calls;
    got.forEach((g, i) => assert.deepEqual(g, want[i], `output ${i}, ${threads} threads`));
  }
  const calls = total;
  assert.equal(calls, 3, 'the same-shaped add ran natively, once per thread count; the other two did not');
});
