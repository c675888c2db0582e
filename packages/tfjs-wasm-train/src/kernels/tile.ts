/**
 * Fast Tile for the wasm and host backends. The stock 4.22.0 kernels compute a multi-index per output element; batch-norm's
 * gradient (tfjs-core FusedBatchNorm_grad) tiles [1,1,1,C] to the full activation shape, which made Tile the
 * largest kernel of an hourglass training step (23%). Output = the input block repeated: we write each innermost
 * input row once and then replicate already-written blocks with copyWithin (memmove speed), axis by axis. On host the
 * lean Mean/Sum gradients' tiles of a paper-preset step took 4.5 s with the cpu kernel (tf.profile).
 */
import * as tf from '@tensorflow/tfjs-core';
import type { KernelConfig, KernelFunc, TensorInfo } from '@tensorflow/tfjs-core';
import { fallbackKernel, type WasmBackendLike, type KernelArgs } from './wasm-calls';
import { BACKEND_OF, type MemoryKind } from './memory';

interface HostLike {
  data: { get(dataId: object): { values?: unknown } };
  makeTensorInfo(shape: number[], dtype: tf.DataType, values?: tf.TypedArray): TensorInfo;
}

/** `hostStock`: on the host backend, the stock cpu kernel for the cases we leave (wasm finds its own). */
export function makeTile(mem: MemoryKind = 'wasm', hostStock?: KernelConfig): KernelConfig {
  const stock = fallbackKernel('Tile', hostStock);
  const kernelFunc = (args: KernelArgs) => {
    const { x } = args.inputs;
    const reps = (args.attrs ?? {}).reps as number[];
    // Strings live outside the heap (and are not typed arrays on host): leave them, and malformed reps (for the stock
    // error), to the stock kernel.
    if (x.dtype === 'string' || x.dtype === 'complex64' || !Array.isArray(reps) || reps.length !== x.shape.length) return stock(args);
    const rank = x.shape.length;
    const outShape = x.shape.map((d, i) => d * reps[i]);
    const size = tf.util.sizeFromShape(outShape);
    let out: TensorInfo;
    let src: tf.TypedArray;
    let dst: tf.TypedArray;
    // Tile keeps the dtype (int32, bool too), so it takes memory per dtype rather than through tensorMemory's float32.
    if (mem === 'wasm') {
      const backend = args.backend as WasmBackendLike;
      out = backend.makeOutput(outShape, x.dtype);
      if (size === 0) return out;
      // Views after makeOutput: it may grow (replace) the heap.
      src = backend.typedArrayFromHeap(x);
      dst = backend.typedArrayFromHeap(out);
    } else {
      const backend = args.backend as HostLike;
      const values = backend.data.get(x.dataId).values;
      if (!ArrayBuffer.isView(values)) return stock(args);
      src = values as tf.TypedArray;
      dst = tf.util.getTypedArrayFromDType(x.dtype as 'float32', size);
      out = backend.makeTensorInfo(outShape, x.dtype, dst);
      if (size === 0) return out;
    }
    if (rank === 0) {
      dst[0] = src[0];
      return out;
    }
    const inStrides = new Array<number>(rank);
    const outStrides = new Array<number>(rank);
    inStrides[rank - 1] = 1;
    outStrides[rank - 1] = 1;
    for (let i = rank - 2; i >= 0; i--) {
      inStrides[i] = inStrides[i + 1] * x.shape[i + 1];
      outStrides[i] = outStrides[i + 1] * outShape[i + 1];
    }
    const last = rank - 1;
    const fill = (axis: number, inOff: number, outOff: number): void => {
      const n = x.shape[axis];
      if (axis === last) {
        dst.set(src.subarray(inOff, inOff + n), outOff);
      } else {
        for (let i = 0; i < n; i++) fill(axis + 1, inOff + i * inStrides[axis], outOff + i * outStrides[axis]);
      }
      // The block just written (all of axis `axis` at this position) repeats reps[axis] times along the axis.
      const block = n * outStrides[axis];
      for (let r = 1; r < reps[axis]; r++) dst.copyWithin(outOff + r * block, outOff, outOff + block);
    };
    fill(0, 0, 0);
    return out;
  };
  return { kernelName: tf.Tile, backendName: BACKEND_OF[mem], kernelFunc: kernelFunc as unknown as KernelFunc };
}
