/**
 * Start the wasm backend, multi-threaded (XNNPACK pthread pool) or single-threaded, in Node.
 *
 * tfjs-backend-wasm 4.22.0 hard-codes threads off in Node. What makes them work (toolchain.md, "Multi-threaded wasm
 * in Node"): only around tf.setBackend('wasm'), (1) set WASM_HAS_MULTITHREAD_SUPPORT, (2) make URL.createObjectURL
 * return the path of our CommonJS worker file for the worker Blob (Node's Worker rejects blob: URLs), (3) make
 * os.cpus() report ≥ 2n entries (the C++ side caps the pool at cores/2). All pool workers are created during init, so
 * both shims are restored right after. Then unref the pool workers so the process can exit by itself.
 * Depends on 4.22.0 internals: the version is pinned and the threaded path is tested.
 */
import * as path from 'path';
import * as tf from '@tensorflow/tfjs-core';
import * as wasm from '@tensorflow/tfjs-backend-wasm';

// The real 'os' module object (not an import-star copy), so the wasm glue sees our os.cpus shim.
// eslint-disable-next-line @typescript-eslint/no-var-requires
const osModule: typeof import('os') = require('os');

export const PTHREAD_WORKER_PATH = path.join(__dirname, 'wasm-pthread-worker.js');

export interface WasmStart {
  threads: number;
  /** Human-readable account of what happened. */
  detail: string;
}

interface PThreadLike { runningWorkers: Array<{ unref?: () => void }>; unusedWorkers: Array<{ unref?: () => void }> }

function pthreadOf(): PThreadLike | undefined {
  const b = tf.backend() as unknown as { wasm?: { PThread?: PThreadLike } };
  return b.wasm?.PThread;
}

/** Run `fn` with the two init-time shims in place; always restore them. */
async function withThreadShims<T>(threads: number, fn: () => Promise<T>): Promise<T> {
  const origCreate = URL.createObjectURL;
  const origCpus = osModule.cpus;
  URL.createObjectURL = ((obj: Blob) =>
    (obj instanceof Blob && obj.type === 'application/javascript') ? PTHREAD_WORKER_PATH : origCreate(obj)
  ) as typeof URL.createObjectURL;
  osModule.cpus = () => {
    const cpus = origCpus();
    const model = cpus[0] ?? { model: 'shim', speed: 0, times: { user: 0, nice: 0, sys: 0, idle: 0, irq: 0 } };
    while (cpus.length < 2 * threads) cpus.push(model);
    return cpus;
  };
  try {
    return await fn();
  } finally {
    URL.createObjectURL = origCreate;
    osModule.cpus = origCpus;
  }
}

/**
 * Start wasm with `threads` pool threads (≥ 2). Throws a clear error when it does not start as asked; the caller
 * decides whether that is fatal (forced) or a reason to fall back (auto).
 */
export async function startWasmThreaded(threads: number): Promise<WasmStart> {
  if (!Number.isInteger(threads) || threads < 2) {
    throw new Error(`startWasmThreaded: threads must be an integer >= 2, got ${threads}`);
  }
  if (typeof SharedArrayBuffer === 'undefined' || typeof Atomics === 'undefined') {
    throw new Error('threaded wasm needs SharedArrayBuffer and Atomics, which this Node lacks');
  }
  tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', true);
  wasm.setThreadsCount(threads);
  const t0 = Date.now();
  let ok: boolean;
  try {
    ok = await withThreadShims(threads, () => tf.setBackend('wasm'));
  } catch (e) {
    tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', false);
    throw new Error(`threaded wasm failed to start: ${(e as Error).message}`);
  }
  if (!ok || tf.getBackend() !== 'wasm') {
    tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', false);
    throw new Error(`threaded wasm failed to start (tf.setBackend('wasm') resolved ${ok}; backend is ${tf.getBackend()})`);
  }
  const pthread = pthreadOf();
  const got = wasm.getThreadsCount();
  if (pthread == null) throw new Error('threaded wasm: the module has no PThread object (single-threaded binary loaded)');
  if (got !== threads) throw new Error(`threaded wasm: asked for ${threads} threads, XNNPACK pool has ${got}`);
  // Idle pool workers would keep Node alive after the work is done.
  for (const w of [...pthread.runningWorkers, ...pthread.unusedWorkers]) w.unref?.();
  return { threads: got, detail: `${got} XNNPACK threads, init ${Date.now() - t0} ms` };
}

/** Start the single-threaded SIMD wasm backend. */
export async function startWasmSingle(): Promise<WasmStart> {
  tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', false);
  wasm.setThreadsCount(1);
  const ok = await tf.setBackend('wasm');
  if (!ok || tf.getBackend() !== 'wasm') {
    throw new Error(`single-threaded wasm failed to start (tf.setBackend('wasm') resolved ${ok})`);
  }
  return { threads: 1, detail: 'single-threaded SIMD' };
}

/** Whether the running wasm backend is the threaded build (for tests and reports). */
export function wasmIsThreaded(): boolean {
  return tf.getBackend() === 'wasm' && pthreadOf() != null;
}
