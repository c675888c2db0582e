/**
 * Convolution plus per-channel bias as one op: conv2d(x, w) + b (NHWC, filters [kh, kw, Cin, Cout]).
 *
 * Why: every convolution of the hourglass has a bias. As two tfjs ops it costs a broadcasting Add in the forward pass
 * (wasm's broadcast add runs at ~0.2-0.4 ms per hourglass layer) and a Sum over [B,H,W] + Reshape in the backward
 * pass, plus the engine's per-op bookkeeping. With the native addon (src/native-addon.ts) on wasm or host this is one
 * kernel (`WasmTrainConv2DBias`: the GEMM accumulates onto rows pre-filled with the bias) whose gradient is the two conv
 * gradient kernels and one native column sum. Elsewhere (cpu, tfjs-node, wasm or host without the addon) it is
 * exactly tf.add(tf.conv2d(...), b).
 *
 *   const y = convBias(x, w, b, 1, 'same');
 */
import * as tf from '@tensorflow/tfjs-core';
import type { KernelFunc, NamedAttrMap, TensorInfo } from '@tensorflow/tfjs-core';
import type { NativeKernels } from '../native-addon';
import { conv2dInfo, dims } from '../kernels/native-conv';
import type { KernelArgs } from '../kernels/wasm-calls';
import { BACKEND_OF, tensorMemory, type MemoryKind } from '../kernels/memory';

export const CONV_BIAS = 'WasmTrainConv2DBias';
/** conv + bias + residual (a residual block's last convolution and its sum) as one kernel; gradient: CONV_BIAS's + dy. */
export const CONV_BIAS_ADD = 'WasmTrainConv2DBiasAdd';
const BIAS_GRAD = 'WasmTrainBiasGrad';

export type ConvPad = 'same' | 'valid' | [[number, number], [number, number], [number, number], [number, number]];

/** The addon per backend name, for the backends whose kernels are registered with it. */
const nativeOn = new Map<string, NativeKernels>();
/**
 * Called by the kernel registration of each backend kind (registerWasmTrainingKernels, the host backend): the addon
 * when it serves that backend, else null (plain ops there).
 */
export function useNativeConvBias(nat: NativeKernels | null, mem: MemoryKind = 'wasm'): void {
  if (nat) {
    nativeOn.set(BACKEND_OF[mem], nat);
    register(mem);
  } else {
    nativeOn.delete(BACKEND_OF[mem]);
  }
}

const forward = (mem: MemoryKind) => (args: KernelArgs): TensorInfo => {
  const m = tensorMemory(mem, args.backend);
  const { x, filter, bias } = args.inputs;
  const ci = conv2dInfo(tf.Conv2D, x.shape, filter.shape, args.attrs ?? {});
  const out = m.alloc(ci.outShape);
  // Views only after alloc: on wasm allocating may grow (replace) the heap.
  nativeOn.get(BACKEND_OF[mem])!.conv2dBiasForward(m.view(x), m.view(filter), m.view(out), dims(ci), m.view(bias));
  return out;
};

const forwardAdd = (mem: MemoryKind) => (args: KernelArgs): TensorInfo => {
  const m = tensorMemory(mem, args.backend);
  const { x, filter, bias, residual } = args.inputs;
  const ci = conv2dInfo(tf.Conv2D, x.shape, filter.shape, args.attrs ?? {});
  if (residual.shape.join() !== ci.outShape.join()) {
    throw new Error(`convBiasAdd: residual [${residual.shape}] must have the convolution's output shape [${ci.outShape}]`);
  }
  const out = m.alloc(ci.outShape);
  nativeOn.get(BACKEND_OF[mem])!.conv2dBiasAddForward(m.view(x), m.view(filter), m.view(out), dims(ci), m.view(bias), m.view(residual));
  return out;
};

const biasGrad = (mem: MemoryKind) => (args: KernelArgs): TensorInfo => {
  const m = tensorMemory(mem, args.backend);
  const { dy } = args.inputs;
  const C = dy.shape[dy.shape.length - 1];
  const out = m.alloc([C]);
  nativeOn.get(BACKEND_OF[mem])!.columnSums(m.view(dy), m.view(out), tf.util.sizeFromShape(dy.shape) / C, C);
  return out;
};

const registered = new Set<MemoryKind>();
function register(mem: MemoryKind): void {
  if (registered.has(mem)) return;
  registered.add(mem);
  tf.registerKernel({ kernelName: CONV_BIAS, backendName: BACKEND_OF[mem], kernelFunc: forward(mem) as unknown as KernelFunc });
  tf.registerKernel({ kernelName: BIAS_GRAD, backendName: BACKEND_OF[mem], kernelFunc: biasGrad(mem) as unknown as KernelFunc });
  tf.registerKernel({ kernelName: CONV_BIAS_ADD, backendName: BACKEND_OF[mem], kernelFunc: forwardAdd(mem) as unknown as KernelFunc });
  // The gradients are global (not per backend): registered once.
  if (tf.getGradient(CONV_BIAS) != null) return;
  const convGrads = (dy: tf.Tensor | tf.Tensor[], saved: tf.Tensor[], attrs: NamedAttrMap) => {
    const g = dy as tf.Tensor4D;
    const [x, filter] = saved as tf.Tensor4D[];
    const { strides, pad } = attrs as unknown as { strides: [number, number]; pad: ConvPad };
    const common = { strides, pad, dataFormat: 'NHWC', dimRoundingMode: undefined };
    return {
      x: () => tf.engine().runKernel(tf.Conv2DBackpropInput, { dy: g, filter }, { ...common, inputShape: x.shape } as unknown as NamedAttrMap) as tf.Tensor,
      filter: () => tf.engine().runKernel(tf.Conv2DBackpropFilter, { x, dy: g }, { ...common, filterShape: filter.shape } as unknown as NamedAttrMap) as tf.Tensor,
      bias: () => tf.engine().runKernel(BIAS_GRAD, { dy: g }) as tf.Tensor,
    };
  };
  tf.registerGradient({ kernelName: CONV_BIAS, inputsToSave: ['x', 'filter'], gradFunc: convGrads });
  tf.registerGradient({
    kernelName: CONV_BIAS_ADD,
    inputsToSave: ['x', 'filter'],
    gradFunc: (dy, saved, attrs) => ({ ...convGrads(dy, saved, attrs), residual: () => dy as tf.Tensor }),
  });
}

/**
 * conv2d(x, w, stride, pad) + b + residual, as one kernel on wasm or host with the native addon (the residual sum
 * rides on the GEMM's accumulation: one Add kernel less per residual block); convBias + tf.add elsewhere.
 */
export function convBiasAdd(x: tf.Tensor4D, w: tf.Tensor4D, b: tf.Tensor1D, stride: number, pad: ConvPad, residual: tf.Tensor4D): tf.Tensor4D {
  if (!nativeOn.has(tf.getBackend()) || x.dtype !== 'float32' || w.dtype !== 'float32' || b.dtype !== 'float32' || residual.dtype !== 'float32') {
    return tf.add(convBias(x, w, b, stride, pad), residual);
  }
  if (x.rank !== 4 || w.rank !== 4 || x.shape[3] !== w.shape[2] || b.rank !== 1 || b.shape[0] !== w.shape[3]) {
    throw new Error(`convBiasAdd: x [B,H,W,Cin], w [kh,kw,Cin,Cout], b [Cout] expected; got x [${x.shape}], w [${w.shape}], b [${b.shape}]`);
  }
  return tf.engine().runKernel(CONV_BIAS_ADD, { x, filter: w, bias: b, residual }, { strides: [stride, stride], pad } as unknown as NamedAttrMap) as tf.Tensor4D;
}

/** conv2d(x, w, stride, pad) + b, as one kernel on wasm or host with the native addon (see the module comment). */
export function convBias(x: tf.Tensor4D, w: tf.Tensor4D, b: tf.Tensor1D, stride: number, pad: ConvPad): tf.Tensor4D {
  if (!nativeOn.has(tf.getBackend()) || x.dtype !== 'float32' || w.dtype !== 'float32' || b.dtype !== 'float32') {
    return tf.add(tf.conv2d(x, w, stride, pad), b);
  }
  if (x.rank !== 4 || w.rank !== 4 || x.shape[3] !== w.shape[2] || b.rank !== 1 || b.shape[0] !== w.shape[3]) {
    throw new Error(`convBias: x [B,H,W,Cin], w [kh,kw,Cin,Cout], b [Cout] expected; got x [${x.shape}], w [${w.shape}], b [${b.shape}]`);
  }
  return tf.engine().runKernel(CONV_BIAS, { x, filter: w, bias: b }, { strides: [stride, stride], pad } as unknown as NamedAttrMap) as tf.Tensor4D;
}
