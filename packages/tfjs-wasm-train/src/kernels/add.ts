/**
 * Add for the wasm backend: same-shaped float32 tensors (the hourglass's residual sums and tfjs's gradient
 * accumulation, 82 Adds and 33-36 ms of a 441 ms hg-cpu-small step with the stock single-threaded kernel,
 * bench/step-profile.ts) go to the native addon's threaded `addSame`; broadcasting, other dtypes and small tensors
 * stay on the stock kernel. One float addition per element either way, so the same bits (test/kernels-threads.test.ts).
 */
import * as tf from '@tensorflow/tfjs-core';
import type { KernelConfig, KernelFunc, TensorInfo } from '@tensorflow/tfjs-core';
import type { NativeKernels } from '../native-addon';
import type { WasmBackendLike, KernelArgs } from './wasm-calls';

/** Below this many elements a call to the addon is not worth it (the stock kernel is a few µs). */
export const NATIVE_ADD_MIN_SIZE = 1 << 14;

export function makeNativeAdd(stock: KernelConfig, nat: NativeKernels): KernelConfig {
  const fall = stock.kernelFunc as unknown as (a: KernelArgs) => TensorInfo;
  const kernelFunc = (args: KernelArgs): TensorInfo => {
    const { a, b } = args.inputs;
    const n = tf.util.sizeFromShape(a.shape);
    if (a.dtype !== 'float32' || b.dtype !== 'float32' || n < NATIVE_ADD_MIN_SIZE || !tf.util.arraysEqual(a.shape, b.shape)) return fall(args);
    const backend = args.backend as WasmBackendLike;
    const out = backend.makeOutput(a.shape, 'float32');
    // Views only after makeOutput: allocating may grow (replace) the heap.
    const view = (t: TensorInfo) => backend.typedArrayFromHeap(t) as Float32Array;
    nat.addSame(view(a), view(b), view(out), n);
    return out;
  };
  return { kernelName: tf.Add, backendName: 'wasm', setupFunc: stock.setupFunc, kernelFunc: kernelFunc as unknown as KernelFunc };
}
