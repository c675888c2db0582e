/**
 * Conv2DBackpropFilter for the wasm backend (missing in tfjs-backend-wasm 4.22.0), built on wasm's XNNPACK Conv2D.
 *
 * dF[r,c,ci,co] = Σ_{b,i,j} x[b, i·s + r − pt, j·s + c − pl, ci] · dy[b,i,j,co]
 * is itself a convolution: take x transposed to [Cin,H,W,B] as the image (batch = Cin, channels = B) and dy
 * transposed to [oh,ow,B,Cout] as the filter, stride 1, dilation = the forward stride, top/left padding = the
 * forward padding, bottom/right padding chosen so the output is exactly kh×kw; transpose [Cin,kh,kw,Cout] back to
 * [kh,kw,Cin,Cout]. When the forward pass never read the last input rows ('valid' with a stride that does not divide),
 * that bottom padding would be negative: we pad 0 and crop the (tiny) result instead of copying the big input.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { KernelConfig, KernelFunc, NamedAttrMap, TensorInfo } from '@tensorflow/tfjs-core';
import { convInfo, release, stockWasmKernel, type WasmBackendLike } from './wasm-calls';

export function makeConv2DBackpropFilter(): KernelConfig {
  const conv2d = stockWasmKernel('Conv2D');
  const transpose = stockWasmKernel('Transpose');
  const slice = stockWasmKernel('Slice');

  const kernelFunc = (args: { inputs: Record<string, TensorInfo>; backend: unknown; attrs?: NamedAttrMap }) => {
    const backend = args.backend as WasmBackendLike;
    const { x, dy } = args.inputs;
    const attrs = args.attrs ?? {};
    const filterShape = attrs.filterShape as number[];
    const info = convInfo('Conv2DBackpropFilter', x.shape, filterShape, attrs);
    if (dy.shape.join() !== info.outShape.join()) {
      throw new Error(`Conv2DBackpropFilter (wasm): dy shape [${dy.shape}] does not match the forward output ` +
        `[${info.outShape}] of x [${x.shape}] with filter [${filterShape}]`);
    }
    const { filterHeight: kh, filterWidth: kw, strideHeight: sh, strideWidth: sw, inHeight: H, inWidth: W,
      outHeight: oh, outWidth: ow, inChannels: cin, outChannels: cout } = info;
    const pt = info.padInfo.top;
    const pl = info.padInfo.left;
    const pb = kh + (oh - 1) * sh - H - pt;
    const pr = kw + (ow - 1) * sw - W - pl;

    const call = (k: typeof conv2d) => k(backend);
    const xT = call(transpose)({ x }, { perm: [3, 1, 2, 0] });
    const dyT = call(transpose)({ x: dy }, { perm: [1, 2, 0, 3] });
    let g = call(conv2d)({ x: xT, filter: dyT }, {
      strides: [1, 1], dilations: [sh, sw], dataFormat: 'NHWC', dimRoundingMode: undefined as unknown as string,
      pad: [[0, 0], [pt, Math.max(0, pb)], [pl, Math.max(0, pr)], [0, 0]] as unknown as number[],
    });
    release(backend, xT, dyT);
    if (pb < 0 || pr < 0) {
      const cropped = call(slice)({ x: g }, { begin: [0, 0, 0, 0], size: [cin, kh, kw, cout] });
      release(backend, g);
      g = cropped;
    }
    const dw = call(transpose)({ x: g }, { perm: [1, 2, 0, 3] });
    release(backend, g);
    return dw;
  };
  return { kernelName: tf.Conv2DBackpropFilter, backendName: 'wasm', kernelFunc: kernelFunc as unknown as KernelFunc };
}
