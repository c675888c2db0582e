import * as tf from '@tensorflow/tfjs-core';

/** tf.tidy for functions returning a plain object of tensors (keeps the returned tensors, disposes the rest). */
export function tidyObject<R extends object>(fn: () => R): R {
  return tf.tidy(() => fn() as unknown as tf.TensorContainer) as unknown as R;
}
