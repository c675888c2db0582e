/**
 * The ReLU's gradient as one kernel. tfjs-core computes it as dy · cast(step(x)): three full-size kernels (Step, Cast,
 * Multiply) and two temporaries per ReLU; with the native addon on wasm or host it is one pass (`WasmTrainReluGrad`:
 * dy where x > 0, else 0 — the same values: dy·1 and dy·0). Elsewhere the stock formula. Installed with the 'all' set
 * (wasm) and with the host backend.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { GradConfig, KernelConfig, KernelFunc, TensorInfo } from '@tensorflow/tfjs-core';
import type { NativeKernels } from '../native-addon';
import { BACKEND_OF, tensorMemory, type MemoryKind } from './memory';

export const RELU_GRAD = 'WasmTrainReluGrad';

/** The addon each backend's kernel runs on (null or absent: the stock formula on that backend). */
const nativeOn = new Map<string, NativeKernels | null>();

/** The kernel over the addon for `mem`'s backend; `nat` null leaves the stock formula in that backend's gradient. */
export function makeReluGradKernel(nat: NativeKernels | null, mem: MemoryKind = 'wasm'): KernelConfig {
  nativeOn.set(BACKEND_OF[mem], nat);
  const kernelFunc = ({ inputs, backend }: { inputs: Record<string, TensorInfo>; backend: unknown }): TensorInfo => {
    const m = tensorMemory(mem, backend);
    const { dy, x } = inputs;
    const out = m.alloc(x.shape);
    nat!.reluGrad(m.view(dy), m.view(x), m.view(out), tf.util.sizeFromShape(x.shape));
    return out;
  };
  return { kernelName: RELU_GRAD, backendName: BACKEND_OF[mem], kernelFunc: kernelFunc as unknown as KernelFunc };
}

export function leanReluGrad(): GradConfig {
  return {
    kernelName: tf.Relu,
    inputsToSave: ['x'],
    gradFunc: (dy: tf.Tensor | tf.Tensor[], saved: tf.Tensor[]) => {
      const [x] = saved;
      const g = dy as tf.Tensor;
      const one = nativeOn.get(tf.getBackend()) != null && x.dtype === 'float32' && g.dtype === 'float32';
      return { x: () => (one ? tf.engine().runKernel(RELU_GRAD, { dy: g, x }) as tf.Tensor : tf.mul(g, tf.cast(tf.step(x), 'float32'))) };
    },
  };
}
