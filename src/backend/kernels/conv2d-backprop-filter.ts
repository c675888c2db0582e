/**
 * Conv2DBackpropFilter for the wasm backend (missing in tfjs-backend-wasm 4.22.0), as one large matrix product per
 * filter tap on XNNPACK's matmul:
 *
 *   dF[r,c,:,:] = X_rc^T · DY,   X_rc^T[ci,p] = x[b, i·s + r − pt, j·s + c − pl, ci],   DY[p,co] = dy[b,i,j,co]
 *
 * with p = (b,i,j) over all B·oh·ow output positions: the contraction dimension is that large count, which is what
 * matmul kernels are fast at (the first version ran XNNPACK's convolution with only B channels per tap: 2-7x
 * slower). Measured facts that fix the layout: wasm's BatchMatMul with transposeA=true bypasses XNNPACK (4-7x slower
 * than transpose + plain matmul), and it packs the right-hand operand into a cached XNNPACK operator keyed by that
 * tensor (packing a fresh [P, C] right operand per tap costs 2-5x the product). So DY — the same tensor for every
 * tap — is the right operand, packed once; x is transposed once to [Cin, B, H, W], zero-padded, and each tap's
 * X_rc^T is gathered from it by row copies (ow floats per (ci, b, i)). Strides > 1 are first split into s×s phase
 * images (one transpose) so every tap is again a stride-1 window. For 1x1 stride-1 unpadded convolutions X^T is the
 * transposed input itself.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { KernelConfig, KernelFunc, NamedAttrMap, TensorInfo } from '@tensorflow/tfjs-core';
import { convInfo, release, stockWasmKernel, type WasmBackendLike } from './wasm-calls';

export function makeConv2DBackpropFilter(): KernelConfig {
  const transpose = stockWasmKernel('Transpose');
  const padV2 = stockWasmKernel('PadV2');
  const slice = stockWasmKernel('Slice');
  const reshape = stockWasmKernel('Reshape');
  const batchMatMul = stockWasmKernel('BatchMatMul');

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
    const { batchSize: B, filterHeight: kh, filterWidth: kw, strideHeight: sh, strideWidth: sw, inHeight: H, inWidth: W,
      outHeight: oh, outWidth: ow, inChannels: cin, outChannels: cout } = info;
    if (info.dilationHeight !== 1 || info.dilationWidth !== 1) {
      throw new Error(`Conv2DBackpropFilter (wasm): dilations [${info.dilationHeight},${info.dilationWidth}] are not supported`);
    }
    const pt = info.padInfo.top;
    const pl = info.padInfo.left;
    const P = B * oh * ow;
    const out = backend.makeOutput([kh, kw, cin, cout], 'float32');
    if (P === 0 || cin === 0 || cout === 0) {
      (backend.typedArrayFromHeap(out) as Float32Array).fill(0);
      return out;
    }
    // Padded extent, rounded up to whole stride phases: rows the taps read past the bottom/right edge are zeros;
    // rows the forward pass never read ('valid' with a stride that does not divide) are simply not gathered.
    const Hp = Math.ceil(Math.max(H + pt, (oh - 1) * sh + kh) / sh) * sh;
    const Wp = Math.ceil(Math.max(W + pl, (ow - 1) * sw + kw) / sw) * sw;
    let src = transpose(backend)({ x }, { perm: [3, 0, 1, 2] }); // [Cin, B, H, W]
    if (pt > 0 || pl > 0 || Hp !== H || Wp !== W) {
      const need = [[0, 0], [0, 0], [pt, Math.max(0, Hp - H - pt)], [pl, Math.max(0, Wp - W - pl)]];
      const padded = padV2(backend)({ x: src }, { paddings: need as unknown as number[], constantValue: 0 });
      release(backend, src);
      src = padded;
      if (src.shape[2] !== Hp || src.shape[3] !== Wp) {
        const cut = slice(backend)({ x: src }, { begin: [0, 0, 0, 0], size: [cin, B, Hp, Wp] });
        release(backend, src);
        src = cut;
      }
    }
    // Phase planes [sh·sw·Cin·B, Hq, Wq]: phase (u,v) holds padded rows u, u+sh, ... and columns v, v+sw, ...
    const Hq = Hp / sh;
    const Wq = Wp / sw;
    if (sh > 1 || sw > 1) {
      const v6 = reshape(backend)({ x: src }, { shape: [cin, B, Hq, sh, Wq, sw] });
      const ph = transpose(backend)({ x: v6 }, { perm: [3, 5, 0, 1, 2, 4] });
      release(backend, v6, src);
      src = ph;
    }
    const dy3 = reshape(backend)({ x: dy }, { shape: [1, P, cout] });
    const direct = kh === 1 && kw === 1 && sh === 1 && sw === 1 && Hq === oh && Wq === ow;
    const planes = cin * B;
    for (let r = 0; r < kh; r++) {
      for (let c = 0; c < kw; c++) {
        let a: TensorInfo;
        if (direct) {
          a = reshape(backend)({ x: src }, { shape: [1, cin, P] });
        } else {
          a = backend.makeOutput([1, cin, P], 'float32');
          const from = backend.typedArrayFromHeap(src) as Float32Array;
          const to = backend.typedArrayFromHeap(a) as Float32Array;
          const phase = (r % sh) * sw + (c % sw);
          const r0 = Math.floor(r / sh);
          const c0 = Math.floor(c / sw);
          let o = 0;
          for (let pl2 = 0; pl2 < planes; pl2++) {
            let q = ((phase * planes + pl2) * Hq + r0) * Wq + c0;
            for (let i = 0; i < oh; i++, q += Wq, o += ow) to.set(from.subarray(q, q + ow), o);
          }
        }
        const g = batchMatMul(backend)({ a, b: dy3 }, { transposeA: false, transposeB: false }); // [1, Cin, Cout]
        // Fresh views: a kernel call may grow (replace) the wasm heap.
        (backend.typedArrayFromHeap(out) as Float32Array).set(backend.typedArrayFromHeap(g) as Float32Array, (r * kw + c) * cin * cout);
        release(backend, g, a);
      }
    }
    release(backend, dy3, src);
    return out;
  };
  return { kernelName: tf.Conv2DBackpropFilter, backendName: 'wasm', kernelFunc: kernelFunc as unknown as KernelFunc };
}
