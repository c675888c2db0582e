/**
 * Fused Adam update: one kernel per parameter instead of ~13 elementwise ops (each with its own tfjs dispatch, tape
 * and allocation). On the CPU presets the optimizer's ops were a third of all kernel launches of a training step.
 *
 * Math is PyTorch's torch.optim.Adam (no weight decay), evaluated per element in float64 and stored as float32:
 *   m' = β1·m + (1−β1)·g,  v' = β2·v + (1−β2)·g²,  p' = p − stepSize · m' / (√v' / √(1−β2^t) + ε),  stepSize = lr/(1−β1^t)
 *
 * The kernel 'WasmTrainAdamUpdate' (inputs p, m, v, g; outputs p', m', v') is registered for the 'wasm', 'cpu' and
 * 'host' backends (cpu and host are both tfjs's pure-JS backend: JS typed arrays, the 'host' memory kind).
 */
import * as tf from '@tensorflow/tfjs-core';
import type { KernelConfig, KernelFunc, TensorInfo } from '@tensorflow/tfjs-core';
import type { KernelArgs } from '../kernels/wasm-calls';
import { tensorMemory, type MemoryKind } from '../kernels/memory';

export const ADAM_UPDATE_KERNEL = 'WasmTrainAdamUpdate';
/**
 * Every parameter's update in one kernel (attr `count`; inputs p0, m0, v0, g0, p1, ...; outputs p0', m0', v0', p1', ...):
 * the same per-element arithmetic as ADAM_UPDATE_KERNEL, without a tfjs dispatch per parameter. Measured in one
 * process with the assigns (the project's bench/adam-all-ab.ts, shared CPU): hg-cpu-128's 182 parameters 2.21 → 1.78 ms
 * per update (median), hg-cpu-tiny's 146 1.69 → 1.54 ms; the rest is the float64 loop itself.
 */
export const ADAM_UPDATE_ALL_KERNEL = 'WasmTrainAdamUpdateAll';

interface AdamAttrs { beta1: number; beta2: number; eps: number; stepSize: number; sqrtBc2: number }

function update(p: Float32Array, m: Float32Array, v: Float32Array, g: Float32Array,
  po: Float32Array, mo: Float32Array, vo: Float32Array, a: AdamAttrs): void {
  const { beta1: b1, beta2: b2, eps, stepSize, sqrtBc2 } = a;
  const c1 = 1 - b1;
  const c2 = 1 - b2;
  for (let i = 0; i < p.length; i++) {
    const gi = g[i];
    const m1 = b1 * m[i] + c1 * gi;
    const v1 = b2 * v[i] + c2 * gi * gi;
    mo[i] = m1;
    vo[i] = v1;
    po[i] = p[i] - stepSize * (m1 / (Math.sqrt(v1) / sqrtBc2 + eps));
  }
}

function check(inputs: Record<string, TensorInfo>, suffix = '', kernelName = ADAM_UPDATE_KERNEL): void {
  const [p, m, v, g] = ['p', 'm', 'v', 'g'].map((k) => inputs[k + suffix]);
  for (const [k, t] of Object.entries({ p, m, v, g })) {
    if (t == null) throw new Error(`${kernelName}: input "${k}${suffix}" is missing`);
    if (t.dtype !== 'float32') throw new Error(`${kernelName}: input "${k}${suffix}" is ${t.dtype}, expected float32`);
    if (t.shape.join() !== p.shape.join()) throw new Error(`${kernelName}: "${k}${suffix}" has shape [${t.shape}], parameter has [${p.shape}]`);
  }
}

const kernel = (mem: MemoryKind) => (args: KernelArgs) => {
  check(args.inputs);
  const b = tensorMemory(mem, args.backend);
  const { p } = args.inputs;
  const outs = [b.alloc(p.shape), b.alloc(p.shape), b.alloc(p.shape)];
  // Views after all allocations: on wasm allocating may grow (replace) the heap.
  const [pv, mv, vv, gv] = (['p', 'm', 'v', 'g'] as const).map((k) => b.view(args.inputs[k]));
  update(pv, mv, vv, gv, b.view(outs[0]), b.view(outs[1]), b.view(outs[2]), args.attrs as unknown as AdamAttrs);
  return outs;
};

const kernelAll = (mem: MemoryKind) => (args: KernelArgs) => {
  const count = (args.attrs as unknown as { count: number }).count;
  if (!Number.isInteger(count) || count < 0) throw new Error(`${ADAM_UPDATE_ALL_KERNEL}: attr "count" must be a non-negative integer, got ${count}`);
  for (let i = 0; i < count; i++) check(args.inputs, String(i), ADAM_UPDATE_ALL_KERNEL);
  const b = tensorMemory(mem, args.backend);
  const outs: TensorInfo[] = [];
  for (let i = 0; i < count; i++) {
    const shape = args.inputs[`p${i}`].shape;
    outs.push(b.alloc(shape), b.alloc(shape), b.alloc(shape));
  }
  // Views after all allocations: on wasm allocating may grow (replace) the heap.
  const attrs = args.attrs as unknown as AdamAttrs;
  for (let i = 0; i < count; i++) {
    const [pv, mv, vv, gv] = ['p', 'm', 'v', 'g'].map((k) => b.view(args.inputs[`${k}${i}`]));
    update(pv, mv, vv, gv, b.view(outs[3 * i]), b.view(outs[3 * i + 1]), b.view(outs[3 * i + 2]), attrs);
  }
  return outs;
};

/** Register the kernels for wasm, cpu and host (idempotent). */
export function registerAdamKernel(): void {
  for (const [backendName, mem] of [['wasm', 'wasm'], ['cpu', 'host'], ['host', 'host']] as const) {
    if (tf.getKernel(ADAM_UPDATE_KERNEL, backendName) == null) {
      tf.registerKernel({ kernelName: ADAM_UPDATE_KERNEL, backendName, kernelFunc: kernel(mem) as unknown as KernelFunc } as KernelConfig);
    }
    if (tf.getKernel(ADAM_UPDATE_ALL_KERNEL, backendName) == null) {
      tf.registerKernel({ kernelName: ADAM_UPDATE_ALL_KERNEL, backendName, kernelFunc: kernelAll(mem) as unknown as KernelFunc } as KernelConfig);
    }
  }
}
