import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { buildHourglass, officialReportedParamCount } from '../src/model/hourglass';
import { modelConfig, PRESETS } from '../src/model/config';
import { WFLW98 } from '../src/data/schemes';

test('presets validate and the paper preset reproduces the official parameter counts', async () => {
  await tf.setBackend('cpu');
  for (const name of Object.keys(PRESETS) as (keyof typeof PRESETS)[]) modelConfig(name);
  const m = buildHourglass(modelConfig('paper'), { seed: 0, scheme: WFLW98 });
  const c = officialReportedParamCount(m);
  // 17.18 M is what the official code's sum(p.numel()) gives for the released model (measured with PyTorch 1.13).
  assert.equal(Math.round(c.officialTotal / 1e4) / 100, 17.18);
  // The used parameters: close to the paper's 13.37 M.
  assert.ok(c.ours > 13.3e6 && c.ours < 13.6e6, `ours ${c.ours}`);
  m.params.dispose();
});

test('bad model configs name the field', () => {
  assert.throws(() => modelConfig('cpu-tiny', { heatmapSize: 20 }), /heatmapSize/);
  assert.throws(() => modelConfig('cpu-tiny', { depth: 5 }), /depth/);
  assert.throws(() => modelConfig('nope' as never), /unknown model preset/);
});

test('forward shapes, non-negative heatmaps, AAM outputs, same seed -> same weights', async () => {
  await tf.setBackend('cpu');
  const cfg = modelConfig('cpu-tiny', { aam: true, stacks: 2 });
  const m = buildHourglass(cfg, { seed: 3, scheme: WFLW98 });
  const m2 = buildHourglass(cfg, { seed: 3, scheme: WFLW98 });
  const x = tf.randomUniform([2, 64, 64, 3], -1, 1, 'float32', 1) as tf.Tensor4D;
  const out = m.forward(x, { training: true, bnUpdates: [] });
  assert.equal(out.heatmaps.length, 2);
  assert.deepEqual(out.heatmaps[1].shape, [2, 16, 16, 98]);
  assert.deepEqual(out.edgemaps![0].shape, [2, 16, 16, 9]);
  assert.ok((await tf.min(out.heatmaps[1]).data())[0] >= 0, 'heatmaps must be non-negative (IN + ReLU head)');
  const w1 = await m.params.trainable.get('stem/conv/kernel')!.data();
  const w2 = await m2.params.trainable.get('stem/conv/kernel')!.data();
  assert.deepEqual(Array.from(w1), Array.from(w2));
  assert.throws(() => m.forward(tf.zeros([1, 32, 32, 3]) as tf.Tensor4D, { training: false, bnUpdates: [] }), /\[B, 64, 64, 3\]/);
  m.params.dispose();
  m2.params.dispose();
});

test('upsample2x equals nearest-neighbour resize and has the right gradient', async () => {
  await tf.setBackend('cpu');
  const { upsample2x } = await import('../src/model/layers');
  const x = tf.tensor4d(Array.from({ length: 2 * 3 * 2 * 2 }, (_, i) => i), [2, 3, 2, 2]);
  const ref = tf.image.resizeNearestNeighbor(x, [6, 4]);
  assert.deepEqual(Array.from(await upsample2x(x).data()), Array.from(await ref.data()));
  // d/dx sum(w * up(x)) = sum of w over each 2x2 block.
  const w = tf.randomUniform([2, 6, 4, 2], 0, 1, 'float32', 7);
  const g = tf.grad((v: tf.Tensor) => tf.sum(tf.mul(upsample2x(v as tf.Tensor4D), w)))(x);
  const blocks = tf.mul(tf.avgPool(w as tf.Tensor4D, 2, 2, 'valid'), 4);
  const d = await tf.max(tf.abs(tf.sub(g, blocks))).data();
  assert.ok(d[0] < 1e-5, `max gradient error ${d[0]}`);
});
