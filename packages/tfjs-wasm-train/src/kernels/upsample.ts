/**
 * ResizeNearestNeighbor (forward) on the host backend through the native addon, for the case the hourglass uses (a
 * power-of-two factor k on both axes, alignCorners false; with or without half-pixel centres, which for such k read
 * the same rows, see upsample-grad.ts): output (i, j) is input (⌊i/k⌋, ⌊j/k⌋), one row copy per output row over the
 * pool's threads. The stock cpu kernel computes every source index per element (the paper preset's 16 up-samplings took
 * ~0.47 s of a 10.5 s 1-thread step, bench/step-profile.ts paper). Every other case goes to the stock kernel.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { KernelConfig, KernelFunc, TensorInfo } from '@tensorflow/tfjs-core';
import type { NativeKernels } from '../native-addon';
import type { KernelArgs } from './wasm-calls';
import { BACKEND_OF, tensorMemory, type MemoryKind } from './memory';
import { powerOfTwoUpsampleFactor } from './upsample-grad';

export function makeNativeUpsample(stock: KernelConfig, nat: NativeKernels, mem: MemoryKind = 'host'): KernelConfig {
  const fall = stock.kernelFunc as unknown as (a: KernelArgs) => TensorInfo;
  const kernelFunc = (args: KernelArgs): TensorInfo => {
    const { images } = args.inputs;
    const size = args.attrs?.size as [number, number] | undefined;
    if (!size || images.shape.length !== 4 || images.dtype !== 'float32' || args.attrs?.alignCorners === true) return fall(args);
    const [B, H, W, C] = images.shape;
    const k = powerOfTwoUpsampleFactor(images.shape, [B, size[0], size[1], C]);
    if (k === null) return fall(args);
    const m = tensorMemory(mem, args.backend);
    const out = m.alloc([B, size[0], size[1], C]);
    nat.upsampleForward(m.view(images), m.view(out), Int32Array.from([B, H, W, C, k]));
    return out;
  };
  return { kernelName: tf.ResizeNearestNeighbor, backendName: BACKEND_OF[mem], setupFunc: stock.setupFunc, kernelFunc: kernelFunc as unknown as KernelFunc };
}
