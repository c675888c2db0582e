/**
 * Add for the wasm and host backends: same-shaped float32 tensors (the hourglass's residual sums and tfjs's gradient
 * accumulation, 82 Adds and 33-36 ms of a 441 ms hg-cpu-small step with the stock single-threaded wasm kernel,
 * bench/step-profile.ts) go to the native addon's threaded `addSame`; broadcasting, other dtypes and small tensors
 * stay on the stock kernel. One float addition per element either way, so the same bits (test/kernels-threads.test.ts).
 */
import * as tf from '@tensorflow/tfjs-core';
import type { KernelConfig, KernelFunc, TensorInfo } from '@tensorflow/tfjs-core';
import type { NativeKernels } from '../native-addon';
import type { KernelArgs } from './wasm-calls';
import { BACKEND_OF, tensorMemory, type MemoryKind } from './memory';

/** Below this many elements a call to the addon is not worth it (the stock kernel is a few µs). */
export const NATIVE_ADD_MIN_SIZE = 1 << 14;

/** The native same-shape Add on `mem`'s backend, or null for the cases it leaves to another kernel. */
export function nativeSameShapeAdd(nat: NativeKernels, mem: MemoryKind): (args: KernelArgs) => TensorInfo | null {
  return (args) => {
    const { a, b } = args.inputs;
    const n = tf.util.sizeFromShape(a.shape);
    if (a.dtype !== 'float32' || b.dtype !== 'float32' || n < NATIVE_ADD_MIN_SIZE || !tf.util.arraysEqual(a.shape, b.shape)) return null;
    const m = tensorMemory(mem, args.backend);
    const out = m.alloc(a.shape);
    // Views only after alloc: on wasm allocating may grow (replace) the heap.
    nat.addSame(m.view(a), m.view(b), m.view(out), n);
    return out;
  };
}

export function makeNativeAdd(stock: KernelConfig, nat: NativeKernels, mem: MemoryKind = 'wasm'): KernelConfig {
  const fall = stock.kernelFunc as unknown as (a: KernelArgs) => TensorInfo;
  const same = nativeSameShapeAdd(nat, mem);
  const kernelFunc = (args: KernelArgs): TensorInfo => same(args) ?? fall(args);
  return { kernelName: tf.Add, backendName: BACKEND_OF[mem], setupFunc: stock.setupFunc, kernelFunc: kernelFunc as unknown as KernelFunc };
}
