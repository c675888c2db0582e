/**
 * The ReLU's gradient as one kernel. tfjs-core computes it as dy · cast(step(x)): three full-size kernels (Step, Cast,
 * Multiply) and two temporaries per ReLU; with the native addon on wasm it is one pass (`WasmTrainReluGrad`: dy where
 * x > 0, else 0 — the same values: dy·1 and dy·0). Elsewhere the stock formula. Installed with the 'all' set.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { GradConfig, KernelConfig, KernelFunc, TensorInfo } from '@tensorflow/tfjs-core';
import type { NativeKernels } from '../native-addon';
import type { WasmBackendLike } from './wasm-calls';

export const RELU_GRAD = 'WasmTrainReluGrad';

let native: NativeKernels | null = null;

/** The wasm kernel over the addon; `nat` null leaves the stock formula in the gradient. */
export function makeReluGradKernel(nat: NativeKernels | null): KernelConfig {
  native = nat;
  const kernelFunc = ({ inputs, backend }: { inputs: Record<string, TensorInfo>; backend: unknown }): TensorInfo => {
    const b = backend as WasmBackendLike;
    const { dy, x } = inputs;
    const out = b.makeOutput(x.shape, 'float32');
    const view = (t: TensorInfo) => b.typedArrayFromHeap(t) as Float32Array;
    native!.reluGrad(view(dy), view(x), view(out), tf.util.sizeFromShape(x.shape));
    return out;
  };
  return { kernelName: RELU_GRAD, backendName: 'wasm', kernelFunc: kernelFunc as unknown as KernelFunc };
}

export function leanReluGrad(): GradConfig {
  return {
    kernelName: tf.Relu,
    inputsToSave: ['x'],
    gradFunc: (dy: tf.Tensor | tf.Tensor[], saved: tf.Tensor[]) => {
      const [x] = saved;
      const g = dy as tf.Tensor;
      const one = native !== null && tf.getBackend() === 'wasm' && x.dtype === 'float32' && g.dtype === 'float32';
      return { x: () => (one ? tf.engine().runKernel(RELU_GRAD, { dy: g, x }) as tf.Tensor : tf.mul(g, tf.cast(tf.step(x), 'float32'))) };
    },
  };
}
