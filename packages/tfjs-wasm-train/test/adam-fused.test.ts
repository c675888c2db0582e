/**
 * The fused Adam kernel (src/ops/adam-fused.ts) called directly, on cpu and wasm, against PyTorch's Adam update
 * evaluated in float64 here (six steps with a learning-rate change; the first step in closed form); input checks;
 * flat tensor count.
 */
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import type { NamedAttrMap } from '@tensorflow/tfjs-core';
import { selectBackend, withBackend } from '../src/backend';
import { ADAM_UPDATE_KERNEL, registerAdamKernel } from '../src/ops/adam-fused';
import { values } from './helpers/numeric';

const [B1, B2, EPS] = [0.9, 0.999, 1e-8];

before(async () => {
  await selectBackend({ backend: 'wasm-single', quiet: true });
  registerAdamKernel();
});

/** The kernel's attributes at step t (1-based), as an optimizer computes them once per step. */
function attrs(t: number, lr: number): NamedAttrMap {
  return { beta1: B1, beta2: B2, eps: EPS, stepSize: lr / (1 - B1 ** t), sqrtBc2: Math.sqrt(1 - B2 ** t) } as unknown as NamedAttrMap;
}

const lrAt = (k: number) => (k < 3 ? 1e-3 : 1e-2);
const gradAt = (k: number, n: number) => values(n, 10 + k, k % 2 ? 1e-3 : 1);

/** `steps` fused updates of one parameter; returns p, m, v. */
function runKernel(p0: Float32Array, steps: number): Float32Array[] {
  let [p, m, v]: tf.Tensor[] = [tf.tensor1d(p0), tf.zeros([p0.length]), tf.zeros([p0.length])];
  for (let k = 0; k < steps; k++) {
    const g = tf.tensor1d(gradAt(k, p0.length));
    const next = tf.engine().runKernel(ADAM_UPDATE_KERNEL, { p, m, v, g }, attrs(k + 1, lrAt(k))) as tf.Tensor[];
    tf.dispose([p, m, v, g]);
    [p, m, v] = next;
  }
  const out = [p, m, v].map((t) => t.dataSync() as Float32Array);
  tf.dispose([p, m, v]);
  return out;
}

/** torch.optim.Adam (no weight decay) in float64. */
function reference(p0: Float32Array, steps: number): Float64Array[] {
  const p = Float64Array.from(p0);
  const m = new Float64Array(p0.length);
  const v = new Float64Array(p0.length);
  for (let k = 0; k < steps; k++) {
    const g = gradAt(k, p0.length);
    const t = k + 1;
    for (let i = 0; i < p.length; i++) {
      m[i] = B1 * m[i] + (1 - B1) * g[i];
      v[i] = B2 * v[i] + (1 - B2) * g[i] * g[i];
      p[i] -= (lrAt(k) / (1 - B1 ** t)) * (m[i] / (Math.sqrt(v[i]) / Math.sqrt(1 - B2 ** t) + EPS));
    }
  }
  return [p, m, v];
}

function maxRel(got: ArrayLike<number>, want: ArrayLike<number>): number {
  let e = 0;
  for (let i = 0; i < want.length; i++) e = Math.max(e, Math.abs(got[i] - want[i]) / Math.max(1e-3, Math.abs(want[i])));
  return e;
}

test('fused Adam = float64 Adam after 6 steps with a learning-rate change, on cpu and wasm', async () => {
  const p0 = values(17, 1);
  const want = reference(p0, 6);
  for (const backend of ['cpu', 'wasm']) {
    const got = await withBackend(backend, () => runKernel(p0, 6));
    ['p', 'm', 'v'].forEach((name, i) => assert.ok(maxRel(got[i], want[i]) <= 1e-5, `${backend} ${name}: ${maxRel(got[i], want[i])}`));
  }
});

test('fused Adam first step: p − lr·g/(|g| + ε) (m̂ = g, v̂ = g²)', () => {
  const g0 = [0.3, -2, 1e-9];
  const [p, m, v, g] = [tf.tensor1d([0.5, -1, 2]), tf.zeros([3]), tf.zeros([3]), tf.tensor1d(g0)];
  const out = tf.engine().runKernel(ADAM_UPDATE_KERNEL, { p, m, v, g }, attrs(1, 0.1)) as tf.Tensor[];
  const got = out[0].dataSync();
  const want = [0.5, -1, 2].map((x, i) => x - (0.1 * g0[i]) / (Math.abs(g0[i]) + EPS));
  for (let i = 0; i < 3; i++) assert.ok(Math.abs(got[i] - want[i]) <= 1e-6, `element ${i}: ${got[i]} vs ${want[i]}`);
  tf.dispose([p, m, v, g, ...out]);
});

test('fused Adam: bad inputs get a clear error; tensor count flat over 20 steps', () => {
  const p = tf.zeros([2, 2]);
  const bad = tf.zeros([4]);
  const run = (inputs: Record<string, tf.Tensor>) => tf.engine().runKernel(ADAM_UPDATE_KERNEL, inputs, attrs(1, 1e-3)) as tf.Tensor[];
  assert.throws(() => run({ p, m: p, v: p, g: bad }), /"g" has shape \[4\], parameter has \[2,2\]/);
  assert.throws(() => run({ p, m: p, v: p }), /input "g" is missing/);
  const ints = tf.zeros([2, 2], 'int32');
  assert.throws(() => run({ p, m: p, v: p, g: ints }), /input "g" is int32, expected float32/);
  const g = tf.ones([2, 2]);
  let state = [tf.clone(p), tf.zeros([2, 2]), tf.zeros([2, 2])];
  let first = 0;
  for (let k = 0; k < 20; k++) {
    const next = run({ p: state[0], m: state[1], v: state[2], g });
    tf.dispose(state);
    state = next;
    if (k === 1) first = tf.memory().numTensors;
  }
  assert.equal(tf.memory().numTensors, first);
  tf.dispose([p, bad, ints, g, ...state]);
});
