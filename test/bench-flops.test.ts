import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { forwardFlops, profiledFlops } from '../bench/flops';

test('FLOP count of convolutions and matrix products from kernel shapes (hand-computed)', () => {
  assert.equal(forwardFlops([
    // 3×3 conv, 4 → 5 channels, 8×8 output, batch 2: 2 · (2·8·8·5) · (3·3·4)
    { name: 'Conv2D', inputShapes: [[2, 8, 8, 4], [3, 3, 4, 5]], outputShapes: [[2, 8, 8, 5]] },
    // A fused conv with bias counts the same way; a backprop kernel is not a forward pass.
    { name: 'WasmTrainConv2DBias', inputShapes: [[1, 4, 4, 2], [1, 1, 2, 3], [3]], outputShapes: [[1, 4, 4, 3]] },
    { name: 'Conv2DBackpropInput', inputShapes: [[4], [3, 3, 4, 5]], outputShapes: [[2, 8, 8, 4]] },
    // [2, 3, 7] × [2, 7, 4] (or any transpose of it): 2 · (2·3·4) · 7
    { name: 'BatchMatMul', inputShapes: [[2, 7, 3], [2, 7, 4]], outputShapes: [[2, 3, 4]] },
    { name: 'Relu', inputShapes: [[2, 8, 8, 5]], outputShapes: [[2, 8, 8, 5]] },
  ]), 2 * 640 * 36 + 2 * 48 * 2 + 2 * 24 * 7);
});

test('FLOPs of a profiled forward and backward pass on the cpu backend equal the closed form', async () => {
  await tf.setBackend('cpu');
  const x = tf.ones([2, 16, 16, 3]) as tf.Tensor4D;
  const f1 = tf.variable(tf.ones([3, 3, 3, 8]) as tf.Tensor4D);
  const f2 = tf.variable(tf.ones([1, 1, 8, 4]) as tf.Tensor4D);
  const w = tf.ones([4, 10]) as tf.Tensor2D;
  const before = tf.memory().numTensors;
  const forward = () => {
    const h = tf.relu(tf.conv2d(x, f1, 2, 'same')); // [2, 8, 8, 8]
    const g = tf.conv2d(h, f2, 1, 'valid'); // [2, 8, 8, 4]
    return tf.matMul(tf.reshape(g, [128, 4]), w); // [128, 10]
  };
  const conv1 = 2 * (2 * 8 * 8 * 8) * 27;
  const conv2 = 2 * (2 * 8 * 8 * 4) * 8;
  const mm = 2 * 1280 * 4;
  assert.equal(await profiledFlops(() => tf.tidy(() => { forward(); return []; })), conv1 + conv2 + mm);
  assert.equal(tf.memory().numTensors, before, 'the profiled run leaked');
  // Forward, then the gradients the tape needs for the filters: the matrix product's w.r.t. its left operand only (w is a
  // constant), conv2's input and filter gradients, conv1's filter gradient only (its input is not a variable).
  const step = await profiledFlops(() => tf.tidy(() => { tf.variableGrads(() => tf.sum(forward()) as tf.Scalar); return []; }));
  assert.equal(step, (conv1 + conv2 + mm) + mm + 2 * conv2 + conv1);
  tf.dispose([x, f1, f2, w]);
});

test('a convolution\'s gradients count the forward\'s FLOPs, read from whichever shapes each kernel records', async () => {
  const { convCallFlops } = await import('../bench/flops');
  const fwd = 2 * (2 * 8 * 8 * 5) * (3 * 3 * 4);
  assert.equal(convCallFlops({ name: 'Conv2D', inputShapes: [[2, 8, 8, 4], [3, 3, 4, 5]], outputShapes: [[2, 8, 8, 5]] }), fwd);
  assert.equal(convCallFlops({ name: 'Conv2DBackpropFilter', inputShapes: [[2, 8, 8, 4], [2, 8, 8, 5]], outputShapes: [[3, 3, 4, 5]] }), fwd);
  assert.equal(convCallFlops({ name: 'Conv2DBackpropInput', inputShapes: [[2, 8, 8, 5], [3, 3, 4, 5]], outputShapes: [[2, 8, 8, 4]] }), fwd);
  assert.equal(convCallFlops({ name: 'Relu', inputShapes: [[2, 8, 8, 5]], outputShapes: [[2, 8, 8, 5]] }), 0);
});
