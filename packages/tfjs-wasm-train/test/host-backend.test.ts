/**
 * The host backend (src/host-backend.ts): every kernel we register on it against the stock pure-JS cpu backend (the
 * independent reference, left untouched), with a spy on the native addon proving the native path ran; the same kernels
 * without the addon (JS loops); a few training steps of a small net on host ≈ cpu; and that nothing of ours reached
 * the stock 'cpu' backend.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { selectBackend, withBackend } from '../src/backend';
import { nativeKernels, type NativeKernels } from '../src/native-addon';
import { HOST, registerHostBackend } from '../src/host-backend';
import { registerHostTrainingKernels } from '../src/kernels/register-host';
import { broadcastRuns } from '../src/kernels/broadcast';
import { convBias, convBiasAdd } from '../src/ops/conv-bias';
import { batchNormTrain } from '../src/ops/batch-norm';
import { ADAM_UPDATE_KERNEL } from '../src/ops/adam-fused';
import { RELU_GRAD } from '../src/kernels/relu-grad';
import { hostKernelConfigs, registerOnce } from '../src/host-memory';
import { relErr, values } from './helpers/numeric';

const NATIVE = nativeKernels();
const skip = NATIVE.kernels ? false : `native addon unavailable: ${NATIVE.reason}`;

/** Calls per addon function, through a proxy handed to the host kernels instead of the addon itself. */
const calls = new Map<string, number>();
function spyOn(nat: NativeKernels): NativeKernels {
  return new Proxy(nat, {
    get(target, key) {
      const v = (target as unknown as Record<string | symbol, unknown>)[key];
      if (typeof v !== 'function') return v;
      return (...args: unknown[]) => {
        calls.set(String(key), (calls.get(String(key)) ?? 0) + 1);
        return (v as (...a: unknown[]) => unknown).apply(target, args);
      };
    },
  });
}
/** Run `fn` and return how often each addon function ran during it. */
async function counting<T>(fn: () => T | Promise<T>): Promise<{ result: T; ran: Map<string, number> }> {
  const before = new Map(calls);
  const result = await fn();
  const ran = new Map<string, number>();
  for (const [k, n] of calls) if (n !== (before.get(k) ?? 0)) ran.set(k, n - (before.get(k) ?? 0));
  return { result, ran };
}

const cpuKernelsBefore = new Map<string, unknown>();

before(async () => {
  for (const k of tf.getKernelsForBackend('cpu')) cpuKernelsBefore.set(k.kernelName, k.kernelFunc);
  const info = await selectBackend({ backend: 'host', quiet: true, threads: 2 });
  assert.equal(info.name, 'host');
  if (NATIVE.kernels) registerHostTrainingKernels(spyOn(NATIVE.kernels));
});
after(() => NATIVE.kernels?.setThreads(1));

const size = (s: number[]) => s.reduce((a, b) => a * b, 1);
type Shape4 = [number, number, number, number];

/** Forward and every input gradient of sum(f(inputs) * u), read back as arrays. */
function withGrads(shapes: number[][], f: (...xs: tf.Tensor[]) => tf.Tensor, seed = 1): Record<string, Float32Array> {
  return tf.tidy(() => {
    const xs = shapes.map((s, i) => tf.tensor(values(size(s), seed + i, 1, i === 0 ? 0.1 : 0), s));
    const y = f(...xs);
    const u = tf.tensor(values(y.size, seed + 9), y.shape);
    const gs = tf.grads((...a: tf.Tensor[]) => tf.sum(tf.mul(f(...a), u)))(xs);
    const out: Record<string, Float32Array> = { y: y.dataSync() as Float32Array };
    gs.forEach((g, i) => { out[`d${i}`] = g.dataSync() as Float32Array; });
    return out;
  });
}

async function compareWithCpu(what: string, run: () => Record<string, Float32Array>, tol: number, want?: () => Record<string, Float32Array>) {
  assert.equal(tf.getBackend(), HOST);
  const { result: got, ran } = await counting(run);
  const ref = await withBackend('cpu', want ?? run);
  for (const k of Object.keys(ref)) {
    const e = relErr(got[k], ref[k]);
    assert.ok(e <= tol, `${what} ${k}: rel err ${e}`);
  }
  return ran;
}

test('the host backend is registered without touching the stock cpu backend', () => {
  registerHostBackend();
  for (const k of tf.getKernelsForBackend('cpu')) {
    assert.equal(k.kernelFunc, cpuKernelsBefore.get(k.kernelName) ?? k.kernelFunc, `cpu kernel ${k.kernelName} was replaced`);
  }
  for (const name of [tf.Conv2D, tf.Add, tf.Multiply, tf.Tile, tf.Sum, RELU_GRAD, 'WasmTrainConv2DBias', 'WasmTrainBatchNorm']) {
    if (tf.getKernel(name, 'cpu') != null) assert.equal(tf.getKernel(name, 'cpu')!.kernelFunc, cpuKernelsBefore.get(name), `${name} on cpu`);
  }
  assert.equal(tf.getKernel('WasmTrainConv2DBias', 'cpu'), undefined);
  assert.equal(tf.getKernel('WasmTrainBatchNorm', 'cpu'), undefined);
  // Every stock cpu kernel is there under the new name (a model runs any op on host).
  for (const k of tf.getKernelsForBackend('cpu')) assert.ok(tf.getKernel(k.kernelName, HOST) != null, `${k.kernelName} missing on host`);
});

const CONVS: Array<[string, Shape4, Shape4, number, 'same' | 'valid']> = [
  ['k3 s1 same', [3, 9, 7, 4], [3, 3, 4, 5], 1, 'same'],
  ['k7 s2 same (stem)', [2, 13, 11, 3], [7, 7, 3, 4], 2, 'same'],
  ['k1 s1 valid', [4, 5, 6, 6], [1, 1, 6, 7], 1, 'valid'],
];
for (const [name, xs, ws, s, pad] of CONVS) {
  test(`Conv2D and both gradients (native) on host = cpu: ${name}`, { skip }, async () => {
    const ran = await compareWithCpu('conv', () => withGrads([xs, ws], (x, w) => tf.conv2d(x as tf.Tensor4D, w as tf.Tensor4D, s, pad)), 1e-5);
    for (const f of ['conv2dForward', 'conv2dBackpropInput', 'conv2dBackpropFilter']) assert.ok(ran.get(f), `${f} did not run`);
  });
  test(`convBias (native) on host = conv2d + add on cpu: ${name}`, { skip }, async () => {
    const f = (x: tf.Tensor, w: tf.Tensor, b: tf.Tensor) => convBias(x as tf.Tensor4D, w as tf.Tensor4D, b as tf.Tensor1D, s, pad);
    const ran = await compareWithCpu('convBias', () => withGrads([xs, ws, [ws[3]]], f), 1e-5,
      () => withGrads([xs, ws, [ws[3]]], (x, w, b) => tf.add(tf.conv2d(x as tf.Tensor4D, w as tf.Tensor4D, s, pad), b)));
    for (const fn of ['conv2dBiasForward', 'columnSums', 'conv2dBackpropInput', 'conv2dBackpropFilter']) assert.ok(ran.get(fn), `${fn} did not run`);
  });
  test(`convBiasAdd (native, residual on the GEMM or after oneDNN) on host = conv2d + add + add on cpu, all four gradients: ${name}`, { skip }, async () => {
    const outShape = tf.tidy(() => tf.conv2d(tf.zeros(xs) as tf.Tensor4D, tf.zeros(ws) as tf.Tensor4D, s, pad).shape);
    const f = (x: tf.Tensor, w: tf.Tensor, b: tf.Tensor, r: tf.Tensor) => convBiasAdd(x as tf.Tensor4D, w as tf.Tensor4D, b as tf.Tensor1D, s, pad, r as tf.Tensor4D);
    const ran = await compareWithCpu('convBiasAdd', () => withGrads([xs, ws, [ws[3]], outShape], f), 1e-5,
      () => withGrads([xs, ws, [ws[3]], outShape], (x, w, b, r) => tf.add(tf.add(tf.conv2d(x as tf.Tensor4D, w as tf.Tensor4D, s, pad), b), r)));
    for (const fn of ['conv2dBiasAddForward', 'columnSums', 'conv2dBackpropInput', 'conv2dBackpropFilter']) assert.ok(ran.get(fn), `${fn} did not run`);
  });
}

test('convBiasAdd: a residual of another shape is refused with both shapes named', { skip }, () => {
  assert.throws(() => convBiasAdd(tf.zeros([1, 4, 4, 2]) as tf.Tensor4D, tf.zeros([1, 1, 2, 3]) as tf.Tensor4D, tf.zeros([3]) as tf.Tensor1D, 1, 'same', tf.zeros([1, 4, 4, 2]) as tf.Tensor4D),
    /convBiasAdd: residual \[1,4,4,2\] must have the convolution's output shape \[1,4,4,3\]/);
});

for (const relu of [false, true]) {
  test(`batchNormTrain${relu ? ' + ReLU' : ''} (native) on host = tf.moments + batchNorm on cpu`, { skip }, async () => {
    const shape: Shape4 = [3, 5, 7, 6];
    const f = (x: tf.Tensor, g: tf.Tensor, b: tf.Tensor) => batchNormTrain(x as tf.Tensor4D, g as tf.Tensor1D, b as tf.Tensor1D, 1e-5, { relu }).y;
    const ran = await compareWithCpu('batch norm', () => withGrads([shape, [6], [6]], f), 1e-5);
    for (const fn of ['bnForward', 'bnGrad']) assert.ok(ran.get(fn), `${fn} did not run`);
  });
}

test('MaxPoolGrad (native) on host = cpu, windows of only negative values included', { skip }, async () => {
  const run = () => tf.tidy(() => {
    const x = tf.tensor4d(values(2 * 8 * 6 * 3, 4, 1, -0.6), [2, 8, 6, 3]);
    const u = tf.tensor4d(values(2 * 4 * 3 * 3, 5), [2, 4, 3, 3]);
    const [dx] = tf.grads((a: tf.Tensor) => tf.sum(tf.mul(tf.maxPool(a as tf.Tensor4D, 2, 2, 'valid'), u)))([x]);
    return { dx: dx.dataSync() as Float32Array };
  });
  const ran = await compareWithCpu('max pool', run, 0);
  assert.ok(ran.get('maxPoolGrad'));
});

test('MaxPool forward (native) on host = cpu bit for bit: 2x2/2, 3x3/1 same, 3x3/2 with odd sizes, NaN passed over, all-NaN window -> -Inf', { skip }, async () => {
  const cases: Array<{ shape: Shape4; f: number; s: number; pad: 'valid' | 'same' }> = [
    { shape: [2, 8, 6, 3], f: 2, s: 2, pad: 'valid' },
    { shape: [3, 7, 9, 5], f: 3, s: 1, pad: 'same' },
    { shape: [2, 9, 11, 4], f: 3, s: 2, pad: 'same' },
  ];
  for (const c of cases) {
    const n = c.shape.reduce((a, b) => a * b, 1);
    const xv = values(n, 8, 1, -0.6);
    xv[5] = NaN; // one NaN in a window: the others decide
    if (c.f === 2) for (const k of [0, 1, 3, 6 * 3 + 0, 6 * 3 + 3]) xv[k] = NaN; // channel 0 of the first 2x2 window: all NaN
    const run = () => tf.tidy(() => ({ y: tf.maxPool(tf.tensor4d(xv, c.shape), c.f, c.s, c.pad).dataSync() as Float32Array }));
    assert.equal(tf.getBackend(), HOST);
    const { result, ran } = await counting(run);
    const want = await withBackend('cpu', async () => run());
    assert.ok(ran.get('maxPoolForward'), 'maxPoolForward did not run');
    assert.deepEqual(Array.from(result.y), Array.from(want.y), `${c.shape} ${c.f}x${c.f}/${c.s} ${c.pad}`);
    if (c.f === 2) assert.equal(result.y[0], -Infinity, 'a window of only NaN gives -Inf, as on cpu');
  }
  // A 1×1 window of stride 1 is cpu's identity (NaN kept): the stock kernel, not the addon.
  const xv = values(2 * 3 * 4 * 2, 10);
  xv[3] = NaN;
  const { result: id, ran } = await counting(() => tf.tidy(() => tf.maxPool(tf.tensor4d(xv, [2, 3, 4, 2]), 1, 1, 'valid').dataSync() as Float32Array));
  assert.equal(ran.get('maxPoolForward') ?? 0, 0);
  assert.ok(Number.isNaN(id[3]));
});

test('ResizeNearestNeighbor forward (native, 2x and 4x, with and without half-pixel centres) on host = cpu bit for bit; 3x goes to the stock kernel', { skip }, async () => {
  for (const [k, half] of [[2, false], [4, false], [2, true], [3, false]] as const) {
    const [B, H, W, C] = [2, 3, 5, 4];
    const xv = values(B * H * W * C, 9);
    const run = () => tf.tidy(() => ({ y: tf.image.resizeNearestNeighbor(tf.tensor4d(xv, [B, H, W, C]), [H * k, W * k], false, half).dataSync() as Float32Array }));
    assert.equal(tf.getBackend(), HOST);
    const { result, ran } = await counting(run);
    const want = await withBackend('cpu', async () => run());
    assert.equal(ran.get('upsampleForward') ?? 0, k === 3 ? 0 : 1, `k=${k}: the native path ran for powers of two only`);
    assert.deepEqual(Array.from(result.y), Array.from(want.y), `k=${k} halfPixelCenters=${half}`);
  }
});

test('ResizeNearestNeighborGrad (native, 2x and 4x) on host = block sums of dy', { skip }, async () => {
  for (const k of [2, 4]) {
    const [B, H, W, C] = [2, 3, 5, 4];
    const dy = values(B * H * k * W * k * C, 6);
    const { result: got, ran } = await counting(() => tf.tidy(() => {
      const x = tf.zeros([B, H, W, C]);
      const [dx] = tf.grads((a: tf.Tensor) => tf.sum(tf.mul(tf.image.resizeNearestNeighbor(a as tf.Tensor4D, [H * k, W * k]), tf.tensor(dy, [B, H * k, W * k, C]))))([x]);
      return dx.dataSync() as Float32Array;
    }));
    assert.ok(ran.get('upsampleGrad'));
    // tfjs 4.22's cpu ResizeNearestNeighborGrad is wrong for this case (src/model/layers.ts in the STAR project): a float64 reference.
    const want = new Float64Array(B * H * W * C);
    for (let b = 0; b < B; b++) for (let i = 0; i < H * k; i++) for (let j = 0; j < W * k; j++) for (let c = 0; c < C; c++) {
      want[((b * H + Math.floor(i / k)) * W + Math.floor(j / k)) * C + c] += dy[((b * H * k + i) * W * k + j) * C + c];
    }
    assert.ok(relErr(got, want) <= 1e-6, `k=${k}: rel err ${relErr(got, want)}`);
  }
});

test('same-shape Add (native) and the ReLU gradient (native) on host = cpu, bit for bit', { skip }, async () => {
  const shape = [4, 32, 32, 8]; // 32768 elements: above the native Add's minimum
  const ran = await compareWithCpu('add + relu', () => withGrads([shape, shape], (a, b) => tf.relu(tf.add(a, b))), 0);
  assert.ok(ran.get('addSame'), 'addSame did not run');
  assert.ok(ran.get('reluGrad'), 'reluGrad did not run');
});

test('broadcast runs: shapes merged into the fewest contiguous runs', () => {
  assert.deepEqual(broadcastRuns([8, 64, 64, 256], [1, 64, 64, 256]), { outShape: [8, 64, 64, 256], dims: [8, 1048576], sa: [1048576, 1], sb: [0, 1] });
  assert.deepEqual(broadcastRuns([8, 1, 1, 98], [8, 64, 64, 98]), { outShape: [8, 64, 64, 98], dims: [8, 4096, 98], sa: [98, 0, 1], sb: [401408, 98, 1] });
  assert.deepEqual(broadcastRuns([5, 3], [5, 3]), { outShape: [5, 3], dims: [15], sa: [1], sb: [1] });
  assert.deepEqual(broadcastRuns([], [4, 2]), { outShape: [4, 2], dims: [8], sa: [0], sb: [1] });
  assert.deepEqual(broadcastRuns([1, 1], [1]), { outShape: [1, 1], dims: [1], sa: [0], sb: [0] });
  assert.throws(() => broadcastRuns([2, 3], [4, 3]), /broadcast/i);
});

const BROADCASTS: Array<[string, number[], number[]]> = [
  ['[1,H,W,C] + [B,H,W,C] (CoordConv)', [1, 9, 8, 5], [3, 9, 8, 5]],
  ['[B,H,W,C] with [B,1,1,C] (instance norm)', [3, 9, 8, 5], [3, 1, 1, 5]],
  ['[B,H,W,1] with [1,H,W,2] (boundary mask)', [3, 9, 8, 1], [1, 9, 8, 2]],
  ['same shape', [3, 9, 8, 5], [3, 9, 8, 5]],
  ['scalar', [], [3, 9, 8, 5]],
  ['rank 5, middle axis', [2, 3, 1, 4, 9], [2, 1, 7, 4, 9]],
];
for (const [name, a, b] of BROADCASTS) {
  test(`Add, Sub, Multiply, RealDiv and their gradients on host = cpu, bit for bit: ${name}`, async () => {
    for (const op of [tf.add, tf.sub, tf.mul, tf.div]) {
      // Divisors away from 0: the quotient's gradient stays well-conditioned, and the comparison is exact anyway.
      await compareWithCpu(op.name, () => withGrads([a, b], (x, y) => op(x, tf.add(tf.abs(y), 0.5))), 0);
    }
  });
}

test('Tile, Sum and Mean (transpose-free) on host = cpu', async () => {
  await compareWithCpu('tile', () => withGrads([[2, 1, 3, 4]], (x) => tf.tile(x, [1, 5, 2, 1])), 0);
  await compareWithCpu('tile int32', () => ({ y: Float32Array.from(tf.tidy(() => tf.tile(tf.tensor2d([1, 2, 3, 4], [2, 2], 'int32'), [3, 2]).dataSync())) }), 0);
  // Float64 accumulators here, float32 steps in the cpu kernel: equal to ~1e-7.
  await compareWithCpu('sum/mean', () => withGrads([[4, 16, 16, 9]], (x) => tf.add(tf.sum(x, [1, 2]), tf.sum(tf.sum(tf.mean(x, [0]), 0), 0))), 1e-6);
});

test('FusedBatchNorm (eval-style batch norm) gradient on host = cpu', async () => {
  const f = (x: tf.Tensor, m: tf.Tensor, v: tf.Tensor, g: tf.Tensor, b: tf.Tensor) =>
    tf.batchNorm4d(x as tf.Tensor4D, m as tf.Tensor1D, tf.add(tf.abs(v), 0.5) as tf.Tensor1D, b as tf.Tensor1D, g as tf.Tensor1D, 1e-5);
  await compareWithCpu('FusedBatchNorm', () => withGrads([[3, 5, 4, 6], [6], [6], [6], [6]], f), 1e-5);
});

test('fused Adam on host = the cpu kernel, bit for bit; host kernels of the caller run on host', async () => {
  const run = () => tf.tidy(() => {
    const [p, m, v, g] = [1, 2, 3, 4].map((s) => tf.tensor(values(1000, s, s === 3 ? 0.1 : 1, s === 3 ? 0.2 : 0)));
    const outs = tf.engine().runKernel(ADAM_UPDATE_KERNEL, { p, m, v, g }, { beta1: 0.9, beta2: 0.999, eps: 1e-8, stepSize: 1e-3, sqrtBc2: 0.03 }) as tf.Tensor[];
    return Object.fromEntries(outs.map((t, i) => [`o${i}`, t.dataSync() as Float32Array]));
  });
  await compareWithCpu('adam', run, 0);
  registerOnce(hostKernelConfigs('TestHostDouble', ['x'], ([s]) => [s], ([x], [y]) => { for (let i = 0; i < x.length; i++) y[i] = 2 * x[i]; }));
  assert.ok(tf.getKernel('TestHostDouble', HOST) != null, 'hostKernelConfigs registers for the host backend');
  const y = tf.tidy(() => (tf.engine().runKernel('TestHostDouble', { x: tf.tensor([1, 2, 3]) }) as tf.Tensor).dataSync());
  assert.deepEqual([...y], [2, 4, 6]);
});

test('without the addon the host kernels are JS loops and stock cpu kernels, and agree with cpu', async () => {
  registerHostTrainingKernels(null);
  try {
    const shape: Shape4 = [2, 6, 4, 3];
    const bn = (x: tf.Tensor, g: tf.Tensor, b: tf.Tensor) => batchNormTrain(x as tf.Tensor4D, g as tf.Tensor1D, b as tf.Tensor1D, 1e-5, { relu: true }).y;
    const { ran } = await counting(async () => {
      await compareWithCpu('batch norm (JS)', () => withGrads([shape, [3], [3]], bn), 1e-5);
      await compareWithCpu('conv (stock)', () => withGrads([[2, 6, 5, 3], [3, 3, 3, 2]], (x, w) => convBias(x as tf.Tensor4D, w as tf.Tensor4D, tf.zeros([2]) as tf.Tensor1D, 1, 'same')), 1e-5);
      await compareWithCpu('max pool (JS)', () => withGrads([shape], (x) => tf.maxPool(tf.sub(x, 0.3) as tf.Tensor4D, 2, 2, 'valid')), 0);
    });
    assert.equal(ran.size, 0, `the addon ran: ${[...ran.keys()]}`);
    const up = tf.tidy(() => {
      const [dx] = tf.grads((a: tf.Tensor) => tf.sum(tf.image.resizeNearestNeighbor(a as tf.Tensor4D, [4, 6])))([tf.zeros([1, 2, 3, 2])]);
      return dx.dataSync();
    });
    assert.deepEqual([...up], new Array(12).fill(4), 'JS block sums of the 2x up-sampling gradient');
  } finally {
    if (NATIVE.kernels) registerHostTrainingKernels(spyOn(NATIVE.kernels));
  }
});

/**
 * 2x nearest up-sampling: on host the resize op (our block-sum gradient); on cpu, whose ResizeNearestNeighborGrad is
 * wrong for this case in tfjs 4.22, the same function as concat + reshape.
 */
function upsample2x(x: tf.Tensor4D): tf.Tensor4D {
  const [B, H, W, C] = x.shape;
  if (tf.getBackend() === HOST) return tf.image.resizeNearestNeighbor(x, [2 * H, 2 * W]);
  const cols = tf.reshape(tf.concat([x, x], 3), [B, H, 2 * W, C]);
  return tf.reshape(tf.concat([cols, cols], 2), [B, 2 * H, 2 * W, C]);
}

/** A small conv net (conv+bias, ReLU, BN+ReLU, max-pool, 2x up-sampling, residual add, sigmoid, broadcast) trained with Adam. */
async function trainSmallNet(steps: number): Promise<{ losses: number[]; params: Float32Array[]; live: number[] }> {
  const { registerAdamKernel } = await import('../src/ops/adam-fused');
  registerAdamKernel();
  const w = [[3, 3, 3, 8], [3, 3, 8, 8], [1, 1, 8, 4]].map((s, i) => tf.variable(tf.tensor(values(size(s), 20 + i, 0.3), s)));
  const b = [8, 8, 4].map((c, i) => tf.variable(tf.tensor(values(c, 30 + i, 0.1), [c])));
  const gamma = tf.variable(tf.ones([8]));
  const beta = tf.variable(tf.zeros([8]));
  const params = [...w, ...b, gamma, beta];
  const m = params.map((p) => tf.variable(tf.zerosLike(p)));
  const v = params.map((p) => tf.variable(tf.zerosLike(p)));
  const x = tf.tensor4d(values(4 * 16 * 16 * 3, 40), [4, 16, 16, 3]);
  const target = tf.tensor4d(values(4 * 16 * 16 * 4, 41, 0.5, 0.5), [4, 16, 16, 4]);
  const coords = tf.tensor4d(values(16 * 16 * 8, 42, 0.1), [1, 16, 16, 8]);
  const losses: number[] = [];
  const live: number[] = [];
  for (let t = 1; t <= steps; t++) {
    const { value, grads } = tf.variableGrads(() => {
      // A ReLU between the biased conv and the batch norm: BN alone would cancel the bias, whose gradient would then be
      // rounding noise that Adam amplifies (no backend agrees with another on noise).
      let h = tf.relu(tf.add(convBias(x, w[0] as tf.Tensor4D, b[0] as tf.Tensor1D, 1, 'same'), coords)) as tf.Tensor4D;
      h = batchNormTrain(h, gamma as tf.Tensor1D, beta as tf.Tensor1D, 1e-5, { relu: true }).y;
      const low = tf.maxPool(h, 2, 2, 'valid');
      const up = upsample2x(convBias(low, w[1] as tf.Tensor4D, b[1] as tf.Tensor1D, 1, 'same'));
      const out = tf.sigmoid(convBias(tf.add(h, up) as tf.Tensor4D, w[2] as tf.Tensor4D, b[2] as tf.Tensor1D, 1, 'same'));
      return tf.mean(tf.square(tf.sub(out, target))) as tf.Scalar;
    }, params);
    losses.push((await value.data())[0]);
    params.forEach((p, i) => {
      const [p1, m1, v1] = tf.engine().runKernel(ADAM_UPDATE_KERNEL, { p, m: m[i], v: v[i], g: grads[p.name] },
        { beta1: 0.9, beta2: 0.999, eps: 1e-8, stepSize: 1e-2 / (1 - 0.9 ** t), sqrtBc2: Math.sqrt(1 - 0.999 ** t) }) as tf.Tensor[];
      p.assign(p1); m[i].assign(m1); v[i].assign(v1);
      tf.dispose([p1, m1, v1]);
    });
    tf.dispose([value, ...Object.values(grads)]);
    live.push(tf.memory().numTensors);
  }
  const out = { losses, params: params.map((p) => p.dataSync() as Float32Array), live };
  tf.dispose([...params, ...m, ...v, x, target, coords]);
  return out;
}

test('a few training steps of a small net on host ≈ the same steps on cpu, and no tensor leaks', async () => {
  const { result: host, ran } = await counting(() => trainSmallNet(4));
  assert.deepEqual(host.live, new Array(4).fill(host.live[0]), `live tensors after each step: ${host.live}`);
  const cpu = await withBackend('cpu', () => trainSmallNet(4));
  assert.ok(host.losses[3] < host.losses[0], `the loss falls: ${host.losses}`);
  host.losses.forEach((l, i) => assert.ok(Math.abs(l - cpu.losses[i]) <= 1e-5 * Math.abs(cpu.losses[i]), `step ${i + 1}: ${l} vs ${cpu.losses[i]}`));
  host.params.forEach((p, i) => assert.ok(relErr(p, cpu.params[i]) <= 1e-5, `param ${i}: rel err ${relErr(p, cpu.params[i])}`));
  if (NATIVE.kernels) for (const f of ['conv2dBiasForward', 'bnForward', 'bnGrad', 'maxPoolGrad', 'upsampleGrad', 'conv2dBackpropFilter', 'reluGrad']) assert.ok(ran.get(f), `${f} did not run`);
});

test('inputs the cpu backend casts to float32 without a copy (bool, int32 values) are read correctly', async () => {
  await compareWithCpu('cast inputs', () => tf.tidy(() => {
    const x = tf.tensor(values(4 * 8 * 8 * 3, 50), [4, 8, 8, 3]);
    const mask = tf.cast(tf.greaterEqual(x, 0), 'float32');
    const ints = tf.cast(tf.tensor([1, -2, 3], [1, 1, 1, 3], 'int32'), 'float32');
    return { y: tf.add(tf.mul(x, mask), ints).dataSync() as Float32Array, z: tf.mul(mask, tf.sub(x, mask)).dataSync() as Float32Array };
  }), 0);
});

test('recycled buffers: outputs reuse freed ones, and no array that left the backend is ever reused', async () => {
  const { hostPoolStats } = await import('../src/host-backend');
  const shape = [4, 64, 64, 8]; // 131072 elements: pooled
  const x = tf.tensor(values(size(shape), 60), shape);
  const y = tf.tensor(values(size(shape), 61), shape);
  // Churn: each product is freed and its buffer handed to the next one.
  const before = hostPoolStats()!.hits;
  for (let i = 0; i < 5; i++) tf.mul(x, y).dispose();
  assert.ok(hostPoolStats()!.hits - before >= 4, `recycled: ${hostPoolStats()!.hits - before}`);
  // 1. An array read back (dataSync returns the tensor's own array on this backend) keeps its values.
  const read = tf.mul(x, y);
  const readValues = read.dataSync();
  const readCopy = Float32Array.from(readValues);
  read.dispose();
  // 2. A view: the cpu Slice of leading rows is a subarray of its input's buffer.
  const whole = tf.mul(x, 2);
  const view = tf.slice(whole, [0], [2]);
  const viewCopy = Float32Array.from(tf.tidy(() => tf.add(view, 0).dataSync())); // a new tensor: reading it back leaves the view unread
  whole.dispose();
  // 3. A caller's own array (tf.tensor keeps it) is not ours to reuse.
  const mine = values(size(shape), 62);
  const mineCopy = Float32Array.from(mine);
  tf.tensor(mine, shape).dispose();
  for (let i = 0; i < 6; i++) tf.dispose([tf.mul(x, y), tf.add(x, y), tf.sub(y, x)]);
  assert.deepEqual(readValues, readCopy, 'an array read back was overwritten');
  assert.deepEqual(mine, mineCopy, "a caller's array was overwritten");
  assert.deepEqual(view.dataSync(), viewCopy, 'a view into a freed tensor was overwritten');
  tf.dispose([x, y, view]);
});

test('unary kernels and Pow on host (recycled outputs) = cpu, bit for bit, gradients included', async () => {
  const shape = [3, 16, 16, 9];
  const unary: Array<[string, (x: tf.Tensor) => tf.Tensor]> = [
    ['abs', tf.abs], ['neg', tf.neg], ['relu', tf.relu], ['sigmoid', tf.sigmoid], ['square', tf.square],
    ['log1p', (x) => tf.log1p(tf.abs(x))], ['step', (x) => tf.mul(tf.step(x, 0.25), x)], ['zerosLike', (x) => tf.add(tf.zerosLike(x), x)],
    ['pow (tensor exponent)', (x) => tf.pow(tf.add(tf.abs(x), 0.1), tf.sub(2.1, x))], ['pow (scalar base)', (x) => tf.pow(tf.scalar(0.5), x)],
  ];
  for (const [name, f] of unary) await compareWithCpu(name, () => withGrads([shape], f), 0);
  // NaN and the special cases of each formula.
  const special = [NaN, -0, 0, -1e-30, 1e-30, -3, 3, Infinity, -Infinity];
  const run = () => tf.tidy(() => {
    const x = tf.tile(tf.tensor(special), [200]);
    return Object.fromEntries(unary.slice(0, 7).map(([n, f]) => [n, f(x).dataSync() as Float32Array]));
  });
  const got = run();
  const want = await withBackend('cpu', run);
  for (const k of Object.keys(want)) {
    const bits = (a: Float32Array) => Array.from(new Uint32Array(a.buffer, a.byteOffset, a.length).slice(0, special.length));
    assert.deepEqual(bits(got[k]), bits(want[k]), k);
  }
});
