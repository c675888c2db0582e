/**
 * Heatmaps -> landmark coordinates on the STAR grid (coords.ts): the one home of the decoders. The codec maps the
 * result to crop pixels in its own convention; the coordinate losses use the soft-argmax directly.
 *
 * - soft-argmax WITHOUT softmax (official decoder_default): `μ = Σ(grid·h) / max(Σh, 1e-6)`;
 * - argmax with sub-pixel refinement: a parabola through the log of the peak and its two neighbours per axis (exact
 *   for a Gaussian), plain values when a neighbour is <= 0.
 *
 * The soft-argmax has one formula (`softArgmaxFromMoments`, and its float64 twin in the host loop) and three
 * summation orders, each kept because a result depends on its bits:
 * - `softArgmax` (tensor, plain `tf.sum` reductions): evaluation and prediction (codec.decodeTensor);
 * - the loss's `decodeMean` (loss/baselines.ts): the moments of geometry/distribution.ts, whose fused backward
 *   training needs;
 * - `decodeHeatmapsHost` (float64 loops): the host decoder (codec.decode).
 * They agree to float32 rounding; on maps where every sum is exact they agree bit for bit (test/codec.test.ts).
 * The STAR distribution (distribution.ts, loss/star-*.ts) takes the mean M/Σh without the 1e-6 clamp (it is
 * scale-free, see there); `softArgmaxFromMeans` turns it back into this soft-argmax.
 * Layout: heatmaps NHWC `[B, H, W, N]` (flat for the host decoder); coordinates `[B, N, 2]` as (x, y).
 */
import * as tf from '@tensorflow/tfjs-core';
import { gridAxis, heatmapPixelToGrid } from './coords';

export type DecodeMethod = 'soft-argmax' | 'argmax-subpixel';

/** Official clamp of the soft-argmax normaliser Σh (starLoss_v2.py, decoder_default). */
export const SUM_CLAMP = 1e-6;

/** The soft-argmax from per-channel mass Σh and first moments Σh·x, Σh·y (tensors of one shape). */
export function softArgmaxFromMoments<T extends tf.Tensor>(mass: T, momentX: T, momentY: T): { x: T; y: T } {
  const s = tf.maximum(mass, SUM_CLAMP);
  return { x: tf.div(momentX, s) as T, y: tf.div(momentY, s) as T };
}

/**
 * The same soft-argmax from the weighted means m = Σh·p / Σh (the STAR moments, distribution.ts): m · Σh/max(Σh, 1e-6),
 * bit for bit `softArgmaxFromMoments` where Σh >= 1e-6 (Σh/Σh is exactly 1 and m is the same quotient).
 */
export function softArgmaxFromMeans<T extends tf.Tensor>(mass: T, meanX: T, meanY: T): { x: T; y: T } {
  const f = tf.div(mass, tf.maximum(mass, SUM_CLAMP));
  return { x: tf.mul(meanX, f) as T, y: tf.mul(meanY, f) as T };
}

/** Tensor soft-argmax: heatmaps `[B, H, W, N]` -> grid coordinates `[B, N, 2]` (not for training: no fused backward). */
export function softArgmax(heatmaps: tf.Tensor4D): tf.Tensor3D {
  const [, H, W] = heatmaps.shape;
  return tf.tidy(() => {
    const gx = tf.tensor4d(gridAxis(W), [1, 1, W, 1]);
    const gy = tf.tensor4d(gridAxis(H), [1, H, 1, 1]);
    const mass = tf.sum(heatmaps, [1, 2]); // [B, N]
    const { x, y } = softArgmaxFromMoments(mass, tf.sum(tf.mul(heatmaps, gx), [1, 2]), tf.sum(tf.mul(heatmaps, gy), [1, 2]));
    return tf.stack([x, y], 2) as tf.Tensor3D;
  });
}

/** Sub-pixel offset of a peak from the values one pixel before (m), at (c) and after (p) it, within ±0.5. */
function parabolaOffset(m: number, c: number, p: number): number {
  const logs = m > 0 && c > 0 && p > 0;
  const l0 = logs ? Math.log(m) : m;
  const l1 = logs ? Math.log(c) : c;
  const l2 = logs ? Math.log(p) : p;
  const den = l0 - 2 * l1 + l2;
  return den < 0 ? Math.max(-0.5, Math.min(0.5, (0.5 * (l0 - l2)) / den)) : 0;
}

/**
 * Host decoder: flat heatmaps `[B, H, W, N]` (B = length / (H·W·N)) -> grid coordinates `[B, N, 2]` in float64
 * (float64 accumulation; the caller rounds once, after its own conversion).
 */
export function decodeHeatmapsHost(
  heatmaps: Float32Array, H: number, W: number, N: number, method: DecodeMethod, where = 'decodeHeatmapsHost',
): Float64Array {
  const per = H * W * N;
  if (heatmaps.length === 0 || heatmaps.length % per !== 0) {
    throw new Error(`${where}: ${heatmaps.length} values is not a multiple of H·W·N = ${H}·${W}·${N}`);
  }
  const B = heatmaps.length / per;
  const xs = gridAxis(W);
  const ys = gridAxis(H);
  const out = new Float64Array(B * N * 2);
  for (let b = 0; b < B; b++) {
    const base = b * per;
    const at = (x: number, y: number, n: number) => heatmaps[base + (y * W + x) * N + n];
    for (let n = 0; n < N; n++) {
      const o = (b * N + n) * 2;
      if (method === 'soft-argmax') {
        let s = 0, sx = 0, sy = 0;
        for (let y = 0; y < H; y++) {
          for (let x = 0; x < W; x++) {
            const v = at(x, y, n);
            s += v; sx += v * xs[x]; sy += v * ys[y];
          }
        }
        const d = Math.max(s, SUM_CLAMP);
        out[o] = sx / d;
        out[o + 1] = sy / d;
      } else {
        let best = -Infinity, bx = 0, by = 0;
        for (let y = 0; y < H; y++) {
          for (let x = 0; x < W; x++) {
            const v = at(x, y, n);
            if (v > best) { best = v; bx = x; by = y; }
          }
        }
        const ux = bx > 0 && bx < W - 1 ? bx + parabolaOffset(at(bx - 1, by, n), best, at(bx + 1, by, n)) : bx;
        const uy = by > 0 && by < H - 1 ? by + parabolaOffset(at(bx, by - 1, n), best, at(bx, by + 1, n)) : by;
        out[o] = heatmapPixelToGrid(ux, W);
        out[o + 1] = heatmapPixelToGrid(uy, H);
      }
    }
  }
  return out;
}
