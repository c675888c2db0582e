/**
 * How a training kernel reaches tensor memory, per backend kind, so each kernel is written once:
 *   - 'wasm': tensors live on the WebAssembly heap; an output is `makeOutput` (not zeroed), a view is a heap subarray.
 *     Allocating can grow the heap and so replace the buffer every earlier view points into: a kernel allocates all its
 *     outputs first and takes views after.
 *   - 'host': our second instance of the pure-JS cpu backend (src/host-backend.ts); every tensor is its own JS typed
 *     array, so views never move and a model is not bounded by a 32-bit heap; an output may be a recycled buffer.
 *     (The stock 'cpu' backend is the same class without the recycling: the same kind serves it.)
 * The native addon takes plain Float32Arrays, so it serves both kinds alike.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { TensorInfo } from '@tensorflow/tfjs-core';

export type MemoryKind = 'wasm' | 'host';

/** The tfjs backend name of each kind (the kind is named after its backend). */
export const BACKEND_OF: Record<MemoryKind, string> = { wasm: 'wasm', host: 'host' };

export interface TensorMemory {
  /** A new float32 tensor of `shape`. Its memory is NOT zeroed (wasm; host recycles buffers): write every element. */
  alloc(shape: number[]): TensorInfo;
  /**
   * The float32 values of `t`, in place; on host a copy when the cpu backend keeps a float32 tensor's values in another
   * array type (see below): read inputs through it, write only outputs from `alloc`.
   */
  view(t: TensorInfo): Float32Array;
}

interface WasmLike {
  makeOutput(shape: number[], dtype: tf.DataType): TensorInfo;
  typedArrayFromHeap(t: TensorInfo): Float32Array | Int32Array | Uint8Array;
}
interface HostLike {
  data: { get(dataId: object): { values?: unknown } | undefined };
  makeTensorInfo(shape: number[], dtype: tf.DataType, values?: Float32Array): TensorInfo;
}

export function tensorMemory(kind: MemoryKind, backend: unknown): TensorMemory {
  if (kind === 'wasm') {
    const b = backend as WasmLike;
    return { alloc: (shape) => b.makeOutput(shape, 'float32'), view: (t) => b.typedArrayFromHeap(t) as Float32Array };
  }
  const b = backend as HostLike;
  // The host backend recycles freed outputs (src/host-pool.ts); the stock cpu backend has no pool.
  const pool = (backend as { pool?: { take(n: number): Float32Array } }).pool;
  return {
    alloc: (shape) => {
      const n = tf.util.sizeFromShape(shape);
      return b.makeTensorInfo(shape, 'float32', pool ? pool.take(n) : new Float32Array(n));
    },
    view: (t) => {
      const v = b.data.get(t.dataId)?.values;
      if (v instanceof Float32Array) return v;
      // The cpu backend's Cast from bool or int32 to float32 keeps the Uint8Array / Int32Array it had (tfjs-backend-cpu
      // 4.22.0, cast: no encoding loss, so no copy). Kernels only read their inputs: a float32 copy serves.
      if (ArrayBuffer.isView(v) && !(v instanceof DataView)) return Float32Array.from(v as Int32Array);
      throw new Error(`host backend: tensor [${t.shape}] (${t.dtype}) has no typed-array values`);
    },
  };
}

/** The memory kind of a backend by name, or null for backends our training kernels do not serve. */
export function memoryKindOf(backendName: string): MemoryKind | null {
  return backendName === 'wasm' ? 'wasm' : backendName === 'host' ? 'host' : null;
}
