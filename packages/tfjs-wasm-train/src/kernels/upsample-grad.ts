/**
 * ResizeNearestNeighborGrad for the wasm backend through the native addon, for the case the hourglass uses
 * (its `upsample2x`): a power-of-two up-sampling factor k on both axes with alignCorners false. wasm's forward
 * reads input row ⌊float32(h / (k·h)) · r⌋ (or of (r + ½) with half-pixel centres); for a power of two that scale is
 * exactly 1/k and every product is exact, so output (i, j) reads input (⌊i/k⌋, ⌊j/k⌋) and the gradient is the sum over
 * each k×k block of dy (`upsampleGrad`, split over the pool's threads). For other integer k, float32(1/k) is rounded
 * and some rows read a different input row (k = 41, 47, 55, 61 do, for example), so every other case goes to the
 * stock wasm kernel, which uses the forward's own formula. hg-cpu-small's six up-sampling gradients took 12.9 ms of a
 * 441 ms step with the stock kernel (bench/step-profile.ts). Tested against a float32 JS block-sum reference and the
 * stock kernel (test/kernels-threads.test.ts).
 */
import * as tf from '@tensorflow/tfjs-core';
import type { KernelConfig, KernelFunc, TensorInfo } from '@tensorflow/tfjs-core';
import type { NativeKernels } from '../native-addon';
import type { WasmBackendLike, KernelArgs } from './wasm-calls';

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

export function makeUpsampleGrad(stock: KernelConfig, nat: NativeKernels): KernelConfig {
  const fall = stock.kernelFunc as unknown as (a: KernelArgs) => TensorInfo;
  const kernelFunc = (args: KernelArgs): TensorInfo => {
    const { images, dy } = args.inputs;
    const k = powerOfTwoUpsampleFactor(images.shape, dy.shape);
    if (k === null || args.attrs?.alignCorners === true || dy.dtype !== 'float32') return fall(args);
    const backend = args.backend as WasmBackendLike;
    const out = backend.makeOutput(images.shape, 'float32');
    // Views only after makeOutput: allocating may grow (replace) the heap.
    const [B, H, W, C] = images.shape;
    nat.upsampleGrad(backend.typedArrayFromHeap(dy) as Float32Array, backend.typedArrayFromHeap(out) as Float32Array, Int32Array.from([B, H, W, C, k]));
    return out;
  };
  return { kernelName: tf.ResizeNearestNeighborGrad, backendName: 'wasm', setupFunc: stock.setupFunc, kernelFunc: kernelFunc as unknown as KernelFunc };
}
