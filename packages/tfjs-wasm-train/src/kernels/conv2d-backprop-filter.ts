/**
 * Conv2DBackpropFilter for the wasm backend (missing in tfjs-backend-wasm 4.22.0). Two routes, chosen by shape from
 * measurements (bench/kernel-micro.ts; batch 8, single thread):
 *
 * 1x1, stride 1, no padding (most convolutions of the hourglass) — one XNNPACK matmul:
 *   dF[0,0,:,:] = X^T · DY with X = x as [P, Cin], DY = dy as [P, Cout], P = B·H·W.
 *   The contraction runs over all P positions, which is what matmul kernels are fast at: 3-5x faster than the
 *   convolution route. x is transposed once to [Cin, P] because wasm's BatchMatMul with transposeA=true bypasses
 *   XNNPACK (measured 4-7x slower than transpose + plain matmul); DY is the right-hand operand, which XNNPACK packs.
 *
 * Everything else — as a convolution on XNNPACK:
 *   dF[r,c,ci,co] = Σ_{b,i,j} x[b, i·s + r − pt, j·s + c − pl, ci] · dy[b,i,j,co]
 *   is itself a convolution: take x transposed to [Cin,H,W,B] as the image (batch = Cin, channels = B) and dy
 *   transposed to [oh,ow,B,Cout] as the filter, stride 1, dilation = the forward stride, top/left padding = the
 *   forward padding, bottom/right padding chosen so the output is exactly kh×kw; transpose [Cin,kh,kw,Cout] back to
 *   [kh,kw,Cin,Cout]. When the forward pass never read the last input rows ('valid' with a stride that does not
 *   divide), that bottom padding would be negative: we pad 0 and crop the (tiny) result instead of copying the input.
 *   (A per-tap matmul variant of this route was measured: 1.2x faster only for 3x3 with Cin >= 32 on 64x64 maps,
 *   2-4x slower for the 7x7/2 stem, stride 2 and small maps — not worth a second code path.)
 */
import * as tf from '@tensorflow/tfjs-core';
import type { KernelConfig, KernelFunc } from '@tensorflow/tfjs-core';
import { convInfo, release, stockWasmKernel, type WasmBackendLike, type KernelArgs } from './wasm-calls';

export function makeConv2DBackpropFilter(): KernelConfig {
  const conv2d = stockWasmKernel('Conv2D');
  const transpose = stockWasmKernel('Transpose');
  const slice = stockWasmKernel('Slice');
  const reshape = stockWasmKernel('Reshape');
  const batchMatMul = stockWasmKernel('BatchMatMul');

  const kernelFunc = (args: KernelArgs) => {
    const backend = args.backend as WasmBackendLike;
    const { x, dy } = args.inputs;
    const attrs = args.attrs ?? {};
    const filterShape = attrs.filterShape as number[];
    const info = convInfo('Conv2DBackpropFilter', x.shape, filterShape, attrs);
    if (dy.shape.join() !== info.outShape.join()) {
      throw new Error(`Conv2DBackpropFilter (wasm): dy shape [${dy.shape}] does not match the forward output ` +
        `[${info.outShape}] of x [${x.shape}] with filter [${filterShape}]`);
    }
    const { batchSize: B, filterHeight: kh, filterWidth: kw, strideHeight: sh, strideWidth: sw, inHeight: H, inWidth: W,
      outHeight: oh, outWidth: ow, inChannels: cin, outChannels: cout } = info;
    const pt = info.padInfo.top;
    const pl = info.padInfo.left;

    if (kh === 1 && kw === 1 && sh === 1 && sw === 1 && oh === H && ow === W && pt === 0 && pl === 0 && B * H * W > 0) {
      const P = B * H * W;
      const x2 = reshape(backend)({ x }, { shape: [P, cin] });
      const xT = transpose(backend)({ x: x2 }, { perm: [1, 0] });
      const a = reshape(backend)({ x: xT }, { shape: [1, cin, P] });
      const b = reshape(backend)({ x: dy }, { shape: [1, P, cout] });
      const g = batchMatMul(backend)({ a, b }, { transposeA: false, transposeB: false });
      release(backend, x2, xT, a, b);
      const dw = reshape(backend)({ x: g }, { shape: [1, 1, cin, cout] });
      release(backend, g);
      return dw;
    }

    const pb = kh + (oh - 1) * sh - H - pt;
    const pr = kw + (ow - 1) * sw - W - pl;
    const xT = transpose(backend)({ x }, { perm: [3, 1, 2, 0] });
    const dyT = transpose(backend)({ x: dy }, { perm: [1, 2, 0, 3] });
    let g = conv2d(backend)({ x: xT, filter: dyT }, {
      strides: [1, 1], dilations: [sh, sw], dataFormat: 'NHWC', dimRoundingMode: undefined as unknown as string,
      pad: [[0, 0], [pt, Math.max(0, pb)], [pl, Math.max(0, pr)], [0, 0]] as unknown as number[],
    });
    release(backend, xT, dyT);
    if (pb < 0 || pr < 0) {
      const cropped = slice(backend)({ x: g }, { begin: [0, 0, 0, 0], size: [cin, kh, kw, cout] });
      release(backend, g);
      g = cropped;
    }
    const dw = transpose(backend)({ x: g }, { perm: [1, 2, 0, 3] });
    release(backend, g);
    return dw;
  };
  return { kernelName: tf.Conv2DBackpropFilter, backendName: 'wasm', kernelFunc: kernelFunc as unknown as KernelFunc };
}
