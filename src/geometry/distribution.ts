/**
 * Heatmaps -> per-landmark 2-D distributions (mass, mean, covariance, eigen-decomposition) as the official STAR loss
 * defines them (`starLoss_v2.py`, see docs/star-reference.md §1.1-1.3), on NHWC heatmaps `[B, H, W, N]`.
 *
 * Definition, per channel (official for Σh >= 1e-6, see the deviation below):
 *   h_n = h / Σh                                  (no softmax)
 *   μ   = Σ h_n p                                 (p on the STAR grid, coords.ts `gridAxis`)
 *   Σ   = Σ h_n (p−μ)(p−μ)ᵀ / (V1 − V2/V1),       V1 = Σh_n + 1e-5 = 1 + 1e-5,  V2 = Σh_n² + 1e-5
 *
 * How it is computed:
 * - One custom op (`heatmapMoments`) reads the heatmap a few times through matmuls with the grid vectors (marginal
 *   sums, not full broadcast multiplies) and returns seven per-channel statistics, the packed layout every STAR path
 *   shares, in this order: the mass S = Σh and six statistics of the normalised map h_n = h/S, the mean mx = Σh_n x,
 *   my = Σh_n y, the central second moments cxx = Σh_n (x−mx)², cyy, cxy (centred on the true mean from the row
 *   and column marginals: a one-pixel peak has exactly zero spread) and q = Σh_n².
 * - It NORMALISES BEFORE IT SQUARES: sums linear in h are taken raw and divided by S, and the only square, q, is of
 *   h_n. Nothing overflows or underflows float32 for heatmaps from 1e-30 to 1e30 (Σh² of a 1e19 heatmap does).
 *   Only S carries the scale and the loss uses it for the empty mask alone: the STAR loss is exactly scale-free.
 * - Its backward is one fused expression: ∂S/∂h = 1, ∂mx/∂h = (x−mx)/S, ∂cxx/∂h = ((x−mx)² − cxx)/S (the
 *   mean-dependence drops out because Σh_n(x−mx) = 0), ∂cxy/∂h = ((x−mx)(y−my) − cxy)/S, ∂q/∂h = 2(h_n − q)/S,
 *   evaluated as one matmul of the y-basis (1, y, y²) with per-column factors plus the h_n term.
 * - Everything after that is [B, N]-sized and uses ordinary autodiff.
 *
 * Deviation from the official code (documented, tested): the official code divides by max(Σh, 1e-6), so below a mass
 * of 1e-6 its h_n no longer sums to 1, μ shrinks towards 0 and its covariance denominator turns negative (NaN in its
 * √ below a mass of ~3e-9); the three implementations used to disagree there by up to 29% (float32 vs float64
 * rounding of that formula, issue 14). We divide by Σh itself at every mass above EMPTY_MASS: the distribution of h·c is the
 * distribution of h for every c > 0. At Σh >= 1e-6 both are the same formula.
 *
 * Contract and documented behaviour:
 * - Heatmaps need H, W >= 2 (the STAR grid is undefined on one row or column: a clear error names the shape) and
 *   should be non-negative (the official head is instance-norm + ReLU). With `validate: true` a negative, NaN or
 *   infinite entry throws an error naming the (b, y, x, n) position, and so does a channel whose mass overflows
 *   float32 (costs one device->host read). Without validation negative values are used as they are: a channel whose
 *   sum is <= EMPTY_MASS is treated as empty (below); a channel with positive sum but negative entries can give an
 *   indefinite "covariance" (λmin < 0), which the STAR loss clamps at 0 inside √(λ + 1e-5).
 * - An empty channel, Σh <= EMPTY_MASS (all zeros, in particular): the official code divides 0/0 in the backward pass
 *   (NaN gradients). Here `valid` is 0 for it, its statistics stay finite (0 for an all-zero channel) and the STAR
 *   loss multiplies its term by `valid`, so it contributes exactly zero loss and zero gradient while still counting
 *   in the mean's denominator.
 * - Gradients scale as 1/Σh (the loss is scale-free): at tiny masses they can exceed float32 where the unit-mass
 *   gradient is already large (a one-pixel peak's is ~1e13 through its 1e-5 covariance denominator).
 */
import * as tf from '@tensorflow/tfjs-core';
// Gradients of the ops used here (tfjs-core alone registers none); side-effect import, idempotent.
import '@tensorflow/tfjs-core/dist/register_all_gradients';
import { tidyObject } from '../util/tidy';
import { gridAxis } from './coords';
import { Eigen2x2Options, symEigen2x2 } from './eigen2x2';

/** Official covariance epsilon (starLoss_v2.py). */
export const COV_EPS = 1e-5;
/**
 * Channels with mass Σh <= EMPTY_MASS are treated as empty (zero loss, zero gradient). Not official (see the module
 * comment): low enough that maps with values down to 1e-30 keep their loss, high enough that 1/Σh stays far inside
 * float32.
 */
export const EMPTY_MASS = 1e-32;

/** Per-channel statistics of a heatmap batch, each `[B, N]`; all but `mass` are of the normalised map h_n = h/Σh. */
export interface HeatmapMoments {
  /** Σh, the only scale-dependent statistic */
  mass: tf.Tensor2D;
  /** Σh_n·x, Σh_n·y: the weighted mean on the STAR grid */
  meanX: tf.Tensor2D;
  meanY: tf.Tensor2D;
  /** Central second moments Σh_n(x−mx)², Σh_n(y−my)², Σh_n(x−mx)(y−my) (the biased covariance) */
  varX: tf.Tensor2D;
  varY: tf.Tensor2D;
  covXY: tf.Tensor2D;
  /** Σh_n² (1 for a one-pixel peak, 1/(H·W) for a flat map) */
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
  const mass = tf.sum(rowMass, 1);
  // Linear statistics are summed raw (Σh·x <= Σh: no overflow) and divided by S: mx is then the same quotient as the
  // soft-argmax's (decode.ts). Squares are only ever taken of the normalised map h_n = h/S.
  const valid = positive(tf.sub(mass, EMPTY_MASS));
  const safeMass = tf.add(mass, tf.sub(1, valid));
  const invS = tf.div(valid, safeMass); // 1/S, 0 for empty channels
  const mx = tf.div(tf.sum(rowX, 1), safeMass);
  const my = tf.div(tf.sum(tf.mul(rowMass, tf.reshape(g.y, [1, H, 1])), 1), safeMass);
  const dxc = tf.sub(tf.reshape(g.x, [1, W, 1]), tf.expandDims(mx, 1)); // [B, W, N]
  const dyc = tf.sub(tf.reshape(g.y, [1, H, 1]), tf.expandDims(my, 1)); // [B, H, N]
  const varX = tf.mul(tf.sum(tf.mul(colMass, tf.square(dxc)), 1), invS);
  const varY = tf.mul(tf.sum(tf.mul(rowMass, tf.square(dyc)), 1), invS);
  // Σ_i (y_i − my) Σ_j (x_j − mx) h_ij = Σ_i (y_i − my) (rowX_i − mx rowMass_i)
  const covXY = tf.mul(tf.sum(tf.mul(dyc, tf.sub(rowX, tf.mul(tf.expandDims(mx, 1), rowMass))), 1), invS);
  const hn = tf.mul(h, tf.reshape(invS, [B, 1, 1, N]));
  const sumSquares = tf.reshape(tf.matMul(tf.ones([1, 1, H * W]) as tf.Tensor3D, tf.reshape(tf.square(hn), [B, H * W, N])), [B, N]);
  const value = tf.stack([mass, mx, my, varX, varY, covXY, sumSquares], -1); // [B, N, 7]
  save([hn, value, invS]);
  return {
    value,
    gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
      const [shn, P, sInv] = saved;
      const [Bb, Hh, Ww, Nn] = shn.shape;
      const gg = gridConsts(Hh, Ww);
      const [, smx, smy, sxx, syy, sxy, sq] = tf.unstack(P, -1); // [B, N]
      const [gS, ...raw] = tf.unstack(dy, -1); // [B, N]
      // Every statistic but S is a normalised one: its gradient carries 1/S, folded into the upstream factors.
      const [gMx, gMy, gXX, gYY, gXY, gQ] = raw.map((t) => tf.mul(t, sInv));
      const e = (t: tf.Tensor) => tf.expandDims(t, 1); // [B,1,N]
      const xr = tf.reshape(gg.x, [1, Ww, 1]);
      const dx = tf.sub(xr, e(smx)); // [B, W, N]
      // dL/dh_ij = gS + gMx dx + gMy (y−my) + gXX (dx² − cxx) + gYY ((y−my)² − cyy) + gXY (dx (y−my) − cxy)
      //            + 2 gQ (hn_ij − q)                                  (g·· already divided by S), i.e. with
      // Y = (1, y, y²): Σ_k Y_k(i) Z_k(j) + 2 gQ hn_ij, where
      //   Z0 = gS − (gXX cxx + gYY cyy + gXY cxy + 2 gQ q) − gMy my + gYY my² + gMx dx + gXX dx² − gXY my dx,
      //   Z1 = gMy − 2 gYY my + gXY dx,   Z2 = gYY.
      const constant = tf.addN([
        gS, tf.neg(tf.addN([tf.mul(gXX, sxx), tf.mul(gYY, syy), tf.mul(gXY, sxy), tf.mul(tf.mul(gQ, sq), 2)])),
        tf.neg(tf.mul(gMy, smy)), tf.mul(gYY, tf.square(smy)),
      ]);
      const z0 = tf.addN([
        e(constant), tf.mul(e(gMx), dx), tf.mul(e(gXX), tf.square(dx)), tf.mul(e(tf.neg(tf.mul(smy, gXY))), dx),
      ].map((t) => tf.broadcastTo(t, [Bb, Ww, Nn])));
      const z1 = tf.add(e(tf.sub(gMy, tf.mul(tf.mul(gYY, smy), 2))), tf.mul(e(gXY), dx));
      const z2 = tf.broadcastTo(e(gYY), [Bb, Ww, Nn]);
      const z = tf.reshape(tf.stack([z0, z1, z2], 1), [Bb, 3, Ww * Nn]); // [B, 3, W·N]
      // One plain 2-D matmul [H,3] x [3,W·N] per image: measured 3-4x faster on wasm than the broadcast batched
      // matmul [1,H,3] x [B,3,W·N] (XNNPACK is used per 2-D product; the batched path is not).
      const yb = tf.reshape(gg.yBasis, [Hh, 3]);
      const per = tf.unstack(z, 0).map((zb) => tf.matMul(yb, zb as tf.Tensor2D));
      const lin = tf.reshape(Bb === 1 ? per[0] : tf.stack(per, 0), [Bb, Hh, Ww, Nn]);
      const quad = tf.mul(shn, tf.reshape(tf.mul(gQ, 2), [Bb, 1, 1, Nn]));
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
 * (b, y, x, n) position and value, or if a channel's mass overflows float32. One device->host read; use in tests and
 * debugging, not every training step.
 */
export function assertValidHeatmaps(heatmaps: tf.Tensor4D, where = 'heatmaps'): void {
  checkHeatmaps(heatmaps, where);
  const [B, H, W, N] = heatmaps.shape;
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
  const mass = new Float64Array(B * N);
  for (let k = 0; k < v.length; k++) mass[Math.floor(k / (N * W * H)) * N + (k % N)] += v[k];
  const over = mass.findIndex((m) => !(Math.fround(m) < Infinity));
  if (over >= 0) {
    throw new Error(`${where}: heatmap channel [b=${Math.floor(over / N)}, n=${over % N}] sums to ${mass[over]}, beyond float32 (max ~3.4e38)`);
  }
}

/**
 * The same statistics packed as `[B, N, 7]` = (S, mx, my, cxx, cyy, cxy, q) in that order: the input of the
 * per-landmark kernels (loss/star-kernel.ts, loss/star-host.ts). Differentiable.
 */
export function heatmapMomentsPacked(heatmaps: tf.Tensor4D): tf.Tensor3D {
  checkHeatmaps(heatmaps, 'heatmapMomentsPacked');
  return momentsKernel(heatmaps) as tf.Tensor3D;
}

/** Per-channel statistics (differentiable, fused backward). */
export function heatmapMoments(heatmaps: tf.Tensor4D): HeatmapMoments {
  checkHeatmaps(heatmaps, 'heatmapMoments');
  return tidyObject(() => {
    const packed = momentsKernel(heatmaps) as tf.Tensor3D;
    const [mass, meanX, meanY, varX, varY, covXY, sumSquares] = tf.unstack(packed, 2) as tf.Tensor2D[];
    return { mass, meanX, meanY, varX, varY, covXY, sumSquares };
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
  // Denominator V1 − V2/V1 with V1 = Σh_n + ε = 1 + ε, V2 = Σh_n² + ε.
  const v1 = 1 + COV_EPS;
  const den = tf.sub(v1, tf.div(tf.add(m.sumSquares, COV_EPS), v1));
  return {
    valid,
    mass: m.mass,
    meanX: m.meanX,
    meanY: m.meanY,
    covXX: tf.div(m.varX, den) as tf.Tensor2D,
    covXY: tf.div(m.covXY, den) as tf.Tensor2D,
    covYY: tf.div(m.varY, den) as tf.Tensor2D,
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
