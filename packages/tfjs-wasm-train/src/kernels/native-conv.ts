/**
 * Conv2D, Conv2DBackpropFilter and Conv2DBackpropInput through the native addon (src/native-addon.ts: im2col +
 * OpenBLAS sgemm in place on the tensors' memory: the wasm heap, or the host backend's typed arrays). Measured
 * 2.5–6x faster than XNNPACK and our wasm gradient kernels on the hourglass layers (bench/native-conv-ab.ts).
 * Anything the addon does not cover (non-float32, NCHW) goes to the kernel it wraps (wasm's, or the stock cpu one).
 */
import * as tf from '@tensorflow/tfjs-core';
import type { KernelConfig, KernelFunc, NamedAttrMap, TensorInfo } from '@tensorflow/tfjs-core';
import { packConvDims, type NativeKernels } from '../native-addon';
import type { KernelArgs } from './wasm-calls';
import { BACKEND_OF, tensorMemory, type MemoryKind } from './memory';

type Kind = 'Conv2D' | 'Conv2DBackpropFilter' | 'Conv2DBackpropInput';

/** The packed dims the addon's conv functions take, from tfjs's conv info. */
export function dims(info: tf.backend_util.Conv2DInfo): Int32Array {
  return packConvDims({
    B: info.batchSize, H: info.inHeight, W: info.inWidth, Cin: info.inChannels, kh: info.filterHeight, kw: info.filterWidth,
    Cout: info.outChannels, sh: info.strideHeight, sw: info.strideWidth, dh: info.dilationHeight, dw: info.dilationWidth,
    pt: info.padInfo.top, pl: info.padInfo.left, oh: info.outHeight, ow: info.outWidth,
  });
}

/** tfjs's conv info for an NHWC convolution (or one of its gradients) with these attributes. */
export function conv2dInfo(kind: Kind, xShape: number[], filterShape: number[], attrs: NamedAttrMap): tf.backend_util.Conv2DInfo {
  const { strides, pad, dimRoundingMode, dilations } = attrs as unknown as {
    strides: [number, number] | number; pad: 'valid' | 'same' | number | tf.backend_util.ExplicitPadding;
    dimRoundingMode?: 'floor' | 'round' | 'ceil'; dilations?: [number, number] | number;
  };
  if (xShape.length !== 4 || filterShape.length !== 4) {
    throw new Error(`${kind} (native): expected 4-D input and filter, got [${xShape}] and [${filterShape}]`);
  }
  return tf.backend_util.computeConv2DInfo(
    xShape as [number, number, number, number], filterShape as [number, number, number, number],
    strides, kind === 'Conv2D' ? (dilations ?? 1) : 1, pad, dimRoundingMode, false, 'channelsLast');
}

/** The native version of `kind` on `mem`'s backend, falling back to `fallback` for what the addon does not cover. */
export function makeNativeConv(kind: Kind, fallback: KernelConfig, nat: NativeKernels, mem: MemoryKind = 'wasm'): KernelConfig {
  const fall = fallback.kernelFunc as unknown as (a: KernelArgs) => TensorInfo;
  const kernelFunc = (args: KernelArgs): TensorInfo => {
    const attrs = args.attrs ?? {};
    const format = attrs.dataFormat as string | undefined;
    const ins = Object.values(args.inputs).filter((t) => t != null);
    if ((format != null && format !== 'NHWC') || ins.some((t) => t.dtype !== 'float32')) return fall(args);
    const m = tensorMemory(mem, args.backend);
    const view = m.view;
    if (kind === 'Conv2D') {
      const { x, filter } = args.inputs;
      const info = conv2dInfo(kind, x.shape, filter.shape, attrs);
      const out = m.alloc(info.outShape);
      // Views only after alloc: on wasm allocating may grow (replace) the heap.
      nat.conv2dForward(view(x), view(filter), view(out), dims(info));
      return out;
    }
    if (kind === 'Conv2DBackpropFilter') {
      const { x, dy } = args.inputs;
      const filterShape = attrs.filterShape as number[];
      const info = conv2dInfo(kind, x.shape, filterShape, attrs);
      if (dy.shape.join() !== info.outShape.join()) {
        throw new Error(`Conv2DBackpropFilter (native): dy shape [${dy.shape}] does not match the forward output [${info.outShape}] of x [${x.shape}] with filter [${filterShape}]`);
      }
      const out = m.alloc(filterShape);
      nat.conv2dBackpropFilter(view(x), view(dy), view(out), dims(info));
      return out;
    }
    const { dy, filter } = args.inputs;
    const inputShape = attrs.inputShape as number[];
    const info = conv2dInfo(kind, inputShape, filter.shape, attrs);
    if (dy.shape.join() !== info.outShape.join()) {
      throw new Error(`Conv2DBackpropInput (native): dy shape [${dy.shape}] does not match the forward output [${info.outShape}] of input [${inputShape}] with filter [${filter.shape}]`);
    }
    const out = m.alloc(inputShape);
    nat.conv2dBackpropInput(view(dy), view(filter), view(out), dims(info));
    return out;
  };
  return { kernelName: kind, backendName: BACKEND_OF[mem], kernelFunc: kernelFunc as unknown as KernelFunc };
}
