/**
 * Fast Tile for the wasm backend. The stock 4.22.0 kernel computes a multi-index per output element; batch-norm's
 * gradient (tfjs-core FusedBatchNorm_grad) tiles [1,1,1,C] to the full activation shape, which made Tile the
 * largest kernel of an hourglass training step (23%). Output = the input block repeated: we write each innermost
 * input row once and then replicate already-written blocks with copyWithin (memmove speed), axis by axis.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { KernelConfig, KernelFunc } from '@tensorflow/tfjs-core';
import { stockWasmKernel, type WasmBackendLike, type KernelArgs } from './wasm-calls';

export function makeTile(): KernelConfig {
  const stock = stockWasmKernel('Tile');
  const kernelFunc = (args: KernelArgs) => {
    const backend = args.backend as WasmBackendLike;
    const { x } = args.inputs;
    const reps = (args.attrs ?? {}).reps as number[];
    // Strings live outside the heap: leave them (and malformed reps, for the stock error) to the stock kernel.
    if (x.dtype === 'string' || !Array.isArray(reps) || reps.length !== x.shape.length) return stock(backend)(args.inputs, args.attrs);
    const rank = x.shape.length;
    const outShape = x.shape.map((d, i) => d * reps[i]);
    const out = backend.makeOutput(outShape, x.dtype);
    const size = tf.util.sizeFromShape(outShape);
    if (size === 0) return out;
    // Views after makeOutput: it may grow (replace) the heap.
    const src = backend.typedArrayFromHeap(x);
    const dst = backend.typedArrayFromHeap(out);
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
  return { kernelName: tf.Tile, backendName: 'wasm', kernelFunc: kernelFunc as unknown as KernelFunc };
}
