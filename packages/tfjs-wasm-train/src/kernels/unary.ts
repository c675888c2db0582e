/**
 * Elementwise unary kernels of the host backend whose only fault in the cpu backend is their fresh output array: on
 * host the output comes from the recycled buffers (src/host-pool.ts). The losses of the paper preset (AWing on the AAM
 * maps, instance norm) run these on [8,64,64,98] maps: ~150 such kernels per step, each paying the first touch of a
 * 12.8 MB array (40–50 ms on the measured VMs; bench/host-pool-ab.ts in the STAR project).
 *
 * Each formula is the cpu kernel's own (tfjs-backend-cpu 4.22.0), evaluated in float64 and stored as float32: the same
 * bits (test/host-backend.test.ts).
 */
import type { KernelConfig, KernelFunc, NamedAttrMap, TensorInfo } from '@tensorflow/tfjs-core';
import type { KernelArgs } from './wasm-calls';
import { BACKEND_OF, tensorMemory, type MemoryKind } from './memory';

// The cpu Neg multiplies by a −1 it reads from an array; a literal −1 lets V8 turn the product into a sign flip, which
// also flips a NaN's sign bit.
const MINUS_ONE = new Float32Array([-1]);

const FORMULAS = {
  Abs: (x: number) => Math.abs(x),
  Neg: (x: number) => MINUS_ONE[0] * x,
  Relu: (x: number) => Math.max(0, x),
  Sigmoid: (x: number) => 1 / (1 + Math.exp(-x)),
  Square: (x: number) => x * x,
  Log1p: (x: number) => Math.log1p(x),
  Step: (x: number, alpha: number) => (Number.isNaN(x) ? NaN : x > 0 ? 1 : alpha),
  ZerosLike: () => 0,
} as const;

export type UnaryOp = keyof typeof FORMULAS;
export const UNARY_OPS = Object.keys(FORMULAS) as UnaryOp[];

/** Below this many elements the stock kernel is as fast. */
const MIN_SIZE = 1024;

export function makeUnaryKernel(op: UnaryOp, stock: KernelConfig, mem: MemoryKind): KernelConfig {
  const fall = stock.kernelFunc as unknown as (a: KernelArgs) => TensorInfo;
  const f = FORMULAS[op] as (x: number, alpha: number) => number;
  const kernelFunc = (args: KernelArgs): TensorInfo => {
    const { x } = args.inputs;
    const n = x.shape.reduce((a, b) => a * b, 1);
    if (x.dtype !== 'float32' || n < MIN_SIZE) return fall(args);
    const m = tensorMemory(mem, args.backend);
    const out = m.alloc(x.shape);
    const o = m.view(out);
    if (op === 'ZerosLike') {
      o.fill(0);
      return out;
    }
    const v = m.view(x);
    const alpha = Number((args.attrs as NamedAttrMap | undefined)?.alpha ?? 0);
    for (let i = 0; i < n; i++) o[i] = f(v[i], alpha);
    return out;
  };
  return { kernelName: op, backendName: BACKEND_OF[mem], kernelFunc: kernelFunc as unknown as KernelFunc };
}
