/**
 * The "abnormal change" experiment of notebook 01: a free, non-negative heatmap (one tf.Variable, no network)
 * optimised with the STAR loss towards a cloud of ambiguous labels, under different eigenvalue restrictions.
 *
 * Why a cloud of labels: with one exact target the mean reaches it and the loss vanishes. With annotator scatter
 * (many labels for the same point, spread along a tangent), the mean cannot sit on every label, the projected errors
 * stay non-zero, and 1/√λ rewards inflating λ for ever unless something restricts it. That is what the value
 * restriction (ω·Σλ) and our detach restriction (no gradient through λ in the 1/√λ weights) are for.
 */
import * as tf from '@tensorflow/tfjs-core';
import { starLoss } from '../loss/star';
import type { StarLossOptions } from '../loss/star-options';
import { heatmapDistributionEigen } from '../geometry/distribution';
import { Rng } from '../util/random';
import { gaussianHeatmap, type GaussianSpec } from './gaussian';

export interface FreeHeatmapVariant {
  /** Legend label, e.g. 'ω = 0 (no restriction)'. */
  label: string;
  /** STAR options of this variant (omega, detach, distance...). */
  star: Omit<StarLossOptions, 'weights' | 'validate'>;
}

export interface FreeHeatmapOptions {
  /** Heatmap side (STAR grid). Default 32. */
  size?: number;
  /** Initial heatmap (a Gaussian). Default: centred, isotropic, λ = 0.004 (σ ≈ 2 px at 32). */
  init?: GaussianSpec;
  /** Label cloud: `count` labels around `center`, std `sigmaTangent` along `tangentAngle`, `sigmaNormal` across. */
  labels?: { center?: [number, number]; count?: number; sigmaTangent?: number; sigmaNormal?: number; tangentAngle?: number; seed?: number };
  /** 'softplus' (default: smooth, mass can grow anywhere) or 'relu' (exact zeros stay dead) parametrisation. */
  parametrisation?: 'softplus' | 'relu';
  /** Adam steps and learning rate. Defaults 300 and 0.05. */
  steps?: number;
  learningRate?: number;
  /** Record every this many steps (and the first and last). Default 10. */
  recordEvery?: number;
}

export const FREE_HEATMAP_DEFAULTS = {
  size: 32,
  init: { mean: [0, 0], lambdaMax: 0.004, lambdaMin: 0.004, theta: 0 } as GaussianSpec,
  labels: { center: [0, 0] as [number, number], count: 16, sigmaTangent: 0.08, sigmaNormal: 0.01, tangentAngle: 0, seed: 1 },
  parametrisation: 'softplus' as 'softplus' | 'relu',
  steps: 300,
  learningRate: 0.05,
  recordEvery: 10,
};

export interface FreeHeatmapRecord {
  step: number;
  loss: number;
  lambdaMin: number;
  lambdaMax: number;
  /** Angle of the major axis (radians). */
  theta: number;
  meanX: number;
  meanY: number;
}

export interface FreeHeatmapResult {
  label: string;
  trajectory: FreeHeatmapRecord[];
  /** Final heatmap, normalised to sum 1, row-major `size` x `size`. */
  finalHeatmap: number[][];
  /** The label cloud the heatmap was fitted to (STAR grid). */
  labels: [number, number][];
  /** Sample scatter of the labels (biased, grid units²) along their tangent and normal: what a calibrated λ would be. */
  labelVariance: { tangent: number; normal: number };
}

/** The label cloud: deterministic (seeded), in grid units. */
export function labelCloud(o: FreeHeatmapOptions['labels'] = {}): [number, number][] {
  const l = { ...FREE_HEATMAP_DEFAULTS.labels, ...o };
  if (!Number.isInteger(l.count) || l.count < 1) throw new Error(`labelCloud: labels.count must be a positive integer, got ${l.count}`);
  const rng = new Rng(l.seed);
  const c = Math.cos(l.tangentAngle);
  const s = Math.sin(l.tangentAngle);
  return Array.from({ length: l.count }, (): [number, number] => {
    const a = rng.normal() * l.sigmaTangent;
    const b = rng.normal() * l.sigmaNormal;
    return [l.center[0] + a * c - b * s, l.center[1] + a * s + b * c];
  });
}

/**
 * Floor added to the initial map before inverting softplus, so every pixel starts alive (non-zero gradient) yet
 * carries negligible mass (1e-5 per pixel vs a peak of 1: <1% of the mass of the default map).
 */
const SOFTPLUS_FLOOR = 1e-5;

function inverseSoftplus(y: number): number {
  // log(e^y − 1), stable for small and large y.
  return y > 20 ? y : Math.log(Math.expm1(Math.max(y, 1e-12)));
}

/** Optimise one free heatmap with the STAR loss (one variant). Returns the eigenvalue trajectory and final map. */
export function optimiseFreeHeatmap(variant: FreeHeatmapVariant, options: FreeHeatmapOptions = {}): FreeHeatmapResult {
  const o = { ...FREE_HEATMAP_DEFAULTS, ...options, labels: { ...FREE_HEATMAP_DEFAULTS.labels, ...options.labels } };
  if (!Number.isInteger(o.steps) || o.steps < 1) throw new Error(`optimiseFreeHeatmap: steps must be a positive integer, got ${o.steps}`);
  if (!(o.learningRate > 0)) throw new Error(`optimiseFreeHeatmap: learningRate must be > 0, got ${o.learningRate}`);
  if (o.parametrisation !== 'softplus' && o.parametrisation !== 'relu') {
    throw new Error(`optimiseFreeHeatmap: parametrisation must be 'softplus' | 'relu', got "${o.parametrisation}"`);
  }
  const S = o.size;
  const labels = labelCloud(o.labels);
  const K = labels.length;
  // Initial map scaled so its peak is 1; softplus is inverted on it (+ a small floor so every pixel can grow).
  const g = gaussianHeatmap(S, o.init);
  const z0 = Float32Array.from(g, (v) => (o.parametrisation === 'softplus' ? inverseSoftplus(v + SOFTPLUS_FLOOR) : v));
  const z0t = tf.tensor4d(z0, [1, S, S, 1]);
  // tf.variable shares z0t's data but z0t still counts as a tensor: dispose it once the variable holds the data.
  const z = tf.variable(z0t, true, `free-heatmap-${Math.random().toString(36).slice(2)}`);
  z0t.dispose();
  const targets = tf.tensor3d(labels.flatMap((p) => p), [K, 1, 2]);
  const heat = (): tf.Tensor4D => {
    const h = o.parametrisation === 'softplus' ? tf.softplus(z) : tf.relu(z);
    return tf.tile(h, [K, 1, 1, 1]) as tf.Tensor4D;
  };
  const optimizer = tf.train.adam(o.learningRate);
  const trajectory: FreeHeatmapRecord[] = [];
  const record = (step: number, loss: number) => {
    const st = tf.tidy(() => {
      const h = o.parametrisation === 'softplus' ? tf.softplus(z) : tf.relu(z);
      const d = heatmapDistributionEigen(h as tf.Tensor4D);
      return tf.stack([d.lambdaMin, d.lambdaMax, d.theta, d.meanX, d.meanY]);
    });
    const v = st.dataSync();
    st.dispose();
    trajectory.push({ step, loss, lambdaMin: v[0], lambdaMax: v[1], theta: v[2], meanX: v[3], meanY: v[4] });
  };
  try {
    record(0, tf.tidy(() => starLoss(heat(), targets, variant.star).dataSync()[0]));
    for (let step = 1; step <= o.steps; step++) {
      const loss = optimizer.minimize(() => starLoss(heat(), targets, variant.star), true, [z])!;
      const lv = loss.dataSync()[0];
      loss.dispose();
      if (!Number.isFinite(lv)) throw new Error(`optimiseFreeHeatmap("${variant.label}"): loss became ${lv} at step ${step}`);
      if (step % o.recordEvery === 0 || step === o.steps) record(step, lv);
    }
    const final = tf.tidy(() => {
      const h = o.parametrisation === 'softplus' ? tf.softplus(z) : tf.relu(z);
      return tf.div(h, tf.sum(h));
    });
    const f = final.dataSync();
    final.dispose();
    const finalHeatmap = Array.from({ length: S }, (_, i) => Array.from(f.subarray(i * S, (i + 1) * S)));
    return { label: variant.label, trajectory, finalHeatmap, labels, labelVariance: cloudVariance(labels, o.labels.tangentAngle) };
  } finally {
    z.dispose();
    targets.dispose();
    optimizer.dispose();
  }
}

/** Biased sample variance of points along a direction and across it (float64, plain JS). */
export function cloudVariance(points: [number, number][], angle: number): { tangent: number; normal: number } {
  const n = points.length;
  const mx = points.reduce((a, p) => a + p[0], 0) / n;
  const my = points.reduce((a, p) => a + p[1], 0) / n;
  const c = Math.cos(angle);
  const s = Math.sin(angle);
  let t = 0;
  let m = 0;
  for (const [x, y] of points) {
    const dx = x - mx;
    const dy = y - my;
    t += (dx * c + dy * s) ** 2;
    m += (-dx * s + dy * c) ** 2;
  }
  return { tangent: t / n, normal: m / n };
}

/** The restriction variants notebook 01 compares (detach = our interpretation; the official code has none). */
export const RESTRICTION_VARIANTS: FreeHeatmapVariant[] = [
  { label: 'ω = 0 (no restriction)', star: { omega: 0 } },
  { label: 'ω = 1 (value restriction, official default)', star: { omega: 1 } },
  { label: 'detach λ, ω = 0 (ours)', star: { omega: 0, detach: 'eigenvalues' } },
  { label: 'detach λ and v, ω = 0 (ours)', star: { omega: 0, detach: 'decomposition' } },
];
