/**
 * Saved-for-backward tensors as reference-counted aliases (src/lean-tape.ts) instead of Identity clones: the same
 * gradients, bit for bit, on a small conv net made of the ops a CPU training step uses (conv + bias, batch norm + ReLU,
 * max pooling, nearest up-sampling, a residual Add), with no tensor left behind and fewer kernel launches.
 */
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { selectBackend } from '../src/backend';
import { installLeanSavedTensors, leanSavedTensorsInstalled, uninstallLeanSavedTensors } from '../src/lean-tape';
import { convBias } from '../src/ops/conv-bias';
import { batchNormTrain } from '../src/ops/batch-norm';
import { values } from './helpers/numeric';

before(async () => {
  await selectBackend({ backend: 'wasm-single', quiet: true });
});

const C = 8;
function param(shape: number[], seed: number, scale: number): tf.Variable {
  return tf.variable(tf.tensor(values(shape.reduce((a, b) => a * b, 1), seed, scale), shape));
}

function net(params: Record<string, tf.Variable>, x: tf.Tensor4D): tf.Scalar {
  const a = convBias(x, params.w1 as tf.Tensor4D, params.b1 as tf.Tensor1D, 1, 'same');
  const bn = batchNormTrain(a, params.gamma as tf.Tensor1D, params.beta as tf.Tensor1D, 1e-5, { relu: true });
  const pooled = tf.maxPool(bn.y, 2, 2, 'same');
  const b = convBias(pooled, params.w2 as tf.Tensor4D, params.b2 as tf.Tensor1D, 1, 'same');
  const up = tf.image.resizeNearestNeighbor(tf.relu(b), [x.shape[1], x.shape[2]]);
  return tf.sum(tf.square(tf.add(up, a)));
}

test('lean saved tensors: gradients identical to tfjs\'s clones on wasm, no leak, fewer kernels', async () => {
  await tf.setBackend('wasm');
  assert.ok(leanSavedTensorsInstalled(), 'selectBackend installs it on wasm and cpu');
  const params = {
    w1: param([3, 3, 3, C], 1, 0.3), b1: param([C], 2, 0.1), gamma: param([C], 3, 0.2), beta: param([C], 4, 0.1),
    w2: param([3, 3, C, C], 5, 0.2), b2: param([C], 6, 0.1),
  };
  const x = tf.tensor4d(values(2 * 16 * 16 * 3, 7), [2, 16, 16, 3]);
  const kernelsPerStep = { lean: 0, clone: 0 };
  const grads = async (mode: 'lean' | 'clone') => {
    if (mode === 'clone') uninstallLeanSavedTensors();
    else installLeanSavedTensors();
    const before = tf.memory().numTensors;
    let g: Record<string, Float32Array> = {};
    const prof = await tf.profile(() => {
      const { value, grads } = tf.variableGrads(() => net(params, x), Object.values(params));
      g = Object.fromEntries(Object.entries(grads).map(([k, t]) => [k, t.dataSync() as Float32Array]));
      tf.dispose([value, ...Object.values(grads)]);
    });
    kernelsPerStep[mode] = prof.kernels.length;
    assert.equal(tf.memory().numTensors, before, `${mode}: no tensor left behind`);
    return g;
  };
  const clone = await grads('clone');
  const lean = await grads('lean');
  installLeanSavedTensors();
  assert.deepEqual(Object.keys(lean).sort(), Object.keys(clone).sort());
  assert.equal(Object.keys(lean).length, Object.keys(params).length);
  for (const k of Object.keys(clone)) {
    assert.ok(clone[k].some((v) => v !== 0), `${k}: a gradient flows`);
    assert.deepEqual(lean[k], clone[k], k);
  }
  assert.ok(kernelsPerStep.lean < kernelsPerStep.clone, `fewer kernel launches (${kernelsPerStep.lean} vs ${kernelsPerStep.clone})`);
  tf.dispose(x);
  tf.dispose(Object.values(params));
});
