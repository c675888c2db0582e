/**
 * Baseline losses next to STAR, with the same calling convention where it makes sense:
 * - heatmap losses compare `[B,H,W,N]` heatmaps with target heatmaps of the same shape: MSE, Adaptive Wing;
 * - coordinate losses decode the official mean (soft-argmax *without* softmax: μ = Σ h p / max(Σh, 1e-6)) and take
 *   STAR v2's structure minus the 1/√λ weights: d(e_x) + d(e_y) per landmark, mean over B×N.
 */
import * as tf from '@tensorflow/tfjs-core';
import { softArgmaxFromMeans } from '../geometry/decode';
import { EMPTY_MASS, heatmapDistribution, heatmapMoments } from '../geometry/distribution';
import { tidyObject } from '../util/tidy';
import { adaptiveWingHost, awingHostAvailable } from './awing-host';
import { DistanceName, distance, wing, WING_DEFAULTS } from './distances';

function sameShape(a: tf.Tensor, b: tf.Tensor, where: string): void {
  if (a.rank !== 4 || !tf.util.arraysEqual(a.shape, b.shape)) {
    throw new Error(`${where}: heatmaps [${a.shape}] and target heatmaps [${b.shape}] must both be [B, H, W, N] and equal`);
  }
}

/** Mean squared error between heatmaps and target heatmaps (e.g. Gaussians), mean over every element. */
export function heatmapMse(heatmaps: tf.Tensor4D, targets: tf.Tensor4D): tf.Scalar {
  sameShape(heatmaps, targets, 'heatmapMse');
  return tf.tidy(() => tf.mean(tf.squaredDifference(heatmaps, targets)) as tf.Scalar);
}

export interface AdaptiveWingOptions {
  /** Defaults are the official ones (lib/loss/awingLoss.py): ω = 14, θ = 0.5, ε = 1, α = 2.1. */
  omega?: number;
  theta?: number;
  epsilon?: number;
  alpha?: number;
  /** Weight map 1 + weight·[maxpool3x3(target) >= weightThreshold]; official weight 10, threshold 0.2. */
  weight?: number;
  weightThreshold?: number;
  /**
   * 'auto' (default): one fused kernel on the CPU backends (cpu, wasm, host; src/loss/awing-host.ts), tfjs ops elsewhere
   * (GPU); 'ops': always the tfjs ops; 'host': the fused kernel, an error where it is not registered.
   */
  implementation?: 'auto' | 'ops' | 'host';
}

export const ADAPTIVE_WING_DEFAULTS: Required<AdaptiveWingOptions> = {
  omega: 14, theta: 0.5, epsilon: 1, alpha: 2.1, weight: 10, weightThreshold: 0.2, implementation: 'auto',
};

/**
 * Adaptive Wing loss (Wang et al. 2019) on heatmaps with the official weight map, mean over every element.
 * The weight map depends only on the target (no gradient), so the wasm MaxPoolGrad bug does not matter here.
 */
export function adaptiveWing(heatmaps: tf.Tensor4D, targets: tf.Tensor4D, options: AdaptiveWingOptions = {}): tf.Scalar {
  sameShape(heatmaps, targets, 'adaptiveWing');
  const o = { ...ADAPTIVE_WING_DEFAULTS, ...options };
  if (!['auto', 'ops', 'host'].includes(o.implementation)) throw new Error(`adaptiveWing: implementation must be auto, ops or host, got "${o.implementation}"`);
  const fused = o.implementation !== 'ops' && awingHostAvailable();
  if (o.implementation === 'host' && !fused) throw new Error(`adaptiveWing: the fused kernel has no implementation on the "${tf.getBackend()}" backend (use implementation 'ops')`);
  if (fused) {
    const { omega, theta, epsilon, alpha, weight, weightThreshold } = o;
    return adaptiveWingHost(heatmaps, targets, { omega, theta, epsilon, alpha, weight, weightThreshold });
  }
  return tf.tidy(() => {
    const y = targets;
    const diff = tf.abs(tf.sub(y, heatmaps));
    const expo = tf.sub(o.alpha, y); // α − y > 0 for targets <= 1
    const small = tf.mul(tf.log1p(tf.pow(tf.div(diff, o.epsilon), expo)), o.omega);
    const te = o.theta / o.epsilon;
    const teP = tf.pow(tf.scalar(te), expo);
    // A = ω (α−y) (θ/ε)^(α−y−1) / (ε (1 + (θ/ε)^(α−y))), C = θA − ω ln(1 + (θ/ε)^(α−y)): continuous at diff = θ.
    const A = tf.div(tf.mul(tf.mul(expo, tf.pow(tf.scalar(te), tf.sub(expo, 1))), o.omega / o.epsilon), tf.add(1, teP));
    const C = tf.sub(tf.mul(A, o.theta), tf.mul(tf.log1p(teP), o.omega));
    const large = tf.sub(tf.mul(A, diff), C);
    const inner = tf.step(tf.sub(o.theta, diff)); // 1 where diff < θ
    const loss = tf.add(tf.mul(inner, small), tf.mul(tf.sub(1, inner), large));
    const pooled = tf.maxPool(y, 3, 1, 'same');
    const wmap = tf.add(tf.mul(tf.cast(tf.greaterEqual(pooled, o.weightThreshold), 'float32'), o.weight), 1);
    return tf.mean(tf.mul(loss, wmap)) as tf.Scalar;
  });
}

/**
 * Decoded coordinates (the soft-argmax of geometry/decode.ts, μ = Σ h p / max(Σh, 1e-6)) and the non-empty mask, each
 * `[B, N]`, differentiable through the fused backward of the heatmap moments (geometry/distribution.ts).
 */
export function decodeMean(heatmaps: tf.Tensor4D): { x: tf.Tensor2D; y: tf.Tensor2D; valid: tf.Tensor2D } {
  return tidyObject(() => {
    const m = heatmapMoments(heatmaps);
    return {
      ...softArgmaxFromMeans(m.mass, m.meanX, m.meanY),
      valid: tf.step(tf.sub(m.mass, EMPTY_MASS)) as tf.Tensor2D,
    };
  });
}

export type CoordDistance = DistanceName | 'wing';

export interface CoordLossOptions {
  /** Per-axis distance: 'l1' | 'l2' | 'smoothl1' (STAR's, scale 0.01) | 'wing' (official ω = 0.01, ε = 2). Default 'l1'. */
  distance?: CoordDistance;
  /** Optional per-landmark weights `[B, N]`; the mean still divides by B×N. */
  weights?: tf.Tensor2D;
  /**
   * Value term ω·(λ1 + λ2) of the predicted distribution per landmark (STAR's value restriction without its 1/√λ
   * re-weighting; λ1 + λ2 = tr Σ of the official unbiased covariance). The control that separates STAR's re-weighting
   * from plain variance shrinkage of the soft-argmax. Default 0 (off: the plain coordinate loss).
   */
  omega?: number;
}

/**
 * Coordinate loss on the decoded mean: mean over B×N of d(t_x − μ_x) + d(t_y − μ_y). Empty channels contribute 0.
 * Targets `[B, N, 2]` on the STAR grid.
 */
export function coordLoss(heatmaps: tf.Tensor4D, targets: tf.Tensor3D, options: CoordLossOptions = {}): tf.Scalar {
  const [B, , , N] = heatmaps.shape;
  if (heatmaps.rank !== 4 || targets.rank !== 3 || targets.shape[0] !== B || targets.shape[1] !== N || targets.shape[2] !== 2) {
    throw new Error(`coordLoss: heatmaps [${heatmaps.shape}] need targets [B, N, 2] = [${B}, ${N}, 2], got targets [${targets.shape}]`);
  }
  const w = options.weights;
  if (w && (w.rank !== 2 || w.shape[0] !== B || w.shape[1] !== N)) {
    throw new Error(`coordLoss: weights must be [${B}, ${N}] to match heatmaps [${heatmaps.shape}], got [${w.shape}]`);
  }
  const dist = options.distance ?? 'l1';
  if (!['l1', 'l2', 'smoothl1', 'wing'].includes(dist)) throw new Error(`coordLoss: unknown distance "${dist}"`);
  const omega = options.omega ?? 0;
  if (!(Number.isFinite(omega) && omega >= 0)) throw new Error(`coordLoss: omega must be a finite number >= 0, got ${omega}`);
  return tf.tidy(() => {
    const mu = decodeMean(heatmaps);
    const [tx, ty] = tf.unstack(targets, 2);
    const d = (e: tf.Tensor) => (dist === 'wing' ? wing(e, WING_DEFAULTS.omega, WING_DEFAULTS.epsilon) : distance(e, dist));
    let terms = tf.add(d(tf.sub(tx, mu.x)), d(tf.sub(ty, mu.y)));
    if (omega > 0) {
      const cov = heatmapDistribution(heatmaps);
      terms = tf.add(terms, tf.mul(tf.add(cov.covXX, cov.covYY), omega));
    }
    let per = tf.mul(terms, mu.valid);
    if (w) per = tf.mul(per, w);
    return tf.div(tf.sum(per), B * N) as tf.Scalar;
  });
}
