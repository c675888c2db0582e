/**
 * The 'host' backend: a second instance of tfjs's pure-JS cpu backend (MathBackendCPU, tfjs-backend-cpu 4.22.0) that
 * carries every stock cpu kernel plus our training kernels (src/kernels/register-host.ts: the native OpenBLAS
 * convolutions, batch norm, pooling / up-sampling gradients, Add, ReLU gradient, fused Adam).
 *
 * Why a backend of its own: on wasm every tensor lives on the module's 32-bit heap (4 GiB at most), which the
 * paper-sized hourglass (4 stacks × 256 channels at 64×64, batch 8) exceeds many times over; here every tensor is a JS
 * typed array of its own, bounded by the machine's memory. Why not the stock 'cpu' backend itself: the tests use it
 * as the independent reference, so nothing that changes its arithmetic is registered there.
 *
 * Our kernels' outputs are recycled buffers (src/host-pool.ts): this backend reports which arrays left it (read back,
 * or viewed by another tensor) and hands freed ones back to the pool.
 */
import * as os from 'os';
import * as tf from '@tensorflow/tfjs-core';
import type { KernelConfig, KernelFunc, TensorInfo } from '@tensorflow/tfjs-core';
import { MathBackendCPU } from '@tensorflow/tfjs-backend-cpu';
import type { NativeKernels } from './native-addon';
import { HOST, registerHostTrainingKernels } from './kernels/register-host';
import { BufferPool } from './host-pool';

export { HOST };

/**
 * Free buffers kept for reuse: at most half the machine's memory. A training step frees and allocates the same shapes
 * every step, so the pool holds at most what the step's peak holds anyway (at the peak the buffers are in use, not
 * free): sized below the step's working set it only makes the rest fresh memory again (measured with a 4 GiB limit on
 * the paper preset: RSS still grew 8.7 → 11.6 GB over 4 steps, from the arrays the pool had to leave to the garbage
 * collector).
 */
export const HOST_POOL_LIMIT = Math.floor(os.totalmem() / 2);

class HostBackend extends MathBackendCPU {
  readonly pool = new BufferPool(HOST_POOL_LIMIT);

  override disposeData(dataId: object, force = false): boolean {
    const values = this.data.get(dataId)?.values;
    const done = super.disposeData(dataId, force);
    if (values !== undefined && !this.data.has(dataId)) this.pool.release(values);
    return done;
  }

  // read() and bufferSync() come here too: the array returned is the tensor's own.
  override readSync(dataId: object): ReturnType<MathBackendCPU['readSync']> {
    this.pool.escape(this.data.get(dataId)?.values);
    return super.readSync(dataId);
  }
}

/** A stock kernel that reports outputs sharing an input's buffer (a view, e.g. Slice of leading rows) to the pool. */
function watched(config: KernelConfig): KernelConfig {
  const run = config.kernelFunc as unknown as (args: { inputs: Record<string, TensorInfo>; backend: HostBackend }) => TensorInfo | TensorInfo[];
  const kernelFunc = (args: { inputs: Record<string, TensorInfo>; backend: HostBackend }) => {
    const out = run(args);
    const b = args.backend;
    for (const o of Array.isArray(out) ? out : [out]) {
      const ov = b.data.get(o.dataId)?.values;
      if (!ArrayBuffer.isView(ov)) continue;
      for (const t of Object.values(args.inputs)) {
        if (t == null || t.dataId === o.dataId) continue;
        const iv = b.data.get(t.dataId)?.values;
        if (ArrayBuffer.isView(iv) && iv.buffer === ov.buffer) {
          b.pool.escape(iv);
          b.pool.escape(ov);
        }
      }
    }
    return out;
  };
  return { ...config, backendName: HOST, kernelFunc: kernelFunc as unknown as KernelFunc };
}

/** The pool's counters (hits: outputs that reused a buffer), for benchmarks; undefined before the backend exists. */
export function hostPoolStats(): { hits: number; misses: number; heldBytes: number; limitBytes: number } | undefined {
  const b = tf.engine().registry[HOST] as HostBackend | undefined;
  return b && { hits: b.pool.hits, misses: b.pool.misses, heldBytes: b.pool.heldBytes(), limitBytes: b.pool.limitBytes };
}

/** Change how many bytes of free buffers the pool keeps (0: none, every output fresh); for benchmarks and tight memory. */
export function setHostPoolLimit(bytes: number): void {
  const b = tf.engine().registry[HOST] as HostBackend | undefined;
  if (!b) throw new Error(`setHostPoolLimit: the '${HOST}' backend has not started`);
  b.pool.limitBytes = bytes;
  if (b.pool.heldBytes() > bytes) b.pool.clear();
}

let registered = false;

/**
 * Register the backend (priority 0: tfjs never picks it by itself) and copy every cpu kernel to it. Idempotent.
 * Kernels registered for 'cpu' after this call are not copied.
 */
export function registerHostBackend(): void {
  if (registered) return;
  registered = true;
  tf.registerBackend(HOST, () => {
    const b = new HostBackend();
    // The cpu backend's first write prints advice to install tfjs-node; that advice is for 'cpu', not for us.
    (b as unknown as { firstUse: boolean }).firstUse = false;
    return b;
  }, 0);
  for (const c of tf.getKernelsForBackend('cpu')) {
    if (tf.getKernel(c.kernelName, HOST) == null) tf.registerKernel(watched(c));
  }
}

/** Make 'host' the active backend with our kernels over `nat`; returns the kernels now ours. Throws if it does not start. */
export async function startHost(nat: NativeKernels | null): Promise<string[]> {
  registerHostBackend();
  const ok = await tf.setBackend(HOST);
  if (!ok || tf.getBackend() !== HOST) throw new Error(`the '${HOST}' backend did not start`);
  return registerHostTrainingKernels(nat);
}
