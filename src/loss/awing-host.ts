/**
 * Adaptive Wing with the official weight map as one host kernel (plain loops over the tensors' own memory: cpu, wasm
 * and host backends):
 *   AdaptiveWingLoss   heatmaps [B,H,W,N], targets [B,H,W,N] -> [Σ w·AWing] as [1], and d(mean)/d(heatmaps) [B,H,W,N]
 *
 * Why: as tfjs ops (baselines.ts, implementation 'ops') the loss is ~20 element-wise kernels over the whole map each way,
 * with three Pow and a 3×3 max pool; on the paper preset's [8,64,64,98] AAM maps they were ~30% of a CPU training step
 * (a 1-thread step profile: Pow alone 13%, x32 calls), single-threaded on the host backend while the convolutions
 * run on every core. Here one pass computes the loss and its gradient together (the gradient is kept for the
 * backward, which then only scales it): per element one power and one log1p, the constants A and C reused while the
 * target value repeats (the background is 0). Same expressions as the ops version, evaluated in float64.
 *
 * Gradient: d|y − p|/dp = sign(p − y), and 0 at p = y. The ops version's is 0 there too while α − y > 1 (the power's
 * derivative vanishes at 0; tf.abs's own gradient at 0 is −1): always with the official α = 2.1 and targets ≤ 1.1;
 * for α − y ≤ 1 it is finite or ±∞ there, this kernel's 0. The weight map depends on the target only.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { NamedAttrMap } from '@tensorflow/tfjs-core';
import { hostKernelAvailable, hostKernelConfigs, nativeKernels, registerOnce, type NativeKernels } from 'tfjs-wasm-train';

export const AWING_HOST_KERNEL = 'AdaptiveWingLoss';

/** The loss's parameters as kernel attributes (AdaptiveWingOptions with defaults applied). */
export interface AwingAttrs { omega: number; theta: number; epsilon: number; alpha: number; weight: number; weightThreshold: number }

/** The largest of three values, NaN passed over: from −∞, a value is taken only when larger (the cpu max pool's rule). */
function max3(a: number, b: number, c: number): number {
  let m = -Infinity;
  if (a > m) m = a;
  if (b > m) m = b;
  if (c > m) m = c;
  return m;
}

/**
 * The official weight map's mask for one sample: [max over the 3×3 neighbourhood of the target >= threshold], as a
 * vertical then a horizontal 3-max (separable: 6 reads per element instead of 9, in memory order).
 */
function boostMask(y: Float32Array, off: number, H: number, W: number, N: number, threshold: number, colMax: Float32Array, mask: Uint8Array): void {
  const row = W * N;
  for (let i = 0; i < H; i++) {
    const up = off + (i > 0 ? i - 1 : 0) * row;
    const mid = off + i * row;
    const down = off + (i < H - 1 ? i + 1 : H - 1) * row;
    const o = i * row;
    for (let q = 0; q < row; q++) colMax[o + q] = max3(y[up + q], y[mid + q], y[down + q]);
  }
  for (let i = 0; i < H; i++) {
    const o = i * row;
    for (let j = 0; j < W; j++) {
      const l = o + (j > 0 ? j - 1 : 0) * N;
      const c = o + j * N;
      const r = o + (j < W - 1 ? j + 1 : W - 1) * N;
      for (let n = 0; n < N; n++) mask[c + n] = max3(colMax[l + n], colMax[c + n], colMax[r + n]) >= threshold ? 1 : 0;
    }
  }
}

/**
 * The pass runs in the native addon when it is built (the same expressions in C++, samples split over its threads;
 * the per-sample sums added in sample order, so the bits do not depend on the thread count), else in JS.
 * Switchable for tests and benchmarks.
 */
let native: NativeKernels | null = nativeKernels().kernels;
export function useNativeAwing(nat: NativeKernels | null): void {
  native = nat;
}

function awingForward(h: Float32Array, y: Float32Array, sumOut: Float32Array, grad: Float32Array, shape: number[], a: AwingAttrs): void {
  if (native) {
    const sums = new Float32Array(shape[0]);
    native.adaptiveWing(h, y, grad, sums, Int32Array.from(shape), Float64Array.from([a.omega, a.theta, a.epsilon, a.alpha, a.weight, a.weightThreshold]));
    let total = 0;
    for (let b = 0; b < sums.length; b++) total += sums[b];
    sumOut[0] = total;
    return;
  }
  const [B, H, W, N] = shape;
  const count = B * H * W * N;
  const { omega, theta, epsilon, alpha, weight, weightThreshold } = a;
  const te = theta / epsilon;
  // The ops version compares float32 targets with a float32 threshold: so does this (0.7 rounds down in float32).
  const threshold = Math.fround(weightThreshold);
  const plane = H * W * N;
  const colMax = new Float32Array(plane);
  const mask = new Uint8Array(plane);
  // A, C of the linear branch depend on the target value only: recomputed when it changes (the background is 0).
  let lastY = NaN;
  let A = 0;
  let C = 0;
  let sum = 0;
  for (let b = 0; b < B; b++) {
    const off = b * plane;
    boostMask(y, off, H, W, N, threshold, colMax, mask);
    for (let q = 0; q < plane; q++) {
      const k = off + q;
      const t = y[k];
      const p = h[k];
      const w = mask[q] ? 1 + weight : 1;
      const e = alpha - t;
      const diff = t - p;
      const d = diff < 0 ? -diff : diff;
      let loss: number;
      let dd: number; // d loss / d |y − p|
      if (d < theta) {
        const r = d / epsilon;
        const rp = Math.pow(r, e);
        loss = omega * Math.log1p(rp);
        // ω e r^(e−1) / (ε (1 + r^e)); r^(e−1) = r^e / r, and the gradient is 0 at d = 0 (sign(0) = 0).
        dd = d > 0 ? (omega * e * (rp / r)) / (epsilon * (1 + rp)) : 0;
      } else {
        if (t !== lastY) {
          const teP = Math.pow(te, e);
          A = (omega * e * (teP / te)) / (epsilon * (1 + teP));
          C = theta * A - omega * Math.log1p(teP);
          lastY = t;
        }
        loss = A * d - C;
        dd = A;
      }
      sum += w * loss;
      // d/dp |t − p| = sign(p − t).
      const g = (w * dd) / count;
      grad[k] = diff > 0 ? -g : diff < 0 ? g : p !== p || t !== t ? NaN : 0;
    }
  }
  sumOut[0] = sum;
}

let registered = false;

/** Register the kernel on cpu, wasm and host (idempotent). */
export function registerAwingHostKernel(): void {
  if (registered) return;
  registered = true;
  registerOnce(hostKernelConfigs(AWING_HOST_KERNEL, ['heatmaps', 'targets'], ([s, t]) => {
    if (s.length !== 4 || !tf.util.arraysEqual(s, t)) {
      throw new Error(`${AWING_HOST_KERNEL}: heatmaps [${s}] and targets [${t}] must both be [B,H,W,N] and equal`);
    }
    return [[1], s];
  }, ([h, y], [sum, grad], [s], attrs) => awingForward(h, y, sum, grad, s, attrs as unknown as AwingAttrs)));
}

/** True when the host kernel serves the active backend (cpu, wasm, host). */
export function awingHostAvailable(): boolean {
  registerAwingHostKernel();
  return hostKernelAvailable(AWING_HOST_KERNEL);
}

/** Mean of w·AWing over every element, differentiable in the heatmaps (the targets get no gradient). */
export function adaptiveWingHost(heatmaps: tf.Tensor4D, targets: tf.Tensor4D, attrs: AwingAttrs): tf.Scalar {
  registerAwingHostKernel();
  // The targets are closed over, not an input: no gradient (and no zeros the size of the maps) is made for them.
  const op = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const h = args[0] as tf.Tensor4D;
    const save = args[1] as tf.GradSaveFunc;
    const [sum, grad] = tf.engine().runKernel(AWING_HOST_KERNEL, { heatmaps: h, targets } as unknown as tf.NamedTensorMap,
      attrs as unknown as NamedAttrMap) as tf.Tensor[];
    save([grad]);
    const value = tf.tidy(() => tf.div(tf.reshape(sum, []), h.size)) as tf.Scalar;
    sum.dispose();
    return { value, gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => tf.mul(saved[0], dy) };
  }) as (h: tf.Tensor4D) => tf.Scalar;
  return op(heatmaps);
}
