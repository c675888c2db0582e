/**
 * In-place access to tensor memory on the backends whose tensors live in this process's memory (cpu and our host
 * backend: a JS typed array per tensor; wasm: the module heap), for kernels written as plain loops (e.g. a loss). No copies, no
 * engine round trip: on these backends every kernel runs synchronously anyway, so reading a buffer inside a kernel
 * is not a pipeline stall (on a GPU backend it would be, which is why host kernels are registered for cpu and wasm only).
 */
import type { KernelConfig, KernelFunc, NamedAttrMap, TensorInfo } from '@tensorflow/tfjs-core';
import * as tf from '@tensorflow/tfjs-core';
import { tensorMemory } from './kernels/memory';

/**
 * Backends with host memory, i.e. where host kernels are registered: tfjs's cpu, wasm, and 'host' (src/host-backend.ts,
 * a second cpu backend carrying our native kernels).
 */
export const HOST_BACKENDS = ['cpu', 'wasm', 'host'] as const;
export type HostBackendName = (typeof HOST_BACKENDS)[number];

/**
 * What a host kernel sees: float32 inputs as views, and outputs to fill. On wasm, making an output can grow (and so
 * replace) the heap, so all outputs are allocated first and only then are views taken.
 */
export type HostKernelBody = (
  inputs: Float32Array[],
  outputs: Float32Array[],
  inputShapes: number[][],
  attrs: NamedAttrMap,
) => void;

function checkFloat(kernel: string, names: string[], infos: TensorInfo[]): void {
  infos.forEach((t, k) => {
    if (t == null) throw new Error(`${kernel}: input '${names[k]}' is missing`);
    if (t.dtype !== 'float32') throw new Error(`${kernel}: input '${names[k]}' must be float32, got ${t.dtype}`);
  });
}

/**
 * Kernel configs for `kernelName` on every host backend. `outputShapes` gives the output shapes from the input
 * shapes and attributes; `body` fills the outputs and must write every element (a wasm output is not zeroed).
 */
export function hostKernelConfigs(
  kernelName: string,
  inputNames: string[],
  outputShapes: (inputShapes: number[][], attrs: NamedAttrMap) => number[][],
  body: HostKernelBody,
): KernelConfig[] {
  const run = (backendName: HostBackendName) => (args: { inputs: Record<string, TensorInfo>; backend: unknown; attrs?: NamedAttrMap }) => {
    const attrs = args.attrs ?? {};
    const infos = inputNames.map((n) => args.inputs[n]);
    checkFloat(kernelName, inputNames, infos);
    const shapes = infos.map((t) => t.shape);
    const outShapes = outputShapes(shapes, attrs);
    // cpu and host are both tfjs's pure-JS backend class: the same ('host') memory kind.
    const m = tensorMemory(backendName === 'wasm' ? 'wasm' : 'host', args.backend);
    const outs = outShapes.map((s) => m.alloc(s));
    body(infos.map(m.view), outs.map(m.view), shapes, attrs);
    return outs.length === 1 ? outs[0] : outs;
  };
  return HOST_BACKENDS.map((backendName) => ({ kernelName, backendName, kernelFunc: run(backendName) as unknown as KernelFunc }));
}

/** Register configs not yet registered (idempotent; safe to call from several modules). */
export function registerOnce(configs: KernelConfig[]): void {
  for (const c of configs) if (tf.getKernel(c.kernelName, c.backendName) == null) tf.registerKernel(c);
}

/** True when `kernelName` has a host implementation on the active backend. */
export function hostKernelAvailable(kernelName: string): boolean {
  const b = tf.getBackend();
  return b != null && tf.getKernel(kernelName, b) != null;
}
