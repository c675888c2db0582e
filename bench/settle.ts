/**
 * Wait for a loss's forward + backward to have run, without timing a copy of the gradient.
 *
 * Why not `grad.dataSync()` or a one-element `tf.slice(...).dataSync()`: on wasm both copy the WHOLE tensor out of the
 * module heap (`readSync` slices the heap, and the Slice kernel reads its full input through `readSync`). On a
 * [8,32,32,98] heatmap gradient that copy alone measured 2.2 ms (tf.profile), more than the STAR loss's own kernels, and
 * it was timed into every loss measurement. A training step never makes it. On cpu and wasm every kernel has run by
 * the time its op returns, so reading the scalar loss (4 bytes) is enough; elsewhere the gradient is reduced on the
 * device first, so its kernels are forced too.
 */
import * as tf from '@tensorflow/tfjs-core';
import { HOST_BACKENDS } from 'tfjs-wasm-train';

export function settle(value: tf.Tensor, grads: tf.Tensor[] = []): void {
  value.dataSync();
  if ((HOST_BACKENDS as readonly string[]).includes(tf.getBackend())) return;
  tf.tidy(() => grads.forEach((g) => tf.sum(g).dataSync()));
}
