/**
 * Element-wise distance functions d(e) used by STAR and the coordinate baselines, exactly as the official code
 * (docs/star-reference.md §1.4), and the derivative factors the hand-written STAR backwards need: the one home of
 * these formulas and their constants. Each comes as a tensor function and as a float64 scalar twin (`…Scalar`, the
 * host kernels' plain loops), written side by side with the same operations in the same order.
 * Piecewise functions use tf.step masks (never tf.where(tf.less(...)) on a differentiated input: its gradient throws
 * "gradient function not found for Less" on cpu/wasm).
 */
import * as tf from '@tensorflow/tfjs-core';

export type DistanceName = 'smoothl1' | 'l1' | 'l2';

/** STAR's own smooth-L1 scale (lib/loss/smoothL1Loss.py). */
export const SMOOTHL1_SCALE = 0.01;
/** Floor under the square root of smooth-L1's linear branch (official). */
const SMOOTHL1_SQRT_FLOOR = 1e-6;
/** Floor under |e| in l1's ρ = 1/|e| (ρ·e is then sign(e), 0 at e = 0). */
const L1_RHO_FLOOR = 1e-30;

/**
 * STAR's smooth-L1 of a squared distance `sq = e²` (element-wise):
 * `sq / (2·scale)` if `sq < scale²`, else `sqrt(max(sq, 1e-6)) − scale/2`. Taking e² lets v1 apply it to the squared
 * Euclidean norm of a 2-D vector and v2 to squared scalars.
 */
export function smoothL1FromSquared(sq: tf.Tensor, scale = SMOOTHL1_SCALE): tf.Tensor {
  return tf.tidy(() => {
    const inner = tf.step(tf.sub(scale * scale, sq)); // 1 where sq < scale²
    const quad = tf.mul(sq, 0.5 / scale);
    const lin = tf.sub(tf.sqrt(tf.maximum(sq, SMOOTHL1_SQRT_FLOOR)), scale / 2);
    return tf.add(tf.mul(inner, quad), tf.mul(tf.sub(1, inner), lin));
  });
}

export function smoothL1FromSquaredScalar(sq: number, scale = SMOOTHL1_SCALE): number {
  return sq < scale * scale ? sq * (0.5 / scale) : Math.sqrt(Math.max(sq, SMOOTHL1_SQRT_FLOOR)) - scale / 2;
}

/** d smoothL1FromSquared / d sq (0 below the floor, where the clamped square root is constant). */
export function smoothL1FromSquaredGrad(sq: tf.Tensor, scale = SMOOTHL1_SCALE): tf.Tensor {
  return tf.tidy(() => {
    const inner = tf.step(tf.sub(scale * scale, sq));
    const lin = tf.mul(tf.step(tf.sub(sq, SMOOTHL1_SQRT_FLOOR)), tf.div(0.5, tf.sqrt(tf.maximum(sq, SMOOTHL1_SQRT_FLOOR))));
    return tf.add(tf.mul(inner, 0.5 / scale), tf.mul(tf.sub(1, inner), lin));
  });
}

export function smoothL1FromSquaredGradScalar(sq: number, scale = SMOOTHL1_SCALE): number {
  return sq < scale * scale ? 0.5 / scale : (sq - SMOOTHL1_SQRT_FLOOR > 0 ? 1 : 0) * (0.5 / Math.sqrt(Math.max(sq, SMOOTHL1_SQRT_FLOOR)));
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

export function distanceScalar(e: number, name: DistanceName): number {
  if (name === 'l1') return Math.abs(e);
  if (name === 'l2') return e * e;
  return smoothL1FromSquaredScalar(e * e);
}

/** ρ(e) with d'(e) = ρ(e)·e, element-wise (smooth where d is: finite at e = 0 for l2 and smooth-L1). */
export function distanceRho(e: tf.Tensor, name: DistanceName): tf.Tensor {
  return tf.tidy(() => {
    if (name === 'l2') return tf.fill(e.shape, 2);
    if (name === 'l1') return tf.div(1, tf.maximum(tf.abs(e), L1_RHO_FLOOR));
    const sq = tf.square(e);
    const inner = tf.step(tf.sub(SMOOTHL1_SCALE * SMOOTHL1_SCALE, sq));
    return tf.add(tf.mul(inner, 1 / SMOOTHL1_SCALE), tf.mul(tf.sub(1, inner), tf.div(1, tf.sqrt(tf.maximum(sq, SMOOTHL1_SQRT_FLOOR)))));
  });
}

export function distanceRhoScalar(e: number, name: DistanceName): number {
  if (name === 'l2') return 2;
  if (name === 'l1') return 1 / Math.max(Math.abs(e), L1_RHO_FLOOR);
  const sq = e * e;
  return sq < SMOOTHL1_SCALE * SMOOTHL1_SCALE ? 1 / SMOOTHL1_SCALE : 1 / Math.sqrt(Math.max(sq, SMOOTHL1_SQRT_FLOOR));
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
