/**
 * Gradients of Mean and Sum as one broadcast copy. tfjs-core builds them as `dy · ones(x.shape)` (÷ n for Mean):
 * a full-size Fill, a broadcast Multiply and (Mean) a full-size RealDiv. tile(dy ÷ n) gives bitwise the same values
 * (multiplying by 1 is exact) with one pass at memcpy speed on our block-copy Tile. Installed with the 'all' set.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { GradConfig, NamedAttrMap } from '@tensorflow/tfjs-core';

function broadcastGrad(kernelName: 'Mean' | 'Sum'): GradConfig {
  return {
    kernelName,
    inputsToSave: ['x'],
    gradFunc: (dy: tf.Tensor | tf.Tensor[], saved: tf.Tensor[], attrs: NamedAttrMap) => {
      const [x] = saved;
      const axes = tf.util.parseAxisParam((attrs as { axis: number | number[] }).axis, x.shape);
      return {
        x: () => {
          const kept = x.shape.map((d, i) => (axes.includes(i) ? 1 : d));
          const reps = x.shape.map((d, i) => (axes.includes(i) ? d : 1));
          let g = tf.reshape(dy as tf.Tensor, kept);
          if (kernelName === 'Mean') {
            const n = axes.reduce((p, a) => p * x.shape[a], 1);
            g = tf.div(g, n);
          } else if (g.dtype !== 'float32') {
            g = tf.cast(g, 'float32');
          }
          return tf.tile(g, reps);
        },
      };
    },
  };
}

export const leanMeanGrad = (): GradConfig => broadcastGrad('Mean');
export const leanSumGrad = (): GradConfig => broadcastGrad('Sum');
