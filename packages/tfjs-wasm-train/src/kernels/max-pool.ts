/**
 * MaxPool forward on the host backend with the native addon: the stock cpu kernel walks every window element through
 * generic per-element code (the paper preset's 17 pooling calls took ~1.0 s of a 13 s 1-thread step, bench/step-profile.ts
 * paper); the addon's `maxPoolForward` runs the same rule — each window's strictly largest in-bounds input, NaN passed
 * over, −∞ for a window of only NaN/−∞ — channels innermost over the pool's threads. Anything else (other dtypes,
 * dilations) goes to the stock kernel.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { KernelConfig, KernelFunc } from '@tensorflow/tfjs-core';
import type { NativeKernels } from '../native-addon';
import { fallbackKernel, type KernelArgs } from './wasm-calls';
import { BACKEND_OF, tensorMemory, type MemoryKind } from './memory';

export function makeNativeMaxPool(stock: KernelConfig, nat: NativeKernels, mem: MemoryKind = 'host'): KernelConfig {
  const stockFunc = fallbackKernel(tf.MaxPool, stock);
  const kernelFunc = (args: KernelArgs) => {
    const { x } = args.inputs;
    const { filterSize, strides, pad, dimRoundingMode } = (args.attrs ?? {}) as unknown as {
      filterSize: [number, number] | number; strides: [number, number] | number;
      pad: 'valid' | 'same' | number; dimRoundingMode?: 'floor' | 'round' | 'ceil';
    };
    if (x.shape.length !== 4 || x.dtype !== 'float32') return stockFunc(args);
    const info = tf.backend_util.computePool2DInfo(x.shape as [number, number, number, number], filterSize, strides, 1, pad, dimRoundingMode);
    // A 1×1 window of stride 1 is the identity on cpu (NaN kept): leave it to the stock kernel.
    if (info.filterHeight === 1 && info.filterWidth === 1 && tf.util.arraysEqual(info.inShape, info.outShape)) return stockFunc(args);
    const m = tensorMemory(mem, args.backend);
    const out = m.alloc(info.outShape);
    nat.maxPoolForward(m.view(x), m.view(out), Int32Array.from([info.batchSize, info.inHeight, info.inWidth, info.inChannels,
      info.outHeight, info.outWidth, info.effectiveFilterHeight, info.effectiveFilterWidth, info.strideHeight, info.strideWidth,
      info.padInfo.top, info.padInfo.left]));
    return out;
  };
  return { kernelName: tf.MaxPool, backendName: BACKEND_OF[mem], kernelFunc: kernelFunc as unknown as KernelFunc };
}
