/**
 * Convolution plus per-channel bias as one op: conv2d(x, w) + b (NHWC, filters [kh, kw, Cin, Cout]).
 *
 * Why: every convolution of the hourglass has a bias. As two tfjs ops it costs a broadcasting Add in the forward pass
 * (wasm's broadcast add runs at ~0.2-0.4 ms per hourglass layer) and a Sum over [B,H,W] + Reshape in the backward
 * pass, plus the engine's per-op bookkeeping. With the native addon (src/native-addon.ts) on wasm this is one
 * kernel (`WasmTrainConv2DBias`: the GEMM accumulates onto rows pre-filled with the bias) whose gradient is the two conv
 * gradient kernels and one native column sum. Elsewhere (cpu, tfjs-node, wasm without the addon) it is exactly
 * tf.add(tf.conv2d(...), b).
 *
 *   const y = convBias(x, w, b, 1, 'same');
 */
import * as tf from '@tensorflow/tfjs-core';
import type { KernelFunc, NamedAttrMap, TensorInfo } from '@tensorflow/tfjs-core';
import type { NativeKernels } from '../native-addon';
import { conv2dInfo, dims } from '../kernels/native-conv';
import type { KernelArgs, WasmBackendLike } from '../kernels/wasm-calls';

export const CONV_BIAS = 'WasmTrainConv2DBias';
const BIAS_GRAD = 'WasmTrainBiasGrad';

export type ConvPad = 'same' | 'valid' | [[number, number], [number, number], [number, number], [number, number]];


let native: NativeKernels | null = null;
/** Called by registerWasmTrainingKernels: the addon when the 'all' kernel set runs with it, else null (plain ops). */
export function useNativeConvBias(nat: NativeKernels | null): void {
  native = nat;
  if (nat) register();
}

const view = (b: WasmBackendLike, t: TensorInfo) => b.typedArrayFromHeap(t) as Float32Array;

const forward = (args: KernelArgs): TensorInfo => {
  const b = args.backend as WasmBackendLike;
  const { x, filter, bias } = args.inputs;
  const ci = conv2dInfo(tf.Conv2D, x.shape, filter.shape, args.attrs ?? {});
  const out = b.makeOutput(ci.outShape, 'float32');
  // Heap views only after makeOutput: allocating may grow (replace) the wasm heap.
  native!.conv2dBiasForward(view(b, x), view(b, filter), view(b, out), dims(ci), view(b, bias));
  return out;
};

const biasGrad = (args: KernelArgs): TensorInfo => {
  const b = args.backend as WasmBackendLike;
  const { dy } = args.inputs;
  const C = dy.shape[dy.shape.length - 1];
  const out = b.makeOutput([C], 'float32');
  native!.columnSums(view(b, dy), view(b, out), tf.util.sizeFromShape(dy.shape) / C, C);
  return out;
};

let registered = false;
function register(): void {
  if (registered) return;
  registered = true;
  tf.registerKernel({ kernelName: CONV_BIAS, backendName: 'wasm', kernelFunc: forward as unknown as KernelFunc });
  tf.registerKernel({ kernelName: BIAS_GRAD, backendName: 'wasm', kernelFunc: biasGrad as unknown as KernelFunc });
  tf.registerGradient({
    kernelName: CONV_BIAS,
    inputsToSave: ['x', 'filter'],
    gradFunc: (dy: tf.Tensor | tf.Tensor[], saved: tf.Tensor[], attrs: NamedAttrMap) => {
      const g = dy as tf.Tensor4D;
      const [x, filter] = saved as tf.Tensor4D[];
      const { strides, pad } = attrs as unknown as { strides: [number, number]; pad: ConvPad };
      const common = { strides, pad, dataFormat: 'NHWC', dimRoundingMode: undefined };
      return {
        x: () => tf.engine().runKernel(tf.Conv2DBackpropInput, { dy: g, filter }, { ...common, inputShape: x.shape } as unknown as NamedAttrMap) as tf.Tensor,
        filter: () => tf.engine().runKernel(tf.Conv2DBackpropFilter, { x, dy: g }, { ...common, filterShape: filter.shape } as unknown as NamedAttrMap) as tf.Tensor,
        bias: () => tf.engine().runKernel(BIAS_GRAD, { dy: g }) as tf.Tensor,
      };
    },
  });
}

/** conv2d(x, w, stride, pad) + b, as one kernel on wasm with the native addon (see the module comment). */
export function convBias(x: tf.Tensor4D, w: tf.Tensor4D, b: tf.Tensor1D, stride: number, pad: ConvPad): tf.Tensor4D {
  if (native === null || tf.getBackend() !== 'wasm' || x.dtype !== 'float32' || w.dtype !== 'float32' || b.dtype !== 'float32') {
    return tf.add(tf.conv2d(x, w, stride, pad), b);
  }
  if (x.rank !== 4 || w.rank !== 4 || x.shape[3] !== w.shape[2] || b.rank !== 1 || b.shape[0] !== w.shape[3]) {
    throw new Error(`convBias: x [B,H,W,Cin], w [kh,kw,Cin,Cout], b [Cout] expected; got x [${x.shape}], w [${w.shape}], b [${b.shape}]`);
  }
  return tf.engine().runKernel(CONV_BIAS, { x, filter: w, bias: b }, { strides: [stride, stride], pad } as unknown as NamedAttrMap) as tf.Tensor4D;
}
