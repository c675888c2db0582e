/**
 * Figure data for the anatomy of the STAR loss on one hand-made distribution (notebook 01): the loss as a function
 * of the direction of the error, and the gradient field the loss exerts on the predicted mean. Both call the library
 * loss (starLossPerLandmark) and, for comparison, the plain per-axis distance the coordinate baseline uses
 * (d(e_x) + d(e_y), loss/baselines.ts `coordLoss`).
 */
import * as tf from '@tensorflow/tfjs-core';
import { starLossPerLandmark } from '../../loss/star';
import type { StarLossOptions } from '../../loss/star-options';
import { distance, type DistanceName } from '../../loss/distances';
import { heatmapDistributionEigen } from '../../geometry/distribution';

export interface SingleDistribution {
  meanX: number;
  meanY: number;
  lambdaMin: number;
  lambdaMax: number;
  theta: number;
}

function checkSingle(heatmap: tf.Tensor4D, where: string): void {
  if (heatmap.rank !== 4 || heatmap.shape[0] !== 1 || heatmap.shape[3] !== 1) {
    throw new Error(`${where}: expected one heatmap [1, H, W, 1], got [${heatmap.shape}]`);
  }
}

/** μ, λ, θ of one heatmap `[1,H,W,1]` as the loss sees them (official covariance, closed-form eigen). */
export function distributionOf(heatmap: tf.Tensor4D): SingleDistribution {
  checkSingle(heatmap, 'distributionOf');
  const v = tf.tidy(() => {
    const d = heatmapDistributionEigen(heatmap);
    return tf.concat([d.meanX, d.meanY, d.lambdaMin, d.lambdaMax, d.theta].map((t) => tf.reshape(t, [1])));
  });
  const a = v.dataSync();
  v.dispose();
  return { meanX: a[0], meanY: a[1], lambdaMin: a[2], lambdaMax: a[3], theta: a[4] };
}

export interface DirectionCurve {
  /** Angle of the error t − μ relative to the major axis (degrees, 0 = along the major / ambiguous axis). */
  angleDeg: number[];
  /** STAR loss per landmark (incl. the value term ω·Σλ, constant in the angle). */
  star: number[];
  /** Plain coordinate distance d(e_x) + d(e_y) of the same error. */
  plain: number[];
}

/**
 * Loss of an error of fixed length `radius` (grid units) in every direction around the heatmap's own mean.
 * Angles are measured from the major axis, so 0° and 180° are the ambiguous (tangent) direction.
 */
export function lossVsDirection(
  heatmap: tf.Tensor4D,
  radius: number,
  options: { star?: Omit<StarLossOptions, 'weights'>; plain?: DistanceName; angles?: number } = {},
): DirectionCurve {
  checkSingle(heatmap, 'lossVsDirection');
  if (!(radius > 0) || !Number.isFinite(radius)) throw new Error(`lossVsDirection: radius must be a positive number (grid units), got ${radius}`);
  const A = options.angles ?? 73;
  if (!Number.isInteger(A) || A < 2) throw new Error(`lossVsDirection: angles must be an integer >= 2, got ${A}`);
  const d = distributionOf(heatmap);
  const angleDeg = Array.from({ length: A }, (_, i) => (360 * i) / (A - 1));
  const tgt: number[] = [];
  for (const a of angleDeg) {
    const phi = d.theta + (a * Math.PI) / 180;
    tgt.push(d.meanX + radius * Math.cos(phi), d.meanY + radius * Math.sin(phi));
  }
  const [star, plain] = tf.tidy(() => {
    const targets = tf.tensor3d(tgt, [A, 1, 2]);
    const h = tf.tile(heatmap, [A, 1, 1, 1]) as tf.Tensor4D;
    const s = starLossPerLandmark(h, targets, options.star ?? {});
    const [tx, ty] = tf.unstack(tf.reshape(targets, [A, 2]), 1);
    const dist = options.plain ?? options.star?.distance ?? 'smoothl1';
    const p = tf.add(distance(tf.sub(tx, d.meanX), dist), distance(tf.sub(ty, d.meanY), dist));
    return [tf.reshape(s, [A]), p];
  });
  const out = { angleDeg, star: Array.from(star.dataSync()), plain: Array.from(plain.dataSync()) };
  tf.dispose([star, plain]);
  return out;
}

export interface GradientField {
  /** Target positions (grid units), row-major over the sampling grid. */
  x: number[];
  y: number[];
  /** Gradient descent pull on the mean, −∂L/∂μ = ∂L/∂t (grid units per unit loss), STAR and plain. */
  starU: number[];
  starV: number[];
  plainU: number[];
  plainV: number[];
}

/**
 * Where gradient descent pushes the predicted mean when the label sits at each point of a (2n+1)² grid of offsets
 * around μ (half-width `extent`, grid units). L depends on μ only through e = t − μ, so −∂L/∂μ = ∂L/∂t, which we
 * take by autodiff w.r.t. the targets (the heatmap shape, hence λ and v, is held fixed).
 */
export function gradientField(
  heatmap: tf.Tensor4D,
  extent: number,
  options: { star?: Omit<StarLossOptions, 'weights'>; plain?: DistanceName; n?: number } = {},
): GradientField {
  checkSingle(heatmap, 'gradientField');
  if (!(extent > 0) || !Number.isFinite(extent)) throw new Error(`gradientField: extent must be a positive number (grid units), got ${extent}`);
  const n = options.n ?? 7;
  if (!Number.isInteger(n) || n < 1) throw new Error(`gradientField: n must be a positive integer, got ${n}`);
  const d = distributionOf(heatmap);
  const x: number[] = [];
  const y: number[] = [];
  for (let i = -n; i <= n; i++) for (let j = -n; j <= n; j++) (x.push(d.meanX + (extent * j) / n), y.push(d.meanY + (extent * i) / n));
  const P = x.length;
  const dist = options.plain ?? options.star?.distance ?? 'smoothl1';
  const [gs, gp] = tf.tidy(() => {
    const targets = tf.tensor3d(x.flatMap((xi, k) => [xi, y[k]]), [P, 1, 2]);
    const h = tf.tile(heatmap, [P, 1, 1, 1]) as tf.Tensor4D;
    // Sum (not mean) over the grid points: each point's gradient is then its own per-landmark gradient.
    const s = tf.grad((t: tf.Tensor) => tf.sum(starLossPerLandmark(h, t as tf.Tensor3D, options.star ?? {})))(targets);
    const p = tf.grad((t: tf.Tensor) => {
      const [tx, ty] = tf.unstack(tf.reshape(t, [P, 2]), 1);
      return tf.sum(tf.add(distance(tf.sub(tx, d.meanX), dist), distance(tf.sub(ty, d.meanY), dist)));
    })(targets);
    return [tf.reshape(s, [P, 2]), tf.reshape(p, [P, 2])];
  });
  const a = gs.dataSync();
  const b = gp.dataSync();
  tf.dispose([gs, gp]);
  const pick = (arr: ArrayLike<number>, c: number) => Array.from({ length: P }, (_, k) => arr[2 * k + c]);
  return { x, y, starU: pick(a, 0), starV: pick(a, 1), plainU: pick(b, 0), plainV: pick(b, 1) };
}

/**
 * Arrows as one polyline trace with null gaps: a shaft from each point along (u, v) scaled so the longest arrow
 * has length `maxLength`, plus a two-stroke head. Returns x/y arrays for a Plotly scatter 'lines' trace.
 */
export function arrowPaths(
  x: number[], y: number[], u: number[], v: number[], maxLength: number,
  options: { headFraction?: number; normaliseBy?: number } = {},
): { x: (number | null)[]; y: (number | null)[] } {
  if (![y, u, v].every((a) => a.length === x.length)) throw new Error(`arrowPaths: x, y, u, v must have the same length (${x.length}, ${y.length}, ${u.length}, ${v.length})`);
  const longest = options.normaliseBy ?? Math.max(...u.map((ui, k) => Math.hypot(ui, v[k])));
  const f = longest > 0 ? maxLength / longest : 0;
  const hf = options.headFraction ?? 0.3;
  const X: (number | null)[] = [];
  const Y: (number | null)[] = [];
  for (let k = 0; k < x.length; k++) {
    const dx = u[k] * f;
    const dy = v[k] * f;
    if (!Number.isFinite(dx) || !Number.isFinite(dy)) throw new Error(`arrowPaths: arrow ${k} is not finite (u ${u[k]}, v ${v[k]})`);
    const ex = x[k] + dx;
    const ey = y[k] + dy;
    X.push(x[k], ex, null);
    Y.push(y[k], ey, null);
    const len = Math.hypot(dx, dy);
    if (len > 0) {
      const h = hf * len;
      const c = dx / len;
      const s = dy / len;
      for (const side of [1, -1]) {
        // Head strokes at ±25° from the reversed shaft.
        const a = Math.atan2(-s, -c) + side * (25 * Math.PI) / 180;
        X.push(ex, ex + h * Math.cos(a), null);
        Y.push(ey, ey + h * Math.sin(a), null);
      }
    }
  }
  return { x: X, y: Y };
}
