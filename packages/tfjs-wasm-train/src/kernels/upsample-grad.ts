/**
 * ResizeNearestNeighborGrad for the wasm and host backends through the native addon, for the case the hourglass uses
 * (its `upsample2x`): a power-of-two up-sampling factor k on both axes with alignCorners false. wasm's forward
 * reads input row ⌊float32(h / (k·h)) · r⌋ (or of (r + ½) with half-pixel centres); for a power of two that scale is
 * exactly 1/k and every product is exact, so output (i, j) reads input (⌊i/k⌋, ⌊j/k⌋) and the gradient is the sum over
 * each k×k block of dy (`upsampleGrad`, split over the pool's threads). For other integer k, float32(1/k) is rounded
 * and some rows read a different input row (k = 41, 47, 55, 61 do, for example), so every other case goes to the
 * stock kernel, which uses the forward's own formula. The cpu forward (host backend) computes the same scale in
 * float64, also exactly 1/k for a power of two. On the host backend without the addon the block sums run as a JS loop
 * (the stock cpu gradient is wrong for this case, see src/model/layers.ts). hg-cpu-small's six up-sampling gradients took 12.9 ms of a
 * 441 ms step with the stock kernel (bench/step-profile.ts). Tested against a float32 JS block-sum reference and the
 * stock kernel (test/kernels-threads.test.ts).
 */
import * as tf from '@tensorflow/tfjs-core';
import type { KernelConfig, KernelFunc, TensorInfo } from '@tensorflow/tfjs-core';
import type { NativeKernels } from '../native-addon';
import type { KernelArgs } from './wasm-calls';
import { BACKEND_OF, tensorMemory, type MemoryKind } from './memory';

/** Below 2^24 every row and column index and its product with 1/k is exact in float32. */
const EXACT = 1 << 24;

/** The factor k when `dy` is `images` up-sampled k times on both axes with k a power of two (see above), else null. */
export function powerOfTwoUpsampleFactor(images: number[], dy: number[]): number | null {
  if (images.length !== 4 || dy.length !== 4 || images[0] !== dy[0] || images[3] !== dy[3]) return null;
  const [, h, w] = images;
  if (h === 0 || w === 0 || dy[1] >= EXACT || dy[2] >= EXACT) return null;
  const k = dy[1] / h;
  return Number.isInteger(k) && k >= 1 && (k & (k - 1)) === 0 && dy[2] === k * w ? k : null;
}

/** dx[b,i,j,c] = Σ over the k×k block of dy at (i, j): the JS twin of the addon's `upsampleGrad`. */
function blockSums(dy: Float32Array, dx: Float32Array, B: number, H: number, W: number, C: number, k: number): void {
  const OW = W * k;
  for (let b = 0; b < B; b++) {
    for (let i = 0; i < H; i++) {
      for (let j = 0; j < W; j++) {
        const o = ((b * H + i) * W + j) * C;
        for (let c = 0; c < C; c++) dx[o + c] = 0;
        for (let r = 0; r < k; r++) {
          const row = ((b * H * k + i * k + r) * OW + j * k) * C;
          for (let s = 0; s < k; s++) {
            const p = row + s * C;
            for (let c = 0; c < C; c++) dx[o + c] += dy[p + c];
          }
        }
      }
    }
  }
}

/** `nat` null (host backend without the addon): the JS block sums. */
export function makeUpsampleGrad(stock: KernelConfig, nat: NativeKernels | null, mem: MemoryKind = 'wasm'): KernelConfig {
  const fall = stock.kernelFunc as unknown as (a: KernelArgs) => TensorInfo;
  const kernelFunc = (args: KernelArgs): TensorInfo => {
    const { images, dy } = args.inputs;
    const k = powerOfTwoUpsampleFactor(images.shape, dy.shape);
    if (k === null || args.attrs?.alignCorners === true || dy.dtype !== 'float32') return fall(args);
    const m = tensorMemory(mem, args.backend);
    const out = m.alloc(images.shape);
    // Views only after alloc: on wasm allocating may grow (replace) the heap.
    const [B, H, W, C] = images.shape;
    if (nat) nat.upsampleGrad(m.view(dy), m.view(out), Int32Array.from([B, H, W, C, k]));
    else blockSums(m.view(dy), m.view(out), B, H, W, C, k);
    return out;
  };
  return { kernelName: tf.ResizeNearestNeighborGrad, backendName: BACKEND_OF[mem], setupFunc: stock.setupFunc, kernelFunc: kernelFunc as unknown as KernelFunc };
}
