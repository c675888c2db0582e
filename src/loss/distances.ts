/**
 * Element-wise distance functions d(e) used by STAR and the coordinate baselines, exactly as the official code
 * (docs/star-reference.md §1.4). Piecewise functions use tf.step masks (never tf.where(tf.less(...)) on a
 * differentiated input: its gradient throws "gradient function not found for Less" on cpu/wasm).
 */
import * as tf from '@tensorflow/tfjs-core';

export type DistanceName = 'smoothl1' | 'l1' | 'l2';

/** STAR's own smooth-L1 scale (lib/loss/smoothL1Loss.py). */
export const SMOOTHL1_SCALE = 0.01;

/**
 * STAR's smooth-L1 of a squared distance `sq = e²` (element-wise):
 * `sq / (2·scale)` if `sq < scale²`, else `sqrt(max(sq, 1e-6)) − scale/2`. Taking e² lets v1 apply it to the squared
 * Euclidean norm of a 2-D vector and v2 to squared scalars.
 */
export function smoothL1FromSquared(sq: tf.Tensor, scale = SMOOTHL1_SCALE): tf.Tensor {
  return tf.tidy(() => {
    const inner = tf.step(tf.sub(scale * scale, sq)); // 1 where sq < scale²
    const quad = tf.mul(sq, 0.5 / scale);
    const lin = tf.sub(tf.sqrt(tf.maximum(sq, 1e-6)), scale / 2);
    return tf.add(tf.mul(inner, quad), tf.mul(tf.sub(1, inner), lin));
  });
}

/** d(e) element-wise for a scalar error e. l1 = |e|, l2 = e² (F.mse_loss, no 1/2), smoothl1 = STAR's. */
export function distance(e: tf.Tensor, name: DistanceName): tf.Tensor {
  switch (name) {
    case 'l1':
      return tf.abs(e);
    case 'l2':
      return tf.square(e);
    case 'smoothl1':
      return smoothL1FromSquared(tf.square(e));
    default:
      throw new Error(`distance: unknown distance "${name as string}" (expected smoothl1 | l1 | l2)`);
  }
}

/** Official wing loss parameters (lib/loss/wingLoss.py): ω = 0.01, ε = 2. */
export const WING_DEFAULTS = { omega: 0.01, epsilon: 2 } as const;

/**
 * Wing loss (Feng et al. 2018) element-wise: `ω·ln(1 + |e|/ε)` if `|e| < ω`, else `|e| − C`,
 * `C = ω − ω·ln(1 + ω/ε)` (continuous at |e| = ω).
 */
export function wing(e: tf.Tensor, omega: number = WING_DEFAULTS.omega, epsilon: number = WING_DEFAULTS.epsilon): tf.Tensor {
  return tf.tidy(() => {
    const a = tf.abs(e);
    const inner = tf.step(tf.sub(omega, a));
    const c = omega - omega * Math.log(1 + omega / epsilon);
    const small = tf.mul(tf.log1p(tf.div(a, epsilon)), omega);
    const large = tf.sub(a, c);
    return tf.add(tf.mul(inner, small), tf.mul(tf.sub(1, inner), large));
  });
}
