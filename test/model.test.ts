import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { buildHourglass, officialReportedParamCount } from '../src/model/hourglass';
import { modelConfig, PRESETS } from '../src/model/config';
import { WFLW98 } from '../src/data/schemes';
import { initBackend, selectBackend } from 'tfjs-wasm-train';
import { applyBatchNormUpdates, type BatchNormUpdate, type ForwardContext } from '../src/model/layers';

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

test('the official boundary channels (paper preset quirk) train: every parameter gets a finite gradient', async () => {
  await tf.setBackend('cpu');
  // Two stacks, so the second stack's input carries the x/y grids masked by the first stack's last heatmap.
  const cfg = modelConfig('cpu-tiny', { aam: true, stacks: 2, boundaryChannels: true });
  const m = buildHourglass(cfg, { seed: 5, scheme: WFLW98 });
  const x = tf.randomUniform([2, 64, 64, 3], -1, 1, 'float32', 2) as tf.Tensor4D;
  const ctx: ForwardContext = { training: true, bnUpdates: [] };
  const { value, grads } = tf.variableGrads(() => {
    const out = m.forward(x, ctx);
    return tf.add(tf.sum(out.heatmaps[1]), tf.sum(out.heatmaps[0])) as tf.Scalar;
  }, [...m.params.trainable.values()]);
  assert.ok(Number.isFinite((await value.data())[0]));
  for (const [name, g] of Object.entries(grads)) assert.ok((await g.data()).every(Number.isFinite), `non-finite gradient for ${name}`);
  tf.dispose([value, ...Object.values(grads), ...ctx.bnUpdates.flatMap((u) => [u.mean, u.variance])]);
  m.params.dispose();
});

for (const backend of ['cpu', 'wasm', 'host']) test(`upsample2x is nearest-neighbour x2 (JS reference) with the block-sum gradient on ${backend}`, async () => {
  if (backend === 'wasm') await initBackend({ quiet: true, backend: 'wasm-single' });
  if (backend === 'host') await selectBackend({ quiet: true, backend: 'host' });
  await tf.setBackend(backend);
  const { upsample2x } = await import('../src/model/layers');
  const [B, H, W, C] = [2, 3, 2, 2];
  const vals = Array.from({ length: B * H * W * C }, (_, i) => i);
  const x = tf.tensor4d(vals, [B, H, W, C]);
  const want: number[] = [];
  for (let b = 0; b < B; b++) for (let i = 0; i < 2 * H; i++) for (let j = 0; j < 2 * W; j++) for (let c = 0; c < C; c++) {
    want.push(vals[((b * H + (i >> 1)) * W + (j >> 1)) * C + c]);
  }
  assert.deepEqual(Array.from(await upsample2x(x).data()), want);
  // d/dx sum(w * up(x)) = sum of w over each 2x2 block.
  const w = tf.randomUniform([B, 2 * H, 2 * W, C], 0, 1, 'float32', 7);
  const g = tf.grad((v: tf.Tensor) => tf.sum(tf.mul(upsample2x(v as tf.Tensor4D), w)))(x);
  const blocks = tf.mul(tf.avgPool(w as tf.Tensor4D, 2, 2, 'valid'), 4);
  const d = await tf.max(tf.abs(tf.sub(g, blocks))).data();
  assert.ok(d[0] < 1e-5, `max gradient error ${d[0]}`);
});

test('coordConv equals a conv over the explicitly concatenated coordinate (and extra) channels, values and gradients', async () => {
  await tf.setBackend('cpu');
  const { coordConv, coordChannels } = await import('../src/model/layers');
  const x = tf.randomUniform([2, 9, 9, 4], -1, 1, 'float32', 1) as tf.Tensor4D;
  const extra = tf.randomUniform([2, 9, 9, 2], -1, 1, 'float32', 2) as tf.Tensor4D;
  const w = tf.variable(tf.randomUniform([3, 3, 4 + 3 + 2, 5], -1, 1, 'float32', 3));
  const b = tf.variable(tf.randomUniform([5], -1, 1, 'float32', 4));
  const ref = (xx: tf.Tensor4D) => tf.add(tf.conv2d(tf.concat([xx, tf.tile(coordChannels(9, 9), [2, 1, 1, 1]), extra], 3), w as tf.Tensor4D, 2, 'same'), b);
  const ours = (xx: tf.Tensor4D) => coordConv(xx, { w, b }, 2, 'same', extra);
  const rel = async (p: tf.Tensor, q: tf.Tensor) => {
    const [pa, qa] = [await p.data(), await q.data()];
    let num = 0, den = 0;
    for (let i = 0; i < pa.length; i++) { num += (pa[i] - qa[i]) ** 2; den += qa[i] ** 2; }
    return Math.sqrt(num / den);
  };
  assert.ok((await rel(ours(x), ref(x))) < 1e-6);
  const gw1 = tf.grad((v: tf.Tensor) => tf.sum(tf.square(coordConv(x, { w: v as tf.Variable, b }, 2, 'same', extra))))(w);
  const gw2 = tf.grad((v: tf.Tensor) => tf.sum(tf.square(tf.add(tf.conv2d(tf.concat([x, tf.tile(coordChannels(9, 9), [2, 1, 1, 1]), extra], 3), v as tf.Tensor4D, 2, 'same'), b))))(w);
  assert.ok((await rel(gw1, gw2)) < 1e-5);
  assert.throws(() => coordConv(x, { w, b }, 1, 'same'), /expected 4 \+ 3 coordinates \+ 0 extra/);
});

for (const backend of ['cpu', 'wasm']) test(`batch-norm running statistics: the host update gives the tf-op update's bits on ${backend}`, async () => {
  if (backend === 'wasm') await initBackend({ quiet: true, backend: 'wasm-single' });
  else await tf.setBackend('cpu');
  const run = (host: boolean) => {
    const v = (xs: number[]) => { const t = tf.tensor1d(xs); const r = tf.variable(t); t.dispose(); return r; };
    const params = { gamma: v([1, 1, 1, 1, 1]), beta: v([0, 0, 0, 0, 0]), mean: v([0.3, -1.7, 2.1, 0, 1e-3]), variance: v([1, 0.2, 3.3, 7.1, 1e-4]) };
    const ups: BatchNormUpdate[] = [
      { params, mean: tf.tensor1d([0.11, -0.2, 5.3, -1e-4, 0.7]), variance: tf.tensor1d([0.5, 2.9, 1e-6, 0.33, 4.4]), count: 2048 },
      { params, mean: tf.tensor1d([1, 2, 3, 4, 5]), variance: tf.tensor1d([0.1, 0.2, 0.3, 0.4, 0.5]), count: 1 },
    ];
    applyBatchNormUpdates(ups, { host });
    assert.ok(ups.every((u) => u.mean.isDisposed && u.variance.isDisposed), 'batch statistics disposed');
    const out = { mean: Array.from(params.mean.dataSync()), variance: Array.from(params.variance.dataSync()) };
    tf.dispose(Object.values(params));
    return out;
  };
  const before = tf.memory().numTensors;
  const host = run(true);
  const ops = run(false);
  assert.deepEqual(host, ops);
  // Spot value: 0.9·0.3 + 0.1·0.11 = 0.281, then 0.9·0.281 + 0.1·1.
  assert.ok(Math.abs(host.mean[0] - (0.9 * 0.281 + 0.1)) < 1e-6);
  assert.ok(Math.abs(host.variance[0] - (0.9 * (0.9 * 1 + 0.1 * 0.5 * 2048 / 2047) + 0.1 * 0.1)) < 1e-6);
  assert.equal(tf.memory().numTensors, before);
});
