/**
 * Functional layers (NHWC) used by the hourglass. Pure functions of (params, input) except batch-norm's running-statistics
 * update, which is collected into a list and applied by the caller after the gradient step.
 */
import * as tf from '@tensorflow/tfjs-core';
// tfjs-core alone registers no gradients; every module that trains imports this once.
import '@tensorflow/tfjs-core/dist/register_all_gradients';
import type { BatchNormParams } from './params';
import { batchNormTrain, convBias, convBiasAdd, instanceNormTrain } from 'tfjs-wasm-train';

export const BN_EPS = 1e-5;
/** PyTorch's BatchNorm momentum 0.1 (running = 0.9 running + 0.1 batch). */
export const BN_MOMENTUM = 0.1;
export const IN_EPS = 1e-5;

/** One batch norm's batch statistics, to be folded into its running averages after the gradient step. */
export interface BatchNormUpdate {
  params: BatchNormParams;
  /** Batch mean and biased batch variance [C] (kept: they outlive the forward pass's tidy scope). */
  mean: tf.Tensor1D;
  variance: tf.Tensor1D;
  /** Values per channel the statistics were taken over (B·H·W). */
  count: number;
}

export interface ForwardContext {
  training: boolean;
  /** Pending running-stat updates (training only); applyBatchNormUpdates folds them in after the step. */
  bnUpdates: BatchNormUpdate[];
}

type Pad4 = [[number, number], [number, number], [number, number], [number, number]];
/** A number means symmetric explicit spatial padding (PyTorch's `padding=p`). */
function convPadding(pad: 'same' | 'valid' | number): 'same' | 'valid' | Pad4 {
  return typeof pad === 'number' ? [[0, 0], [pad, pad], [pad, pad], [0, 0]] : pad;
}

export function conv(
  x: tf.Tensor4D, p: { w: tf.Variable; b: tf.Variable }, stride = 1, pad: 'same' | 'valid' | number = 'same',
): tf.Tensor4D {
  // One kernel with the bias on wasm or host + native addon (tfjs-wasm-train's convBias); conv2d + add elsewhere.
  return convBias(x, p.w as tf.Tensor4D, p.b as tf.Tensor1D, stride, convPadding(pad));
}

/**
 * conv(x) + residual, the end of a residual block or a merge: one kernel on wasm or host with the addon (the sum rides
 * on the convolution's GEMM), conv + add elsewhere.
 */
export function convAdd(
  x: tf.Tensor4D, p: { w: tf.Variable; b: tf.Variable }, residual: tf.Tensor4D, stride = 1, pad: 'same' | 'valid' | number = 'same',
): tf.Tensor4D {
  return convBiasAdd(x, p.w as tf.Tensor4D, p.b as tf.Tensor1D, stride, convPadding(pad), residual);
}

export function batchNorm(x: tf.Tensor4D, p: BatchNormParams, ctx: ForwardContext, relu = false): tf.Tensor4D {
  if (!ctx.training) {
    const y = tf.batchNorm4d(x, p.mean as tf.Tensor1D, p.variance as tf.Tensor1D, p.beta as tf.Tensor1D, p.gamma as tf.Tensor1D, BN_EPS);
    return relu ? tf.relu(y) : y;
  }
  // One fused kernel with an analytic gradient on wasm and host (1.3-1.8x faster fwd+bwd on wasm, bench/bn-ab.ts); tf.moments elsewhere.
  const { y, mean, variance } = batchNormTrain(x, p.gamma as tf.Tensor1D, p.beta as tf.Tensor1D, BN_EPS, { relu });
  ctx.bnUpdates.push({ params: p, mean: tf.keep(mean), variance: tf.keep(variance), count: x.shape[0] * x.shape[1] * x.shape[2] });
  return y;
}

/**
 * running = (1 − momentum)·running + momentum·batch, with the unbiased batch variance (n/(n−1)) as PyTorch does (the
 * batch itself is normalised with the biased one). Disposes the batch statistics.
 *
 * On the CPU backends (wasm, cpu, host) the arithmetic runs on the host in float32 steps (Math.fround after every operation:
 * the same bits as the tf ops) — 7 small kernels per batch norm and step (245 in the cpu-tiny hourglass) cost more in
 * per-op overhead than the arithmetic. Elsewhere (GPU) as tf ops, so nothing is read back mid-training.
 */
export function applyBatchNormUpdates(updates: BatchNormUpdate[], opts: { host?: boolean } = {}): void {
  const host = opts.host ?? (tf.getBackend() === 'wasm' || tf.getBackend() === 'cpu' || tf.getBackend() === 'host');
  const keep = Math.fround(1 - BN_MOMENTUM);
  const m = Math.fround(BN_MOMENTUM);
  for (const u of updates) {
    const n = u.count;
    const bessel = Math.fround(n / (n - 1));
    if (host) {
      const [rm, rv, bm, bv] = [u.params.mean, u.params.variance, u.mean, u.variance].map((t) => t.dataSync() as Float32Array);
      const nm = new Float32Array(rm.length);
      const nv = new Float32Array(rv.length);
      for (let c = 0; c < rm.length; c++) {
        nm[c] = Math.fround(Math.fround(rm[c] * keep) + Math.fround(bm[c] * m));
        const unbiased = n > 1 ? Math.fround(bv[c] * bessel) : bv[c];
        nv[c] = Math.fround(Math.fround(rv[c] * keep) + Math.fround(unbiased * m));
      }
      assignValues(u.params.mean, nm);
      assignValues(u.params.variance, nv);
    } else {
      tf.tidy(() => {
        const unbiased = n > 1 ? tf.mul(u.variance, n / (n - 1)) : u.variance;
        u.params.mean.assign(tf.add(tf.mul(u.params.mean, 1 - BN_MOMENTUM), tf.mul(u.mean, BN_MOMENTUM)));
        u.params.variance.assign(tf.add(tf.mul(u.params.variance, 1 - BN_MOMENTUM), tf.mul(unbiased, BN_MOMENTUM)));
      });
    }
    u.mean.dispose();
    u.variance.dispose();
  }
}

function assignValues(v: tf.Variable, data: Float32Array): void {
  const t = tf.tensor(data, v.shape, 'float32');
  v.assign(t);
  t.dispose();
}

/** relu(batchNorm(x)): one fused kernel in training on wasm and host (every batch norm of the hourglass is followed by a ReLU). */
export function batchNormRelu(x: tf.Tensor4D, p: BatchNormParams, ctx: ForwardContext): tf.Tensor4D {
  return batchNorm(x, p, ctx, true);
}

/** Instance norm without affine parameters (PyTorch F.instance_norm defaults), over H and W per sample and channel. */
export function instanceNorm(x: tf.Tensor4D): tf.Tensor4D {
  return instanceNormTrain(x, IN_EPS);
}

/**
 * relu(instanceNorm(x)), the heatmap head's: one kernel with its gradient on wasm and host (tfjs-wasm-train; the
 * moments composition was ~20 kernels per call), the same composition elsewhere.
 */
export function instanceNormRelu(x: tf.Tensor4D): tf.Tensor4D {
  return instanceNormTrain(x, IN_EPS, { relu: true });
}

/**
 * 2x nearest-neighbour up-sampling (PyTorch's nn.Upsample(scale_factor=2, mode='nearest'): output (i, j) reads input
 * (floor(i/2), floor(j/2))). On wasm: the native ResizeNearestNeighbor and its gradient, measured 1.5-2x faster than
 * the concat formulation; on the host backend (tfjs-wasm-train) the cpu forward with tfjs-wasm-train's block-sum
 * gradient. Elsewhere: concat + reshape (duplicate columns via the channel axis, then rows via the width axis), because
 * tfjs 4.22's cpu ResizeNearestNeighborGrad returns wrong gradients for this case (measured: max error 2.03 on a
 * 2x3x2x2 input; wasm's is exact). Every path is tested against a JS reference.
 */
export function upsample2x(x: tf.Tensor4D): tf.Tensor4D {
  const [b, h, w, c] = x.shape;
  if (tf.getBackend() === 'wasm' || tf.getBackend() === 'host') return tf.image.resizeNearestNeighbor(x, [2 * h, 2 * w], false, false);
  const cols = tf.reshape(tf.concat([x, x], 3), [b, h, 2 * w, c]);
  return tf.reshape(tf.concat([cols, cols], 2), [b, 2 * h, 2 * w, c]);
}

export function maxPool2x(x: tf.Tensor4D): tf.Tensor4D {
  return tf.maxPool(x, 2, 2, 'valid');
}

/**
 * Coordinate channels for CoordConv (x, y in [-1, 1] over the map, and r = sqrt(x^2 + y^2)), as a constant
 * [1, H, W, 3] tensor. Cached per size: these are constants, not parameters.
 */
const coordCache = new Map<string, tf.Tensor4D>();
export function coordChannels(h: number, w: number): tf.Tensor4D {
  const key = `${h}x${w}:${tf.getBackend()}`;
  let t = coordCache.get(key);
  if (!t || t.isDisposed) {
    const data = new Float32Array(h * w * 3);
    for (let i = 0; i < h; i++) {
      for (let j = 0; j < w; j++) {
        const x = w > 1 ? (2 * j) / (w - 1) - 1 : 0;
        const y = h > 1 ? (2 * i) / (h - 1) - 1 : 0;
        const o = (i * w + j) * 3;
        data[o] = x;
        data[o + 1] = y;
        data[o + 2] = Math.sqrt(x * x + y * y);
      }
    }
    t = tf.keep(tf.tensor4d(data, [1, h, w, 3]));
    coordCache.set(key, t);
  }
  return t;
}

/**
 * CoordConv: conv(concat([x, coords, extra]), W) computed as conv(x, W_x) + conv(coords, W_c) [+ conv(extra, W_e)]
 * with W sliced along its input channels (same parameter layout as the concatenated form). The coordinate channels
 * are the same for every sample, so their conv runs once at batch 1 and broadcasts: no tiled copy of the grid and no
 * channel concat (slow on wasm), measured 1.4x faster for the 7x7 stem conv forward + backward.
 */
export function coordConv(
  x: tf.Tensor4D, p: { w: tf.Variable; b: tf.Variable }, stride: number, pad: 'same' | 'valid' | number, extra?: tf.Tensor4D,
): tf.Tensor4D {
  const [kh, kw, cin, cout] = p.w.shape as [number, number, number, number];
  const cx = x.shape[3];
  const ce = extra ? extra.shape[3] : 0;
  if (cin !== cx + 3 + ce) throw new Error(`coordConv: kernel has ${cin} input channels, expected ${cx} + 3 coordinates + ${ce} extra`);
  const padding = convPadding(pad);
  const part = (from: number, n: number) => tf.slice(p.w, [0, 0, from, 0], [kh, kw, n, cout]) as tf.Tensor4D;
  let y: tf.Tensor4D = tf.add(convBias(x, part(0, cx), p.b as tf.Tensor1D, stride, padding), tf.conv2d(coordChannels(x.shape[1], x.shape[2]), part(cx, 3), stride, padding));
  if (extra) y = tf.add(y, tf.conv2d(extra, part(cx + 3, ce), stride, padding));
  return y;
}
