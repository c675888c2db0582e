/**
 * The fused Adam kernel (tfjs-wasm-train) against the project's op-by-op Adam (src/train/adam.ts, itself
 * tested against PyTorch's formula) on the cpu backend, on wasm, and against a float64 closed form; flat tensor counts.
 */
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { selectBackend, withBackend, ADAM_UPDATE_KERNEL } from 'tfjs-wasm-train';
import { Adam } from '../src/train/adam';
import { relErr, values } from './helpers/numeric';

before(async () => {
  await selectBackend({ backend: 'wasm-single', quiet: true });
});


/** Run `steps` updates with the given optimizer on two parameters; gradients are fixed functions of the step. */
async function run(kind: 'fused' | 'ops', steps: number): Promise<Float32Array[]> {
  const params = new Map<string, tf.Variable>([
    ['a', tf.variable(tf.tensor2d(values(12, 1), [3, 4]))],
    ['b', tf.variable(tf.tensor1d(values(5, 2)))],
  ]);
  const opt = new Adam(params, undefined, { fused: kind === 'fused' });
  for (let k = 0; k < steps; k++) {
    const grads = new Map<string, tf.Tensor>([
      ['a', tf.tensor2d(values(12, 10 + k), [3, 4])],
      ['b', tf.mul(tf.tensor1d(values(5, 20 + k)), 1e-3)],
    ]);
    opt.apply(grads, k < 3 ? 1e-3 : 1e-2);
    tf.dispose([...grads.values()]);
  }
  const out = [await params.get('a')!.data(), await params.get('b')!.data()] as Float32Array[];
  opt.dispose();
  tf.dispose([...params.values()]);
  return out;
}

function maxRel(got: ArrayLike<number>, want: ArrayLike<number>): number {
  let e = 0;
  for (let i = 0; i < want.length; i++) e = Math.max(e, Math.abs(got[i] - want[i]) / Math.max(1e-3, Math.abs(want[i])));
  return e;
}

test('fused Adam = op-by-op Adam (cpu and wasm) after 6 steps with a learning-rate change', async () => {
  const ref = await withBackend('cpu', () => run('ops', 6));
  for (const backend of ['cpu', 'wasm']) {
    const got = await withBackend(backend, () => run('fused', 6));
    for (let i = 0; i < ref.length; i++) assert.ok(maxRel(got[i], ref[i]) <= 1e-5, `${backend} param ${i}: ${maxRel(got[i], ref[i])}`);
  }
});

test('fused Adam first step matches the float64 closed form (p − lr·sign(g) up to ε)', async () => {
  const p = tf.variable(tf.tensor1d([0.5, -1, 2]));
  const opt = new Adam(new Map([['p', p]]), undefined, { fused: true });
  const g = tf.tensor1d([0.3, -2, 1e-9]);
  opt.apply(new Map([['p', g]]), 0.1);
  // Step 1: m̂ = g, v̂ = g², update = lr·g/(|g| + ε).
  const want = [0.5, -1, 2].map((x, i) => x - 0.1 * [0.3, -2, 1e-9][i] / (Math.abs([0.3, -2, 1e-9][i]) + 1e-8));
  const got = await p.data();
  for (let i = 0; i < 3; i++) assert.ok(Math.abs(got[i] - want[i]) <= 1e-6, `element ${i}: ${got[i]} vs ${want[i]}`);
  opt.dispose();
  tf.dispose([p, g]);
});

test('fused Adam: bad input gets a clear error; tensor count flat over 20 steps', () => {
  const p = tf.variable(tf.zeros([2, 2]));
  const opt = new Adam(new Map([['p', p]]), undefined, { fused: true });
  const bad = tf.zeros([4]);
  assert.throws(() => opt.apply(new Map([['p', bad]]), 1e-3), /gradient of "p" has shape \[4\], parameter has \[2,2\]/);
  assert.throws(() => tf.engine().runKernel(ADAM_UPDATE_KERNEL, { p, m: p, v: p, g: bad }, {}), /"g" has shape \[4\], parameter has \[2,2\]/);
  const g = tf.ones([2, 2]);
  let first = 0;
  for (let k = 0; k < 20; k++) {
    opt.apply(new Map([['p', g]]), 1e-3);
    if (k === 1) first = tf.memory().numTensors;
  }
  assert.equal(tf.memory().numTensors, first);
  opt.dispose();
  tf.dispose([p, bad, g]);
});

test('all parameters in one kernel (what Adam runs) = one kernel per parameter, bit for bit, with m and v; a missing or misshapen input is named', async () => {
  const { ADAM_UPDATE_ALL_KERNEL } = await import('tfjs-wasm-train');
  for (const backend of ['wasm', 'cpu']) {
    await withBackend(backend, async () => {
      const shapes = [[3, 4], [5], [2, 2, 3]];
      const mk = (seed: number) => shapes.map((s, i) => tf.tensor(values(s.reduce((a, b) => a * b, 1), seed + i), s));
      const [p, m, v, g] = [mk(1), mk(10), mk(20).map((t) => tf.abs(t)), mk(30)];
      const attrs = { beta1: 0.9, beta2: 0.999, eps: 1e-8, stepSize: 1e-3 / (1 - 0.9 ** 3), sqrtBc2: Math.sqrt(1 - 0.999 ** 3) };
      const one = shapes.map((_, i) => tf.engine().runKernel(ADAM_UPDATE_KERNEL, { p: p[i], m: m[i], v: v[i], g: g[i] }, attrs as unknown as tf.NamedAttrMap) as tf.Tensor[]);
      const inputs: Record<string, tf.Tensor> = {};
      shapes.forEach((_, i) => Object.assign(inputs, { [`p${i}`]: p[i], [`m${i}`]: m[i], [`v${i}`]: v[i], [`g${i}`]: g[i] }));
      const all = tf.engine().runKernel(ADAM_UPDATE_ALL_KERNEL, inputs as unknown as tf.NamedTensorMap, { ...attrs, count: 3 } as unknown as tf.NamedAttrMap) as tf.Tensor[];
      assert.equal(all.length, 9);
      for (let i = 0; i < 3; i++) for (let k = 0; k < 3; k++) {
        const a = one[i][k].dataSync() as Float32Array, b = all[3 * i + k].dataSync() as Float32Array;
        assert.ok(Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength)), `${backend}: parameter ${i}, output ${k}`);
        assert.deepEqual(all[3 * i + k].shape, shapes[i]);
      }
      assert.throws(() => tf.engine().runKernel(ADAM_UPDATE_ALL_KERNEL, { ...inputs, g1: tf.zeros([4]) } as unknown as tf.NamedTensorMap, { ...attrs, count: 3 } as unknown as tf.NamedAttrMap),
        /WasmTrainAdamUpdateAll: "g1" has shape \[4\], parameter has \[5\]/);
      const { v2: _drop, ...missing } = inputs;
      assert.throws(() => tf.engine().runKernel(ADAM_UPDATE_ALL_KERNEL, missing as unknown as tf.NamedTensorMap, { ...attrs, count: 3 } as unknown as tf.NamedAttrMap),
        /input "v2" is missing/);
      tf.dispose([...p, ...m, ...v, ...g, ...one.flat(), ...all]);
    });
  }
});
