/**
 * Hand-made heatmaps for the loss-anatomy notebook: a Gaussian with a chosen mean and covariance drawn on the STAR
 * grid of an H x W heatmap (coords.ts `gridAxis`), so the loss sees exactly the distribution we design.
 */
import * as tf from '@tensorflow/tfjs-core';
import { gridAxis } from '../geometry/coords';

/** A 2-D Gaussian on the STAR grid, given by its principal axes (grid units, the loss's own units). */
export interface GaussianSpec {
  /** Mean (x, y) on the STAR grid, in [-1, 1]. */
  mean: [number, number];
  /** Variances along the major and minor axis (grid units², > 0). */
  lambdaMax: number;
  lambdaMin: number;
  /** Angle of the major axis, radians, x to the right, y down (image axes). Default 0. */
  theta?: number;
}

/** Covariance entries of a principal-axis description: Σ = λmax v vᵀ + λmin u uᵀ with v = (cos θ, sin θ). */
export function covarianceFromAxes(lambdaMax: number, lambdaMin: number, theta = 0): { xx: number; xy: number; yy: number } {
  const c = Math.cos(theta);
  const s = Math.sin(theta);
  return { xx: lambdaMax * c * c + lambdaMin * s * s, xy: (lambdaMax - lambdaMin) * c * s, yy: lambdaMax * s * s + lambdaMin * c * c };
}

function checkSpec(g: GaussianSpec, where: string): void {
  const ok = (v: unknown) => typeof v === 'number' && Number.isFinite(v);
  if (!Array.isArray(g.mean) || g.mean.length !== 2 || !g.mean.every(ok)) throw new Error(`${where}: mean must be [x, y] finite numbers, got ${JSON.stringify(g.mean)}`);
  if (!ok(g.lambdaMax) || !ok(g.lambdaMin) || g.lambdaMin <= 0 || g.lambdaMax < g.lambdaMin) {
    throw new Error(`${where}: need 0 < lambdaMin <= lambdaMax (grid units²), got lambdaMin ${g.lambdaMin}, lambdaMax ${g.lambdaMax}`);
  }
  if (g.theta !== undefined && !ok(g.theta)) throw new Error(`${where}: theta must be a finite angle in radians, got ${g.theta}`);
}

/**
 * Unnormalised Gaussian exp(−½ dᵀΣ⁻¹d) on a `size` x `size` STAR grid, row-major (row = y). Peak 1 at the mean
 * (when it sits on a pixel centre); the loss normalises by the sum itself, so the scale does not matter.
 */
export function gaussianHeatmap(size: number, g: GaussianSpec): Float32Array {
  if (!Number.isInteger(size) || size < 2) throw new Error(`gaussianHeatmap: size must be an integer >= 2, got ${size}`);
  checkSpec(g, 'gaussianHeatmap');
  const { xx, xy, yy } = covarianceFromAxes(g.lambdaMax, g.lambdaMin, g.theta ?? 0);
  const det = xx * yy - xy * xy;
  const [ixx, ixy, iyy] = [yy / det, -xy / det, xx / det];
  const axis = gridAxis(size);
  const out = new Float32Array(size * size);
  for (let i = 0; i < size; i++) {
    const dy = axis[i] - g.mean[1];
    for (let j = 0; j < size; j++) {
      const dx = axis[j] - g.mean[0];
      out[i * size + j] = Math.exp(-0.5 * (ixx * dx * dx + 2 * ixy * dx * dy + iyy * dy * dy));
    }
  }
  return out;
}

/** Several Gaussians as one NHWC batch `[B, size, size, 1]` (one landmark channel per image). */
export function gaussianHeatmaps(size: number, specs: GaussianSpec[]): tf.Tensor4D {
  if (specs.length === 0) throw new Error('gaussianHeatmaps: no Gaussians given');
  const data = new Float32Array(specs.length * size * size);
  specs.forEach((g, b) => data.set(gaussianHeatmap(size, g), b * size * size));
  return tf.tensor4d(data, [specs.length, size, size, 1]);
}
