/** Leak check shared by the kernel tests: tensors and backend buffers stay flat over repeated calls. */
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';

/** The active backend's live data ids (wasm, host and cpu backends all expose numDataIds). */
const dataIds = (): number => (tf.backend() as unknown as { numDataIds(): number }).numDataIds();

/**
 * Run `step` once to warm up (kernel caches, lazily created buffers), then `repeats` times: the live tensor count
 * and the backend's data ids must come back to where they were after the first call.
 */
export function assertNoLeaks(step: () => void, repeats = 10): void {
  step();
  const tensors = tf.memory().numTensors;
  const ids = dataIds();
  for (let i = 0; i < repeats; i++) step();
  assert.equal(tf.memory().numTensors, tensors, 'tensors leaked');
  assert.equal(dataIds(), ids, 'backend buffers leaked');
}
