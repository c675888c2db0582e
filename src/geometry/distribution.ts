/**
 * Heatmaps -> per-landmark 2-D distributions (mass, mean, covariance, eigen-decomposition), exactly as the
 * official STAR loss (`starLoss_v2.py`, see docs/star-reference.md §1.1-1.3), on NHWC heatmaps `[B, H, W, N]`.
 *
 * Official definition, per channel:
 *   h_n = h / max(Σh, 1e-6)                      (no softmax)
 *   μ   = Σ h_n p                                 (p on the STAR grid, coords.ts `gridAxis`)
 *   Σ   = Σ h_n (p−μ)(p−μ)ᵀ / (V1 − V2/V1),       V1 = Σh_n + 1e-5,  V2 = Σh_n² + 1e-5
 *
 * How it is computed (speed + float32 accuracy):
 * - One custom op (`heatmapMoments`) reads the heatmap a few times through matmuls with the grid vectors
 *   (marginal sums, not full broadcast multiplies) and returns seven per-channel statistics: mass S = Σh,
 *   first moments Mx = Σh x, My = Σh y, the scatter *centred on the true mean* m = M/S (Cxx, Cyy, Cxy) and
 *   Q = Σh². Centring on the marginals avoids the cancellation of E[x²] − μ² (which would be ~1e-3 relative for a
 *   sharp heatmap near the border and garbage for a one-pixel peak). Its backward is one fused expression:
 *   ∂S/∂h = 1, ∂Mx/∂h = x, ∂Cxx/∂h = (x−mx)² (the mean-dependence drops out because Σh(x−m) = 0),
 *   ∂Cxy/∂h = (x−mx)(y−my), ∂Q/∂h = 2h, evaluated as one matmul of the y-basis (1, y, y²) with per-column factors.
 * - Everything after that is [B, N]-sized and uses ordinary autodiff.
 * - The normalisation by the clamped sum is applied to the statistics, not to the heatmap: for S >= 1e-6 this is
 *   the official formula; below, the official μ = M/1e-6 is not the weighted mean and the official scatter is taken
 *   about it, which we reproduce exactly with the parallel-axis identity Σh_n(p−μ)² = C/s + (S/s)(m−μ)².
 *
 * Contract and documented behaviour:
 * - Heatmaps should be non-negative (the official head is instance-norm + ReLU). With `validate: true` a negative,
 *   NaN or infinite entry throws an error naming the (b, y, x, n) position (costs one device->host read). Without
 *   validation negative values are used as they are: a channel whose sum is <= 0 is treated as empty (below); a
 *   channel with positive sum but negative entries can give an indefinite "covariance" (λmin < 0), which the STAR
 *   loss clamps at 0 inside √(λ + 1e-5).
 * - An all-zero (empty) channel, S = 0 (in fact any S <= EMPTY_MASS = 1e-18): the official code divides 0/0 in the backward pass (NaN gradients). Here
 *   `valid` is 0 for it, its statistics are finite (μ = 0, Σ = 0) and the STAR loss multiplies its term by `valid`, so
 *   it contributes exactly zero loss and zero gradient while still counting in the mean's denominator.
 * - Magnitudes: float32 holds Σh² up to ~3e38, so per-channel values up to ~1e17 are safe; tiny positive masses
 *   (S < 1e-6) follow the official clamp (μ shrinks towards 0, and the official denominator V1 − V2/V1 turns
 *   negative for S below ~3e-9, which gives λ <= 0: finite here, NaN in the official √).
 */
import * as tf from '@tensorflow/tfjs-core';
// Gradients of the ops used here (tfjs-core alone registers none); side-effect import, idempotent.
import '@tensorflow/tfjs-core/dist/register_all_gradients';
import { tidyObject } from '../util/tidy';
import { gridAxis } from './coords';
import { SUM_CLAMP } from './decode';
import { Eigen2x2Options, symEigen2x2 } from './eigen2x2';

/** Official covariance epsilon (starLoss_v2.py); the mass clamp is the soft-argmax's (decode.ts SUM_CLAMP). */
export const COV_EPS = 1e-5;
/**
 * Channels with mass Σh <= EMPTY_MASS are treated as empty (zero loss, zero gradient). Not official: below ~1e-19
 * float32 underflows S² in the derivative of the mean, and the official loss is already NaN far above this (its
 * covariance denominator turns negative for S below ~3e-9).
 */
export const EMPTY_MASS = 1e-18;

/** Per-channel raw statistics of a heatmap batch, each `[B, N]`. */
export interface HeatmapMoments {
  /** Σh */
  mass: tf.Tensor2D;
  /** Σh·x, Σh·y (unnormalised first moments on the STAR grid) */
  momentX: tf.Tensor2D;
  momentY: tf.Tensor2D;
  /** Scatter about the true weighted mean m = M/S (unnormalised): Σh(x−mx)², Σh(y−my)², Σh(x−mx)(y−my) */
  scatterXX: tf.Tensor2D;
  scatterYY: tf.Tensor2D;
  scatterXY: tf.Tensor2D;
  /** Σh² */
  sumSquares: tf.Tensor2D;
}

interface GridConsts {
  /** [1, 2, W]: rows (1, x) */
  rowBasis: tf.Tensor3D;
  /** [1, 1, H]: ones */
  onesH: tf.Tensor3D;
  /** [1, H, 3]: columns (1, y, y²) */
  yBasis: tf.Tensor3D;
  x: tf.Tensor1D;
  y: tf.Tensor1D;
}

function gridConsts(H: number, W: number): GridConsts {
  // Small constants, rebuilt per call (creating them is negligible next to the heatmap passes and avoids keeping
  // tensors alive across backend switches).
  const xs = gridAxis(W);
  const ys = gridAxis(H);
  const rb = new Float32Array(2 * W);
  rb.fill(1, 0, W);
  rb.set(xs, W);
  const yb = new Float32Array(3 * H);
  for (let i = 0; i < H; i++) {
    yb[3 * i] = 1;
    yb[3 * i + 1] = ys[i];
    yb[3 * i + 2] = ys[i] * ys[i];
  }
  return {
    rowBasis: tf.tensor3d(rb, [1, 2, W]),
    onesH: tf.ones([1, 1, H]) as tf.Tensor3D,
    yBasis: tf.tensor3d(yb, [1, H, 3]),
    x: tf.tensor1d(xs),
    y: tf.tensor1d(ys),
  };
}

/** 1 where x > 0 else 0, with zero gradient (tf.step; never tf.where(tf.greater(...)) on a differentiated input). */
function positive(x: tf.Tensor): tf.Tensor {
  return tf.step(x);
}

const momentsKernel = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
  const h = args[0] as tf.Tensor;
  const save = args[1] as tf.GradSaveFunc;
  const [B, H, W, N] = h.shape;
  const g = gridConsts(H, W);
  // Row statistics: for every (b, i): Σ_j h_ij and Σ_j x_j h_ij, one matmul [1,2,W] x [B·H, W, N].
  const rows = tf.reshape(tf.matMul(g.rowBasis, tf.reshape(h, [B * H, W, N])), [B, H, 2, N]);
  const [rowMass, rowX] = tf.unstack(rows, 2) as tf.Tensor3D[]; // [B, H, N]
  // Column marginal Σ_i h_ij: matmul [1,1,H] x [B, H, W·N].
  const colMass = tf.reshape(tf.matMul(g.onesH, tf.reshape(h, [B, H, W * N])), [B, W, N]);
  const sq = tf.square(h);
  const sumSquares = tf.reshape(tf.matMul(tf.ones([1, 1, H * W]) as tf.Tensor3D, tf.reshape(sq, [B, H * W, N])), [B, N]);
  const mass = tf.sum(rowMass, 1);
  const momentX = tf.sum(rowX, 1);
  const momentY = tf.sum(tf.mul(rowMass, tf.reshape(g.y, [1, H, 1])), 1);
  const safeMass = tf.add(mass, tf.sub(1, positive(mass)));
  const mx = tf.div(momentX, safeMass);
  const my = tf.div(momentY, safeMass);
  const dxc = tf.sub(tf.reshape(g.x, [1, W, 1]), tf.expandDims(mx, 1)); // [B, W, N]
  const dyc = tf.sub(tf.reshape(g.y, [1, H, 1]), tf.expandDims(my, 1)); // [B, H, N]
  const scatterXX = tf.sum(tf.mul(colMass, tf.square(dxc)), 1);
  const scatterYY = tf.sum(tf.mul(rowMass, tf.square(dyc)), 1);
  // Σ_i (y_i − my) Σ_j (x_j − mx) h_ij = Σ_i (y_i − my) (rowX_i − mx rowMass_i)
  const scatterXY = tf.sum(tf.mul(dyc, tf.sub(rowX, tf.mul(tf.expandDims(mx, 1), rowMass))), 1);
  save([h, mx, my]);
  const value = tf.stack([mass, momentX, momentY, scatterXX, scatterYY, scatterXY, sumSquares], -1); // [B, N, 7]
  return {
    value,
    gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
      const [sh, smx, smy] = saved;
      const [Bb, Hh, Ww, Nn] = sh.shape;
      const gg = gridConsts(Hh, Ww);
      const [gS, gMx, gMy, gXX, gYY, gXY, gQ] = tf.unstack(dy, -1); // [B, N]
      const e = (t: tf.Tensor) => tf.expandDims(t, 1); // [B,1,N]
      const xr = tf.reshape(gg.x, [1, Ww, 1]);
      const dx = tf.sub(xr, e(smx)); // [B, W, N]
      // dL/dh_ij = Σ_k Y_k(i) Z_k(j) + 2 gQ h_ij with Y = (1, y, y²):
      //   gS + gMx x + gXX dx² + gMy y + gYY (y−my)² + gXY dx (y−my)
      //   = [gS + gMx x + gXX dx² − my gXY dx + gYY my²] + y [gMy − 2 gYY my + gXY dx] + y² gYY
      const z0 = tf.addN([
        e(gS), tf.mul(e(gMx), xr), tf.mul(e(gXX), tf.square(dx)),
        tf.mul(e(tf.neg(tf.mul(smy, gXY))), dx), e(tf.mul(gYY, tf.square(smy))),
      ].map((t) => tf.broadcastTo(t, [Bb, Ww, Nn])));
      const z1 = tf.add(e(tf.sub(gMy, tf.mul(tf.mul(gYY, smy), 2))), tf.mul(e(gXY), dx));
      const z2 = tf.broadcastTo(e(gYY), [Bb, Ww, Nn]);
      const z = tf.reshape(tf.stack([z0, z1, z2], 1), [Bb, 3, Ww * Nn]); // [B, 3, W·N]
      // One plain 2-D matmul [H,3] x [3,W·N] per image: measured 3-4x faster on wasm than the broadcast batched
      // matmul [1,H,3] x [B,3,W·N] (XNNPACK is used per 2-D product; the batched path is not).
      const yb = tf.reshape(gg.yBasis, [Hh, 3]);
      const per = tf.unstack(z, 0).map((zb) => tf.matMul(yb, zb as tf.Tensor2D));
      const lin = tf.reshape(Bb === 1 ? per[0] : tf.stack(per, 0), [Bb, Hh, Ww, Nn]);
      const quad = tf.mul(sh, tf.reshape(tf.mul(gQ, 2), [Bb, 1, 1, Nn]));
      return [tf.add(lin, quad)];
    },
  };
});

function checkHeatmaps(heatmaps: tf.Tensor, where: string): void {
  if (heatmaps.rank !== 4) {
    throw new Error(`${where}: heatmaps must be [B, H, W, N] (NHWC), got shape [${heatmaps.shape}]`);
  }
  const [, H, W] = heatmaps.shape;
  if (H < 2 || W < 2) throw new Error(`${where}: heatmaps need H, W >= 2 for the STAR grid, got shape [${heatmaps.shape}]`);
  if (heatmaps.dtype !== 'float32') throw new Error(`${where}: heatmaps must be float32, got ${heatmaps.dtype}`);
}

/**
 * Throws a clear error if any heatmap entry is negative, NaN or infinite, naming the first offending
 * (b, y, x, n) position and value. One device->host read; use in tests and debugging, not every training step.
 */
export function assertValidHeatmaps(heatmaps: tf.Tensor4D, where = 'heatmaps'): void {
  checkHeatmaps(heatmaps, where);
  const [, H, W, N] = heatmaps.shape;
  const v = heatmaps.dataSync();
  for (let k = 0; k < v.length; k++) {
    const val = v[k];
    if (!(val >= 0) || val === Infinity) {
      const n = k % N;
      const x = Math.floor(k / N) % W;
      const y = Math.floor(k / (N * W)) % H;
      const b = Math.floor(k / (N * W * H));
      const what = Number.isNaN(val) ? 'NaN' : val === Infinity ? 'infinite' : 'negative';
      throw new Error(
        `${where}: heatmap value ${val} at [b=${b}, y=${y}, x=${x}, n=${n}] is ${what}; the STAR distribution needs ` +
          `non-negative heatmaps (the official head ends in instance-norm + ReLU)`,
      );
    }
  }
}

/**
 * The same statistics packed as `[B, N, 7]` = (S, Mx, My, Cxx, Cyy, Cxy, Q) in that order: the input of fused
 * per-landmark kernels (loss/star-kernel.ts). Differentiable.
 */
export function heatmapMomentsPacked(heatmaps: tf.Tensor4D): tf.Tensor3D {
  checkHeatmaps(heatmaps, 'heatmapMomentsPacked');
  return momentsKernel(heatmaps) as tf.Tensor3D;
}

/** Raw per-channel statistics (differentiable, fused backward). */
export function heatmapMoments(heatmaps: tf.Tensor4D): HeatmapMoments {
  checkHeatmaps(heatmaps, 'heatmapMoments');
  return tidyObject(() => {
    const packed = momentsKernel(heatmaps) as tf.Tensor3D;
    const [mass, momentX, momentY, scatterXX, scatterYY, scatterXY, sumSquares] = tf.unstack(packed, 2) as tf.Tensor2D[];
    return { mass, momentX, momentY, scatterXX, scatterYY, scatterXY, sumSquares };
  });
}

/** The official per-landmark distribution, each field `[B, N]`. */
export interface HeatmapDistribution {
  /** 1 for channels with positive mass, 0 for empty ones (zero gradient). */
  valid: tf.Tensor2D;
  /** Σh (raw mass before normalisation). */
  mass: tf.Tensor2D;
  meanX: tf.Tensor2D;
  meanY: tf.Tensor2D;
  covXX: tf.Tensor2D;
  covXY: tf.Tensor2D;
  covYY: tf.Tensor2D;
}

export interface DistributionOptions {
  /** Throw a clear error on negative / non-finite heatmap values (one host read). Default false. */
  validate?: boolean;
}

/** Heatmaps `[B,H,W,N]` -> official mean and unbiased weighted covariance per landmark (see module comment). */
export function heatmapDistribution(heatmaps: tf.Tensor4D, options: DistributionOptions = {}): HeatmapDistribution {
  if (options.validate) assertValidHeatmaps(heatmaps, 'heatmapDistribution');
  return tidyObject(() => distributionFromMoments(heatmapMoments(heatmaps)));
}

function distributionFromMoments(m: HeatmapMoments): HeatmapDistribution {
  const valid = positive(tf.sub(m.mass, EMPTY_MASS)) as tf.Tensor2D;
  const s = tf.maximum(m.mass, SUM_CLAMP); // official clamp
  // μ as M·(1/s), not decode.ts's M/s: the reciprocal is reused below (the two can differ by one float32 rounding).
  const invS = tf.div(1, s);
  const sumN = tf.mul(m.mass, invS); // Σh_n (1 unless S < 1e-6)
  const meanX = tf.mul(m.momentX, invS) as tf.Tensor2D;
  const meanY = tf.mul(m.momentY, invS) as tf.Tensor2D;
  // Parallel-axis correction about the official μ (exactly 0 when S >= 1e-6 or S = 0).
  const safeMass = tf.add(m.mass, tf.sub(1, valid));
  const offX = tf.sub(tf.div(m.momentX, safeMass), meanX);
  const offY = tf.sub(tf.div(m.momentY, safeMass), meanY);
  const sxx = tf.add(tf.mul(m.scatterXX, invS), tf.mul(sumN, tf.square(offX)));
  const syy = tf.add(tf.mul(m.scatterYY, invS), tf.mul(sumN, tf.square(offY)));
  const sxy = tf.add(tf.mul(m.scatterXY, invS), tf.mul(sumN, tf.mul(offX, offY)));
  // Denominator V1 − V2/V1 with V1 = Σh_n + ε, V2 = Σh_n² + ε.
  const v1 = tf.add(sumN, COV_EPS);
  const v2 = tf.add(tf.mul(m.sumSquares, tf.square(invS)), COV_EPS);
  const den = tf.sub(v1, tf.div(v2, v1));
  return {
    valid,
    mass: m.mass,
    meanX,
    meanY,
    covXX: tf.div(sxx, den) as tf.Tensor2D,
    covXY: tf.div(sxy, den) as tf.Tensor2D,
    covYY: tf.div(syy, den) as tf.Tensor2D,
  };
}

/** Distribution plus its eigen-decomposition (λ ascending, principal angle θ of the λmax eigenvector). */
export interface HeatmapDistributionEigen extends HeatmapDistribution {
  lambdaMin: tf.Tensor2D;
  lambdaMax: tf.Tensor2D;
  theta: tf.Tensor2D;
}

export function heatmapDistributionEigen(
  heatmaps: tf.Tensor4D,
  options: DistributionOptions & Eigen2x2Options = {},
): HeatmapDistributionEigen {
  if (options.validate) assertValidHeatmaps(heatmaps, 'heatmapDistributionEigen');
  return tidyObject(() => {
    const d = distributionFromMoments(heatmapMoments(heatmaps));
    const eig = symEigen2x2(d.covXX, d.covXY, d.covYY, options);
    return { ...d, ...eig };
  });
}
