/**
 * Saved-for-backward tensors as reference-counted aliases (tfjs-wasm-train's lean tape) instead of Identity clones:
 * the same gradients, bit for bit, on a whole hourglass training objective, with no tensor left behind.
 */
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { selectBackend, installLeanSavedTensors, leanSavedTensorsInstalled, uninstallLeanSavedTensors } from 'tfjs-wasm-train';
import { buildHourglass } from '../src/model/hourglass';
import { modelConfig } from '../src/model/config';
import { applyBatchNormUpdates, type ForwardContext } from '../src/model/layers';

before(async () => {
  await selectBackend({ backend: 'wasm-single', quiet: true });
});

// wasm only: the same engine code serves cpu, where one hourglass step takes ~15 s.
test('lean saved tensors: hourglass gradients identical to tfjs\'s clones on wasm, no leak', async () => {
  await tf.setBackend('wasm');
  assert.ok(leanSavedTensorsInstalled(), 'selectBackend installs it on wasm and cpu');
  const m = buildHourglass(modelConfig('cpu-tiny', { channels: 16 }), { seed: 3 });
  const x = tf.randomUniform([2, 64, 64, 3], -1, 1, 'float32', 4) as tf.Tensor4D;
  const kernelsPerStep = { lean: 0, clone: 0 };
  const grads = async (mode: 'lean' | 'clone', warmUp = false) => {
    if (mode === 'clone') uninstallLeanSavedTensors();
    else installLeanSavedTensors();
    const ctx: ForwardContext = { training: true, bnUpdates: [] };
    const before = tf.memory().numTensors;
    let g: Record<string, Float32Array> = {};
    const prof = await tf.profile(() => {
      const { value, grads } = tf.variableGrads(() => tf.sum(tf.square(m.forward(x, ctx).heatmaps[0])) as tf.Scalar, [...m.params.trainable.values()]);
      g = Object.fromEntries(Object.entries(grads).map(([k, t]) => [k, t.dataSync() as Float32Array]));
      tf.dispose([value, ...Object.values(grads)]);
    });
    kernelsPerStep[mode] = prof.kernels.length;
    for (const u of ctx.bnUpdates) tf.dispose([u.mean, u.variance]);
    if (!warmUp) assert.equal(tf.memory().numTensors, before, `${mode}: no tensor left behind`);
    return g;
  };
  await grads('lean', true); // warm-up: the coordinate-channel constants are created (and cached) on the first forward
  const clone = await grads('clone');
  const lean = await grads('lean');
  installLeanSavedTensors();
  assert.deepEqual(Object.keys(lean).sort(), Object.keys(clone).sort());
  for (const k of Object.keys(clone)) assert.deepEqual(lean[k], clone[k], k);
  assert.ok(kernelsPerStep.lean < kernelsPerStep.clone, `fewer kernel launches (${kernelsPerStep.lean} vs ${kernelsPerStep.clone})`);
  tf.dispose(x);
  m.params.dispose();
});
