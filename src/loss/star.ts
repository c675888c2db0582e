/**
 * STAR loss (Zhou et al., CVPR 2023), an exact port of the official `STARLoss_v2` (default) and `STARLoss` (v1)
 * on NHWC heatmaps, plus the paper's two eigenvalue restrictions (docs/star-reference.md §1).
 *
 * v2, per landmark, with e = target − μ and (λ, v) the eigen-pairs of the heatmap covariance:
 *   L = d(v_min·e)/√(λ_min + 1e-5) + d(v_max·e)/√(λ_max + 1e-5) + ω·(|λ_min| + |λ_max|)
 * v1 whitens first, e' = (v_min·e, v_max·e)/√(λ + 1e-5), then smooth-L1 of |e'| (2-D norm) or the mean of the two
 * l1 / l2 components. Both reduce by the mean over B×N.
 *
 * Restrictions:
 * - value restriction: the ω·(|λ1|+|λ2|) term (official `star_w`, default 1; 0 = off).
 * - detach restriction: NOT in the official code and its formula is not available; this is OUR interpretation:
 *   'eigenvalues' stops the gradient through λ inside the 1/√λ weights only; 'decomposition' also stops it through
 *   the eigenvectors used for the projection. μ always keeps its gradient, and the value term always keeps its
 *   gradient through λ (so value + detach differs from detach alone).
 *
 * Deviations from the official code, all where the official code returns NaN or fails:
 * - the loss is scale-free: each channel is divided by its mass Σh, not by max(Σh, 1e-6) (geometry/distribution.ts);
 *   the same below a mass of 1e-6, where the official distribution degenerates (NaN below ~3e-9). Scale invariance
 *   over 1e-30…1e30 is tested on every implementation (test/loss-star-scale.test.ts);
 * - empty channels (Σh <= 1e-32) give zero loss and zero gradient (official: NaN gradient), still counted in the mean;
 * - heatmaps with one row or column (1×1, 1×W, H×1) are an error naming the shape on every implementation (the grid
 *   x_j = 2j/(W−1) − 1 is undefined there);
 * - λ is clamped at −ε/2 where it enters √(λ + 1e-5) (official: NaN for λ < −1e-5, which only happens for non-PSD
 *   input), and the value term is ω·(|λ + ε/2| − ε/2), |λ| for every λ >= 0: the kinks sit off 0 so that a
 *   near-rank-1 covariance, whose λmin is 0 only to within rounding, gets the same gradient on every implementation
 *   (the ill-conditioned regime, star-options.ts EIGEN_KINK);
 * - near isotropy the eigenvector gradient has a 1/(λmax − λmin) factor. The default fused kernel
 *   (star-kernel.ts) writes the smooth part of that term (l2, quadratic smooth-L1 branch, v1 smooth-L1/l2) in
 *   closed divided-difference form, exact and finite at isotropy; only the non-smooth part (l1, linear smooth-L1
 *   branch) is bounded as in geometry/eigen2x2.ts. There the v2 loss itself depends on the arbitrary eigenbasis
 *   at exact isotropy (here the x/y axes). `implementation: 'autodiff'` bounds the whole term (see eigen2x2.ts).
 *
 * Performance ([2,64,64,98] fwd+bwd on wasm): heatmap moments via grid-vector matmuls with a fused backward
 * (geometry/distribution.ts) and the fused per-landmark kernel; the naive broadcast-multiply autodiff version was
 * 4-8x slower in the same runs (bench/star-loss.ts).
 */
import * as tf from '@tensorflow/tfjs-core';
import { assertValidHeatmaps, COV_EPS, heatmapDistributionEigen, heatmapMomentsPacked } from '../geometry/distribution';
import { tidyObject } from '../util/tidy';
import { distance, smoothL1FromSquared } from './distances';
import { EIGEN_KINK, resolveOptions, type StarKernelConfig, type StarLossOptions } from './star-options';
import { starKernel } from './star-kernel';
import { hostMomentsPacked, starHostAvailable, starHostKernel } from './star-host';

/** Per-landmark pieces of the STAR loss, each `[B, N]` (for analysis and tests). */
export interface StarDecomposition {
  meanX: tf.Tensor2D;
  meanY: tf.Tensor2D;
  lambdaMin: tf.Tensor2D;
  lambdaMax: tf.Tensor2D;
  /** Angle of the λmax eigenvector (radians). */
  theta: tf.Tensor2D;
  /** v_min·e and v_max·e with e = target − μ. */
  errorMin: tf.Tensor2D;
  errorMax: tf.Tensor2D;
  /** Transformation part (distance terms) and value-restriction part, per landmark, before weights/valid. */
  transform: tf.Tensor2D;
  value: tf.Tensor2D;
  /** 1 for non-empty channels. */
  valid: tf.Tensor2D;
  /** The per-landmark loss actually averaged: (transform + value) · valid · weights. */
  total: tf.Tensor2D;
}

/** Identity with zero gradient (tfjs-core has no stopGradient op). */
const stopGradient = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => ({
  value: tf.clone(args[0] as tf.Tensor),
  gradFunc: (dy: tf.Tensor) => [tf.zerosLike(dy)],
}));

/** The shape contract every implementation shares (host, fused and autodiff give the same errors). */
function checkShapes(heatmaps: tf.Tensor, targets: tf.Tensor, weights: tf.Tensor | undefined, where: string): void {
  if (heatmaps.rank !== 4) throw new Error(`${where}: heatmaps must be [B, H, W, N] (NHWC), got [${heatmaps.shape}]`);
  const [B, H, W, N] = heatmaps.shape;
  if (H < 2 || W < 2) throw new Error(`${where}: heatmaps need H, W >= 2 for the STAR grid (x_j = 2j/(W−1) − 1), got [${heatmaps.shape}]`);
  if (targets.rank !== 3 || targets.shape[0] !== B || targets.shape[1] !== N || targets.shape[2] !== 2) {
    throw new Error(`${where}: targets must be [B, N, 2] = [${B}, ${N}, 2] to match heatmaps [${heatmaps.shape}], got targets [${targets.shape}]`);
  }
  if (weights && (weights.rank !== 2 || weights.shape[0] !== B || weights.shape[1] !== N)) {
    throw new Error(`${where}: weights must be [B, N] = [${B}, ${N}] to match heatmaps [${heatmaps.shape}], got weights [${weights.shape}]`);
  }
}

/**
 * `validate: true`: every heatmap entry finite and non-negative with a finite channel mass, every target and weight
 * finite; the error names the tensor and the position (one host read per tensor).
 */
function validateInputs(heatmaps: tf.Tensor4D, targets: tf.Tensor3D, weights: tf.Tensor2D | undefined): void {
  assertValidHeatmaps(heatmaps, 'starLoss');
  const finite = (t: tf.Tensor, name: string, axes: string[]) => {
    const v = t.dataSync();
    const k = v.findIndex((x) => !Number.isFinite(x));
    if (k < 0) return;
    const at = axes.map((a, d) => `${a}=${Math.floor(k / t.shape.slice(d + 1).reduce((p, q) => p * q, 1)) % t.shape[d]}`);
    throw new Error(`starLoss: ${name} value ${v[k]} at [${at.join(', ')}] is not finite`);
  };
  finite(targets, 'targets', ['b', 'n', 'xy']);
  if (weights) finite(weights, 'weights', ['b', 'n']);
}

/** Per-landmark STAR loss and its pieces. Heatmaps `[B,H,W,N]`, targets `[B,N,2]` (x, y) on the STAR grid. */
export function starDecomposition(heatmaps: tf.Tensor4D, targets: tf.Tensor3D, options: StarLossOptions = {}): StarDecomposition {
  checkShapes(heatmaps, targets, options.weights, 'starLoss');
  const o = resolveOptions(options);
  if (o.validate) validateInputs(heatmaps, targets, options.weights);
  return tidyObject(() => decompose(heatmaps, targets, o));
}

function decompose(heatmaps: tf.Tensor4D, targets: tf.Tensor3D, o: ReturnType<typeof resolveOptions>): StarDecomposition {
  const d = heatmapDistributionEigen(heatmaps, { isotropyEps: o.isotropyEps });
  let lmin: tf.Tensor = d.lambdaMin;
  let lmax: tf.Tensor = d.lambdaMax;
  if (o.eigenvalueClamp) {
    lmin = tf.clipByValue(lmin, o.eigenvalueClamp[0], o.eigenvalueClamp[1]);
    lmax = tf.clipByValue(lmax, o.eigenvalueClamp[0], o.eigenvalueClamp[1]);
  }
  const [tx, ty] = tf.unstack(targets, 2);
  const ex = tf.sub(tx, d.meanX);
  const ey = tf.sub(ty, d.meanY);
  const theta = o.detach === 'decomposition' ? stopGradient(d.theta) : d.theta;
  const cs = tf.cos(theta);
  const sn = tf.sin(theta);
  const errorMax = tf.add(tf.mul(cs, ex), tf.mul(sn, ey)) as tf.Tensor2D;
  const errorMin = tf.sub(tf.mul(cs, ey), tf.mul(sn, ex)) as tf.Tensor2D;
  // Weights 1/√(λ + ε), λ clamped at −ε/2 (star-options.ts EIGEN_KINK), optionally detached.
  const floor = (l: tf.Tensor) => tf.sub(tf.relu(tf.add(l, EIGEN_KINK)), EIGEN_KINK);
  let wlmin: tf.Tensor = floor(lmin);
  let wlmax: tf.Tensor = floor(lmax);
  if (o.detach !== 'none') {
    wlmin = stopGradient(wlmin);
    wlmax = stopGradient(wlmax);
  }
  const sMin = tf.sqrt(tf.add(wlmin, COV_EPS));
  const sMax = tf.sqrt(tf.add(wlmax, COV_EPS));
  let transform: tf.Tensor;
  if (o.variant === 'v2') {
    transform = tf.add(tf.div(distance(errorMin, o.distance), sMin), tf.div(distance(errorMax, o.distance), sMax));
  } else {
    const wMin = tf.div(errorMin, sMin);
    const wMax = tf.div(errorMax, sMax);
    if (o.distance === 'smoothl1') transform = smoothL1FromSquared(tf.add(tf.square(wMin), tf.square(wMax)));
    else transform = tf.mul(tf.add(distance(wMin, o.distance), distance(wMax, o.distance)), 0.5);
  }
  const absShifted = (l: tf.Tensor) => tf.sub(tf.abs(tf.add(l, EIGEN_KINK)), EIGEN_KINK);
  const value = o.omega === 0 ? tf.zerosLike(transform) : tf.mul(tf.add(absShifted(lmin), absShifted(lmax)), o.omega);
  let total = tf.mul(tf.add(transform, value), d.valid);
  if (o.weights) total = tf.mul(total, o.weights);
  return {
    meanX: d.meanX,
    meanY: d.meanY,
    lambdaMin: lmin as tf.Tensor2D,
    lambdaMax: lmax as tf.Tensor2D,
    theta: d.theta,
    errorMin,
    errorMax,
    transform: transform as tf.Tensor2D,
    value: value as tf.Tensor2D,
    valid: d.valid,
    total: total as tf.Tensor2D,
  };
}

/** Per-landmark STAR loss `[B, N]` (already multiplied by valid and weights). */
export function starLossPerLandmark(heatmaps: tf.Tensor4D, targets: tf.Tensor3D, options: StarLossOptions = {}): tf.Tensor2D {
  checkShapes(heatmaps, targets, options.weights, 'starLoss');
  const o = resolveOptions(options);
  if (o.implementation === 'autodiff') return tf.tidy(() => starDecomposition(heatmaps, targets, options).total);
  if (o.validate) validateInputs(heatmaps, targets, options.weights);
  const host = o.implementation === 'host' || (o.implementation === 'auto' && starHostAvailable());
  if (host && !starHostAvailable()) {
    throw new Error(`starLoss: implementation 'host' needs the cpu, wasm or host backend, the active backend is '${tf.getBackend()}'`);
  }
  return tf.tidy(() => {
    const cfg: StarKernelConfig = {
      variant: o.variant, distance: o.distance, omega: o.omega, detach: o.detach,
      eigenvalueClamp: o.eigenvalueClamp, isotropyEps: o.isotropyEps,
    };
    const per = host
      ? starHostKernel(hostMomentsPacked(heatmaps), targets, cfg)
      : starKernel(heatmapMomentsPacked(heatmaps), targets, cfg);
    return (o.weights ? tf.mul(per, o.weights) : per) as tf.Tensor2D;
  });
}

/**
 * STAR loss: mean over B×N of the per-landmark loss. Heatmaps `[B,H,W,N]` (non-negative), targets `[B,N,2]` as
 * (x, y) on the STAR grid of the heatmap (no coordinate conversion happens here).
 */
export function starLoss(heatmaps: tf.Tensor4D, targets: tf.Tensor3D, options: StarLossOptions = {}): tf.Scalar {
  return tf.tidy(() => {
    const per = starLossPerLandmark(heatmaps, targets, options);
    return tf.div(tf.sum(per), per.size) as tf.Scalar;
  });
}

/** What the loss layer contributes to a run's environment record: which STAR implementation 'auto' resolves to here. */
export function starLossEnvironment(): { starLossKernels: 'host' | 'fused' } {
  return { starLossKernels: starHostAvailable() ? 'host' : 'fused' };
}
