/** Micro-benchmark: stock vs our wasm kernels (min and median ms of 15) on hourglass-sized tensors. node --import tsx bench/kernel-micro.ts */
import * as tf from '@tensorflow/tfjs-core';
import { selectBackend } from '../src/backend';
import { registerWasmTrainingKernels } from '../src/kernels/register';
(async () => {
  await selectBackend({ backend: 'wasm-single', quiet: true });
  const x = tf.randomUniform([8, 64, 64, 64]);
  const c = tf.randomUniform([1, 1, 1, 64]);
  const time = (name: string, f: () => tf.Tensor) => {
    for (let i = 0; i < 3; i++) f().dispose();
    const ts: number[] = [];
    for (let i = 0; i < 15; i++) { const t0 = performance.now(); const r = f(); r.dataSync(); ts.push(performance.now() - t0); r.dispose(); }
    ts.sort((a, b) => a - b);
    console.log(name.padEnd(30), ts[0].toFixed(2), ts[7].toFixed(2));
  };
  for (const set of ['conv', 'all'] as const) {
    registerWasmTrainingKernels(set);
    console.log('--', set);
    time('tile', () => tf.tile(c, [8, 64, 64, 1]));
    time('sum012', () => tf.sum(x, [0, 1, 2]));
    time('mean12', () => tf.mean(x, [1, 2], true));
    time('mul bcast', () => tf.mul(x, c));
    time('mul same', () => tf.mul(x, x));
    time('sub bcast', () => tf.sub(x, c));
  }
})();
