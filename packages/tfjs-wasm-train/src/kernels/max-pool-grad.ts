/**
 * Correct MaxPoolGrad for the wasm backend, and the same kernel on the host backend (whose stock cpu kernel is right
 * but slow). The stock 4.22.0 kernel routes the gradient to the wrong element when a
 * whole window is negative. Semantics here match the cpu backend exactly: each window's gradient goes to the first
 * (row-major) strictly largest in-bounds input element; a window of only −∞/NaN passes no gradient.
 * With the native addon (the 'all' kernel set) the same rule runs in C++ over the pool's threads (`maxPoolGrad`: channels
 * innermost, one sample per chunk; same additions in the same order, so the same bits — test/kernels-threads.test.ts);
 * hg-cpu-small's seven pooling gradients took 30.9 ms of a 441 ms step as the JS loop below (bench/step-profile.ts).
 */
import * as tf from '@tensorflow/tfjs-core';
import type { KernelConfig, KernelFunc } from '@tensorflow/tfjs-core';
import type { NativeKernels } from '../native-addon';
import type { KernelArgs } from './wasm-calls';
import { BACKEND_OF, tensorMemory, type MemoryKind } from './memory';

export function makeMaxPoolGrad(nat: NativeKernels | null = null, mem: MemoryKind = 'wasm'): KernelConfig {
  const kernelFunc = (args: KernelArgs) => {
    const m = tensorMemory(mem, args.backend);
    const { dy, input } = args.inputs;
    const { filterSize, strides, pad, dimRoundingMode } = (args.attrs ?? {}) as unknown as {
      filterSize: [number, number] | number; strides: [number, number] | number;
      pad: 'valid' | 'same' | number; dimRoundingMode?: 'floor' | 'round' | 'ceil';
    };
    if (input.shape.length !== 4) throw new Error(`MaxPoolGrad (${mem}): expected a 4-D input, got [${input.shape}]`);
    const info = tf.backend_util.computePool2DInfo(
      input.shape as [number, number, number, number], filterSize, strides, 1, pad, dimRoundingMode);
    if (dy.shape.join() !== info.outShape.join()) {
      throw new Error(`MaxPoolGrad (${mem}): dy shape [${dy.shape}] does not match the pool output [${info.outShape}]`);
    }
    const { batchSize: B, inHeight: H, inWidth: W, inChannels: C, outHeight: OH, outWidth: OW,
      strideHeight: sh, strideWidth: sw, effectiveFilterHeight: fh, effectiveFilterWidth: fw } = info;
    const pt = info.padInfo.top;
    const pl = info.padInfo.left;

    const out = m.alloc(input.shape);
    // Views only after the allocation: on wasm it may grow (and replace) the heap.
    const dx = m.view(out);
    const xv = m.view(input);
    const g = m.view(dy);
    if (nat && input.dtype === 'float32' && dy.dtype === 'float32') {
      nat.maxPoolGrad(g, xv, dx, Int32Array.from([B, H, W, C, OH, OW, fh, fw, sh, sw, pt, pl]));
      return out;
    }
    dx.fill(0);
    const rowStride = W * C;
    const batchStride = H * rowStride;
    for (let b = 0; b < B; b++) {
      const xb = b * batchStride;
      for (let oy = 0; oy < OH; oy++) {
        const y0 = oy * sh - pt;
        const yStart = Math.max(0, y0);
        const yEnd = Math.min(H, y0 + fh);
        for (let ox = 0; ox < OW; ox++) {
          const x0 = ox * sw - pl;
          const xStart = Math.max(0, x0);
          const xEnd = Math.min(W, x0 + fw);
          const gBase = ((b * OH + oy) * OW + ox) * C;
          for (let c = 0; c < C; c++) {
            let best = Number.NEGATIVE_INFINITY;
            let where = -1;
            for (let y = yStart; y < yEnd; y++) {
              let p = xb + y * rowStride + xStart * C + c;
              for (let xx = xStart; xx < xEnd; xx++, p += C) {
                const v = xv[p];
                if (v > best) { best = v; where = p; }
              }
            }
            if (where >= 0) dx[where] += g[gBase + c];
          }
        }
      }
    }
    return out;
  };
  return { kernelName: tf.MaxPoolGrad, backendName: BACKEND_OF[mem], kernelFunc: kernelFunc as unknown as KernelFunc };
}
