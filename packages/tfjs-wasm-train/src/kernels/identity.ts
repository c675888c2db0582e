/**
 * Identity for the wasm backend without a copy. The stock 4.22.0 kernel copies the whole buffer; gradients call it
 * thousands of times per training step (4% of an hourglass step). tfjs tensors are immutable, so sharing the data
 * with a reference count is safe — the cpu backend's Identity and wasm's own Reshape do exactly this.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { KernelConfig, KernelFunc, TensorInfo } from '@tensorflow/tfjs-core';
import { stockWasmKernel } from './wasm-calls';

export function makeIdentity(): KernelConfig {
  const stock = stockWasmKernel('Identity');
  const kernelFunc = (args: { inputs: Record<string, TensorInfo>; backend: unknown }) => {
    const { x } = args.inputs;
    const backend = args.backend as { incRef(dataId: object): void };
    if (x.dtype === 'string') return stock(args.backend as never)(args.inputs);
    backend.incRef(x.dataId);
    return { dataId: x.dataId, shape: [...x.shape], dtype: x.dtype };
  };
  return { kernelName: tf.Identity, backendName: 'wasm', kernelFunc: kernelFunc as unknown as KernelFunc };
}
