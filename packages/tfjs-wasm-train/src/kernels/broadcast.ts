/**
 * Add, Sub, Multiply, RealDiv and Pow with broadcasting for the host backend. The stock cpu kernels (tfjs-backend-cpu 4.22.0
 * createSimpleBinaryKernelImpl) run a broadcast that is not a scalar or a trailing-axes one (e.g. [1,H,W,C] + [B,H,W,C]:
 * CoordConv's coordinate term; [B,1,1,C] − [B,H,W,C]: instance norm) through a closure per element that converts the
 * flat index to coordinates and back with fresh arrays: a paper-preset training step spent ~68 s of 145 in Multiply,
 * Add, Sub and RealDiv (tf.profile, bench/step-profile.ts paper). Here the shapes are merged into the fewest runs of
 * contiguous axes and the innermost run is a plain loop, each input stepping 1 (or 0 where it broadcasts). All of them,
 * broadcasting or not, write into recycled buffers (src/host-pool.ts).
 *
 * Each element is the same float64 operation on the two float32 values, stored as float32, as in the stock kernel:
 * the same bits (test/host-backend.test.ts compares with the cpu backend exactly).
 */
import * as tf from '@tensorflow/tfjs-core';
import type { KernelConfig, KernelFunc, TensorInfo } from '@tensorflow/tfjs-core';
import type { KernelArgs } from './wasm-calls';
import { BACKEND_OF, tensorMemory, type MemoryKind } from './memory';

export const BROADCAST_OPS = ['Add', 'Sub', 'Multiply', 'RealDiv', 'Pow'] as const;
export type BroadcastOp = (typeof BROADCAST_OPS)[number];

/**
 * The broadcast as runs: `dims[k]` output extents (outermost first) with the input strides `sa[k]`, `sb[k]` (0 where the
 * input broadcasts), adjacent axes merged where both inputs are contiguous across them. Exported for tests.
 */
export function broadcastRuns(aShape: number[], bShape: number[]): { outShape: number[]; dims: number[]; sa: number[]; sb: number[] } {
  const outShape = tf.backend_util.assertAndGetBroadcastShape(aShape, bShape);
  const rank = outShape.length;
  const pad = (s: number[]) => [...new Array<number>(rank - s.length).fill(1), ...s];
  const strides = (s: number[]) => {
    const st = new Array<number>(rank);
    let acc = 1;
    for (let k = rank - 1; k >= 0; k--) {
      st[k] = s[k] === 1 && outShape[k] !== 1 ? 0 : acc;
      acc *= s[k];
    }
    return st;
  };
  const pa = pad(aShape);
  const pb = pad(bShape);
  const fa = strides(pa);
  const fb = strides(pb);
  const dims: number[] = [];
  const sa: number[] = [];
  const sb: number[] = [];
  for (let k = 0; k < rank; k++) {
    if (outShape[k] === 1) continue;
    const last = dims.length - 1;
    // Axis k joins the run before it when, for both inputs, stepping the previous axis once equals stepping k fully.
    if (last >= 0 && sa[last] === fa[k] * outShape[k] && sb[last] === fb[k] * outShape[k]) {
      dims[last] *= outShape[k];
      sa[last] = fa[k];
      sb[last] = fb[k];
    } else {
      dims.push(outShape[k]);
      sa.push(fa[k]);
      sb.push(fb[k]);
    }
  }
  if (dims.length === 0) return { outShape, dims: [1], sa: [0], sb: [0] };
  return { outShape, dims, sa, sb };
}

/** out[i] = a op b over the runs (odometer over the outer runs, a tight loop over the innermost). */
function run(op: BroadcastOp, a: Float32Array, b: Float32Array, out: Float32Array, r: ReturnType<typeof broadcastRuns>): void {
  const { dims, sa, sb } = r;
  const n = dims.length - 1;
  const L = dims[n];
  const da = sa[n];
  const db = sb[n];
  const idx = new Array<number>(n).fill(0);
  let ia = 0;
  let ib = 0;
  for (let o = 0; o < out.length; o += L) {
    let i = ia;
    let j = ib;
    switch (op) {
      case 'Add': for (let k = 0; k < L; k++, i += da, j += db) out[o + k] = a[i] + b[j]; break;
      case 'Sub': for (let k = 0; k < L; k++, i += da, j += db) out[o + k] = a[i] - b[j]; break;
      case 'Multiply': for (let k = 0; k < L; k++, i += da, j += db) out[o + k] = a[i] * b[j]; break;
      case 'RealDiv': for (let k = 0; k < L; k++, i += da, j += db) out[o + k] = a[i] / b[j]; break;
      case 'Pow': for (let k = 0; k < L; k++, i += da, j += db) out[o + k] = Math.pow(a[i], b[j]); break;
    }
    // Advance the odometer of the outer runs.
    for (let d = n - 1; d >= 0; d--) {
      ia += sa[d];
      ib += sb[d];
      if (++idx[d] < dims[d]) break;
      ia -= sa[d] * dims[d];
      ib -= sb[d] * dims[d];
      idx[d] = 0;
    }
  }
}

/** Below this many output elements the stock kernel is as fast (its per-call cost is what remains). */
const MIN_SIZE = 1024;

/**
 * Our `op` on `mem`'s backend for float32 inputs; `stock` (the backend's own kernel) for other dtypes and small
 * outputs. `first` runs before the broadcast path (the native same-shape Add), returning null to pass.
 */
export function makeBroadcastKernel(op: BroadcastOp, stock: KernelConfig, mem: MemoryKind,
  first?: (args: KernelArgs) => TensorInfo | null): KernelConfig {
  const fall = stock.kernelFunc as unknown as (a: KernelArgs) => TensorInfo;
  const kernelFunc = (args: KernelArgs): TensorInfo => {
    const { a, b } = args.inputs;
    if (a.dtype !== 'float32' || b.dtype !== 'float32') return fall(args);
    const done = first?.(args);
    if (done != null) return done;
    const r = broadcastRuns(a.shape, b.shape);
    if (tf.util.sizeFromShape(r.outShape) < MIN_SIZE) return fall(args);
    const m = tensorMemory(mem, args.backend);
    const out = m.alloc(r.outShape);
    // Views only after alloc: on wasm allocating may grow (replace) the heap.
    run(op, m.view(a), m.view(b), m.view(out), r);
    return out;
  };
  return { kernelName: op, backendName: BACKEND_OF[mem], setupFunc: stock.setupFunc, kernelFunc: kernelFunc as unknown as KernelFunc };
}
