/**
 * The data-movement and reduction kernels we replace on wasm (src/kernels: tile, identity, reduce) against
 * the pure-JS cpu backend, plus the hourglass building blocks that exercise them in training (batch norm via
 * tf.moments, instance norm): gradients on wasm vs cpu, and flat tensor counts.
 */
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { selectBackend, withBackend } from '../src/backend';
import { reductionView } from '../src/kernels/reduce';
import { relErr, values } from './helpers/numeric';

before(async () => {
  await selectBackend({ backend: 'wasm-single', quiet: true });
});

const size = (s: number[]) => s.reduce((a, b) => a * b, 1);

/** Run fn on wasm and on cpu with the same inputs; returns both outputs as arrays + shapes. */
async function both(fn: () => tf.Tensor): Promise<{ got: tf.TypedArray; want: tf.TypedArray; gs: number[]; ws: number[] }> {
  const g = fn();
  const got = await g.data();
  const gs = g.shape;
  g.dispose();
  const { want, ws } = await withBackend('cpu', async () => {
    const w = fn();
    const r = { want: await w.data(), ws: w.shape };
    w.dispose();
    return r;
  });
  return { got, want, gs, ws };
}

test('Tile matches cpu for float32 / int32 / bool, ranks 1-5, incl. reps of 1 and empty', async () => {
  const cases: Array<[number[], number[]]> = [
    [[3], [4]], [[2, 3], [3, 1]], [[1, 1, 1, 5], [2, 3, 4, 1]], [[2, 1, 3, 2], [1, 4, 2, 3]],
    [[2, 2, 1, 2, 3], [2, 1, 3, 1, 2]], [[2, 3], [1, 1]], [[0, 3], [2, 2]],
  ];
  for (const [shape, reps] of cases) {
    for (const dtype of ['float32', 'int32', 'bool'] as const) {
      const data = Array.from(values(size(shape), 7), (v) => (dtype === 'float32' ? v : dtype === 'int32' ? Math.round(v * 100) : v > 0 ? 1 : 0));
      const r = await both(() => tf.tile(tf.tensor(data, shape, dtype), reps));
      assert.deepEqual(r.gs, r.ws, `shape of tile([${shape}], [${reps}])`);
      assert.deepEqual(Array.from(r.got), Array.from(r.want), `tile([${shape}], [${reps}]) ${dtype}`);
    }
  }
});

test('reductionView: contiguous non-innermost runs only', () => {
  assert.deepEqual(reductionView([8, 4, 4, 3], [0, 1, 2]), { A: 1, R: 128, K: 3, axes: [0, 1, 2] });
  assert.deepEqual(reductionView([8, 4, 4, 3], [1, 2]), { A: 8, R: 16, K: 3, axes: [1, 2] });
  assert.deepEqual(reductionView([8, 4, 4, 3], [-3]), { A: 8, R: 4, K: 12, axes: [1] });
  assert.equal(reductionView([8, 4, 4, 3], [1, 3]), null, 'gap');
  assert.equal(reductionView([8, 4, 4, 3], [2, 3]), null, 'innermost');
  assert.equal(reductionView([8, 4, 4, 3], undefined), null, 'all axes = innermost');
});

test('Sum and Mean match cpu (fast and stock paths, keepDims, int32)', async () => {
  const shape = [3, 5, 4, 6];
  const x = values(size(shape), 11);
  for (const axis of [[0, 1, 2], [1, 2], [0], [1], [2, 3], [3], [0, 2], undefined] as Array<number[] | undefined>) {
    for (const keepDims of [false, true]) {
      for (const op of ['sum', 'mean'] as const) {
        const r = await both(() => tf[op](tf.tensor(x, shape), axis, keepDims));
        assert.deepEqual(r.gs, r.ws, `${op} axis ${axis} keepDims ${keepDims} shape`);
        const e = relErr(r.got, r.want);
        assert.ok(e <= 1e-5, `${op} axis [${axis}] keepDims ${keepDims}: rel err ${e}`);
      }
    }
  }
  // Wide rows (8-column unrolled path + tail) and more rows than one 128-row block.
  for (const [shp, ax] of [[[2, 150, 11], [1]], [[300, 17], [0]], [[4, 70, 3, 16], [1, 2]]] as Array<[number[], number[]]>) {
    const xv = values(size(shp), 13);
    for (const op of ['sum', 'mean'] as const) {
      const r = await both(() => tf[op](tf.tensor(xv, shp), ax));
      assert.deepEqual(r.gs, r.ws);
      const e = relErr(r.got, r.want);
      assert.ok(e <= 1e-6, `${op} [${shp}] axis [${ax}]: rel err ${e}`);
    }
  }
  const xi = Array.from(x, (v) => Math.round(v * 50));
  const r = await both(() => tf.sum(tf.tensor(xi, shape, 'int32'), [0, 1]));
  assert.deepEqual(Array.from(r.got), Array.from(r.want), 'int32 sum (stock path)');
});

test('Identity shares data and survives disposing its input', async () => {
  const a = tf.tensor([1, 2, 3]);
  const ids = () => (tf.backend() as unknown as { numDataIds(): number }).numDataIds();
  const before = ids();
  const b = tf.engine().runKernel('Identity', { x: a }) as tf.Tensor;
  assert.equal(ids(), before, 'no new buffer: shared data');
  a.dispose();
  assert.deepEqual(Array.from(await b.data()), [1, 2, 3]);
  b.dispose();
});

/** BN (training, via tf.moments as a model without batchNormTrain) + ReLU + instance norm, loss against a fixed target. */
function bnInNet(xShape: number[]) {
  const C = xShape[3];
  const x = tf.tensor4d(values(size(xShape), 21), xShape as [number, number, number, number]);
  const gamma = tf.variable(tf.tensor1d(Array.from(values(C, 22), (v) => 1 + 0.5 * v)), true, undefined);
  const beta = tf.variable(tf.tensor1d(values(C, 23)), true);
  const w = tf.tensor(values(size(xShape), 24), xShape);
  const loss = () => tf.tidy(() => {
    const { mean, variance } = tf.moments(x, [0, 1, 2]);
    let y = tf.batchNorm4d(x, mean as tf.Tensor1D, variance as tf.Tensor1D, beta, gamma, 1e-5);
    y = tf.relu(y);
    const m = tf.moments(y, [1, 2], true);
    const z = tf.div(tf.sub(y, m.mean), tf.sqrt(tf.add(m.variance, 1e-5)));
    return tf.sum(tf.mul(z, w)) as tf.Scalar;
  });
  return { x, gamma, beta, w, loss };
}

test('batch-norm + instance-norm gradients on wasm match cpu', async () => {
  const run = async () => {
    const n = bnInNet([2, 6, 5, 4]);
    const { value, grads } = tf.variableGrads(n.loss, [n.gamma, n.beta]);
    const dx = tf.grad((xx: tf.Tensor) => {
      const { mean, variance } = tf.moments(xx, [0, 1, 2]);
      return tf.sum(tf.mul(tf.batchNorm4d(xx as tf.Tensor4D, mean as tf.Tensor1D, variance as tf.Tensor1D, n.beta, n.gamma, 1e-5), n.w));
    })(n.x);
    const out = { loss: (await value.data())[0], dg: await grads[n.gamma.name].data(), db: await grads[n.beta.name].data(), dx: await dx.data() };
    tf.dispose([value, dx, ...Object.values(grads), n.x, n.gamma, n.beta, n.w]);
    return out;
  };
  const got = await run();
  const want = await withBackend('cpu', run);
  assert.ok(Math.abs(got.loss - want.loss) <= 1e-5 * Math.max(1, Math.abs(want.loss)), `loss ${got.loss} vs ${want.loss}`);
  for (const k of ['dg', 'db', 'dx'] as const) {
    const e = relErr(got[k], want[k]);
    assert.ok(e <= 1e-5, `${k}: rel err ${e}`);
  }
});

test('tensor count stays flat over 30 batch-norm training steps on wasm', () => {
  const n = bnInNet([2, 6, 5, 4]);
  let first = 0;
  for (let i = 0; i < 30; i++) {
    const { value, grads } = tf.variableGrads(n.loss, [n.gamma, n.beta]);
    tf.tidy(() => {
      n.gamma.assign(tf.sub(n.gamma, tf.mul(grads[n.gamma.name], 1e-3)));
      n.beta.assign(tf.sub(n.beta, tf.mul(grads[n.beta.name], 1e-3)));
    });
    tf.dispose([value, ...Object.values(grads)]);
    if (i === 2) first = tf.memory().numTensors;
  }
  assert.equal(tf.memory().numTensors, first, 'tensors leaked');
  tf.dispose([n.x, n.gamma, n.beta, n.w]);
});

test('lean FusedBatchNorm gradient (wasm) = tfjs-core gradient (cpu)', async () => {
  const { registerWasmTrainingKernels } = await import('../src/kernels/register');
  const shape: [number, number, number, number] = [2, 5, 3, 9];
  const run = async (withScale: boolean, rank4: boolean) => {
    const x = tf.tensor4d(values(size(shape), 31), shape);
    const w = tf.tensor4d(values(size(shape), 32), shape);
    const statShape = rank4 ? [1, 1, 1, 9] : [9];
    const mean = tf.tensor(Array.from(values(9, 33), (v) => 0.3 * v), statShape);
    const variance = tf.tensor(Array.from(values(9, 34), (v) => 1.5 + v), statShape);
    const scale = tf.tensor(Array.from(values(9, 35), (v) => 1 + 0.5 * v), statShape);
    const offset = tf.tensor(values(9, 36), statShape);
    const f = (a: tf.Tensor, m: tf.Tensor, v: tf.Tensor, o: tf.Tensor, s?: tf.Tensor) => tf.sum(tf.mul(
      tf.batchNorm4d(a as tf.Tensor4D, m as tf.Tensor1D, v as tf.Tensor1D, o as tf.Tensor1D, s as tf.Tensor1D | undefined, 1e-3), w));
    const grads = tf.grads(f)(withScale ? [x, mean, variance, offset, scale] : [x, mean, variance, offset]);
    const out = await Promise.all(grads.map((g) => g.data()));
    tf.dispose([x, w, mean, variance, scale, offset, ...grads]);
    return out;
  };
  // (Without a scale, tfjs-core 4.22 cannot differentiate batchNorm4d at all: the engine clones the absent saved
  // input. So only the with-scale case exists to compare.)
  for (const withScale of [true]) {
    // ([1,1,1,C] statistics fail in tfjs-core's own gradient — a reshape of an unreduced sum — so only [C] here.)
    for (const rank4 of [false]) {
      const got = await run(withScale, rank4);
      registerWasmTrainingKernels('conv'); // restores tfjs-core's FusedBatchNorm gradient
      const want = await withBackend('cpu', () => run(withScale, rank4));
      registerWasmTrainingKernels('all');
      (withScale ? ['x', 'mean', 'variance', 'offset', 'scale'] : ['x', 'mean', 'variance', 'offset']).forEach((k, i) => {
        const e = relErr(got[i], want[i]);
        assert.ok(e <= 1e-5, `d${k} (scale ${withScale}, rank-4 stats ${rank4}): rel err ${e}`);
      });
    }
  }
});

test('lean Mean/Sum gradients are bitwise equal to tfjs-core\'s (incl. keepDims, negative axes, int32 sum)', async () => {
  const { registerWasmTrainingKernels } = await import('../src/kernels/register');
  const shape = [3, 4, 2, 5];
  const x = tf.tensor(values(size(shape), 41), shape);
  const cases: Array<[string, (t: tf.Tensor) => tf.Tensor]> = [
    ['mean 012', (t) => tf.mean(t, [0, 1, 2])], ['mean 12 keep', (t) => tf.mean(t, [1, 2], true)],
    ['mean all', (t) => tf.mean(t)], ['sum -1', (t) => tf.sum(t, -1)], ['sum 0 keep', (t) => tf.sum(t, 0, true)],
  ];
  for (const [name, f] of cases) {
    const w = tf.tidy(() => tf.tensor(values(f(x).size, 42), f(x).shape));
    const grad = async () => { const g = tf.grad((t: tf.Tensor) => tf.sum(tf.mul(f(t), w)))(x); const d = await g.data(); g.dispose(); return Array.from(d); };
    const lean = await grad();
    registerWasmTrainingKernels('conv');
    const stock = await grad();
    registerWasmTrainingKernels('all');
    assert.deepEqual(lean, stock, name);
    w.dispose();
  }
  x.dispose();
});
