/**
 * A lean gradient for FusedBatchNorm (tf.batchNorm4d), installed with our wasm kernels. tfjs-core's gradient builds
 * ~8 full-size elementwise tensors per call (x−μ and dy·γ eagerly, a Tile of 1/σ, three products for dσ² and dγ)
 * plus four reductions: on the hourglass that was the largest non-convolution cost of a training step. The partial
 * derivatives are the same; written per channel (k = γ/√(σ²+ε), n = B·H·W, sums over B, H, W):
 *
 *   ∂x = dy·k,   ∂μ = −k·Σdy,   ∂σ² = −½·γ·(σ²+ε)^(−3/2)·Σdy(x−μ),   ∂γ = Σdy(x−μ)/√(σ²+ε),   ∂β = Σdy
 *
 * so the full-size work is one broadcast multiply and two fused reductions (Σdy; Σdy(x−μ) in one pass with float64
 * accumulators, kernel 'WasmTrainChannelDotCentered' on wasm and host, tf ops elsewhere). Only 4-D x with per-channel [C]
 * statistics takes this path; anything else uses the saved tfjs-core gradient.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { GradConfig, KernelConfig, KernelFunc, NamedAttrMap, TensorInfo } from '@tensorflow/tfjs-core';
import { BACKEND_OF, tensorMemory, type MemoryKind } from './memory';

export const CHANNEL_DOT = 'WasmTrainChannelDotCentered';

/** out[c] = Σ_p dy[p,c]·(x[p,c] − mean[c]) over all leading positions p (one pass, float64 accumulators). */
export function makeChannelDotCentered(mem: MemoryKind = 'wasm'): KernelConfig {
  const kernelFunc = (args: { inputs: Record<string, TensorInfo>; backend: unknown }) => {
    const b = tensorMemory(mem, args.backend);
    const { dy, x, mean } = args.inputs;
    const C = mean.shape[0];
    if (dy.shape.join() !== x.shape.join() || x.shape[x.shape.length - 1] !== C) {
      throw new Error(`${CHANNEL_DOT}: dy [${dy.shape}], x [${x.shape}] and mean [${mean.shape}] do not match`);
    }
    const out = b.alloc([C]);
    const dv = b.view(dy);
    const xv = b.view(x);
    const mv = b.view(mean);
    const ov = b.view(out);
    const acc = new Float64Array(C);
    const m = Float64Array.from(mv);
    const n = dv.length;
    // Blocks of rows, 4 channels at a time in register accumulators (see reduce.ts addRows for why).
    const BL = 128;
    for (let p0 = 0; p0 < n; p0 += BL * C) {
      const end = Math.min(n, p0 + BL * C);
      let c = 0;
      for (; c + 3 < C; c += 4) {
        let s0 = 0, s1 = 0, s2 = 0, s3 = 0;
        const m0 = m[c], m1 = m[c + 1], m2 = m[c + 2], m3 = m[c + 3];
        for (let q = p0 + c; q < end; q += C) {
          s0 += dv[q] * (xv[q] - m0); s1 += dv[q + 1] * (xv[q + 1] - m1);
          s2 += dv[q + 2] * (xv[q + 2] - m2); s3 += dv[q + 3] * (xv[q + 3] - m3);
        }
        acc[c] += s0; acc[c + 1] += s1; acc[c + 2] += s2; acc[c + 3] += s3;
      }
      for (; c < C; c++) {
        let s = 0;
        for (let q = p0 + c; q < end; q += C) s += dv[q] * (xv[q] - m[c]);
        acc[c] += s;
      }
    }
    for (let c = 0; c < C; c++) ov[c] = acc[c];
    return out;
  };
  return { kernelName: CHANNEL_DOT, backendName: BACKEND_OF[mem], kernelFunc: kernelFunc as unknown as KernelFunc };
}

function channelDotCentered(dy: tf.Tensor, x: tf.Tensor, mean: tf.Tensor): tf.Tensor {
  if (tf.getKernel(CHANNEL_DOT, tf.getBackend()) != null) {
    return tf.engine().runKernel(CHANNEL_DOT, { dy, x, mean }) as tf.Tensor;
  }
  return tf.sum(tf.mul(dy, tf.sub(x, mean)), [0, 1, 2]);
}

/** The lean FusedBatchNorm gradient; `fallback` (tfjs-core's) handles shapes other than 4-D x with [C] statistics. */
export function leanFusedBatchNormGrad(fallback: GradConfig): GradConfig {
  return {
    kernelName: tf.FusedBatchNorm,
    inputsToSave: ['x', 'mean', 'variance', 'scale'],
    gradFunc: (dy: tf.Tensor | tf.Tensor[], saved: tf.Tensor[], attrs: NamedAttrMap) => {
      const g = dy as tf.Tensor;
      const [x, mean, variance, scale] = saved;
      if (x.rank !== 4 || mean.rank !== 1 || variance.rank !== 1 || (scale != null && scale.rank !== 1)) {
        return fallback.gradFunc(dy, saved, attrs);
      }
      const eps = (attrs as unknown as { varianceEpsilon: number }).varianceEpsilon;
      const gamma = scale ?? tf.onesLike(mean);
      const rstd = tf.rsqrt(tf.add(variance, eps));
      const k = tf.mul(gamma, rstd);
      // Σdy(x−μ) feeds both ∂σ² and ∂γ. Each closure runs in its own scope (and ∂γ only when γ is differentiated), so
      // share the host values, not a tensor: nothing can leak, and the pass over the activations runs once.
      let dot: Float32Array | undefined;
      const dotOnce = (): tf.Tensor => {
        if (dot == null) {
          const t = channelDotCentered(g, x, mean);
          dot = t.dataSync() as Float32Array;
          t.dispose();
        }
        return tf.tensor1d(dot);
      };
      return {
        x: () => tf.mul(g, k),
        mean: () => tf.neg(tf.mul(tf.sum(g, [0, 1, 2]), k)),
        variance: () => tf.mul(dotOnce(), tf.mul(tf.mul(k, tf.square(rstd)), -0.5)),
        scale: () => tf.mul(dotOnce(), rstd),
        offset: () => tf.sum(g, [0, 1, 2]),
      };
    },
  };
}
