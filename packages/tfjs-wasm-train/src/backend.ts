/**
 * Pick and start the fastest working tfjs backend, and say which and why.
 *
 * Ladder (auto): @tensorflow/tfjs-node-gpu (installed, binding loads, CUDA device visible) → @tensorflow/tfjs-node →
 * [host, when the caller's workload does not fit the wasm heap: src/workload.ts] → wasm multi-threaded → wasm
 * single-threaded → pure-JS cpu. On wasm our training kernels are installed (stock wasm cannot train a conv net:
 * src/kernels); 'host' is tfjs's cpu backend again with our native kernels, tensors in JS memory (src/host-backend.ts). `TFJS_WASM_TRAIN_BACKEND` (or `STAR_BACKEND`, src/env.ts) forces one rung;
 * a forced rung that does not start throws (tf.setBackend resolves false on failure instead of throwing: we always
 * check).
 *
 *   import { initBackend } from 'tfjs-wasm-train';
 *   const info = await initBackend();          // idempotent; prints a short line unless quiet (the ladder if verbose)
 */
import * as os from 'os';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-core/dist/register_all_gradients';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import { defaultCudaVisible, defaultLoader, tryNative, type ModuleLoader } from './tfjs-node';
import { startWasmSingle, startWasmThreaded, type WasmStart } from './wasm-threads';
import { registerWasmTrainingKernels, type WasmKernelSet } from './kernels/register';
import { installLeanSavedTensors } from './lean-tape';
import { nativeKernels, type NativeKernels } from './native-addon';
import { readEnv } from './env';
import { HOST, startHost } from './host-backend';
import { checkWorkload, overBudgetReason, wasmFits, type Workload } from './workload';

export type BackendName = 'tensorflow-gpu' | 'tensorflow' | 'wasm' | 'host' | 'cpu';
export type BackendChoice = 'auto' | 'tensorflow-gpu' | 'tensorflow' | 'wasm' | 'wasm-threaded' | 'wasm-single' | 'host' | 'cpu';
export const BACKEND_CHOICES: readonly BackendChoice[] =
  ['auto', 'tensorflow-gpu', 'tensorflow', 'wasm', 'wasm-threaded', 'wasm-single', 'host', 'cpu'];

export interface BackendInfo {
  /** 'tensorflow-gpu' means tf's 'tensorflow' backend from @tensorflow/tfjs-node-gpu with a CUDA device. */
  name: BackendName;
  /**
   * Compute threads we control: the native kernels' pool (wasm with them, host), else the wasm XNNPACK pool size; 1 for
   * wasm-single, cpu and host without the addon; 0 = managed by TensorFlow.
   */
  threads: number;
  /** Why this rung: what was tried and what failed, in order. */
  reason: string;
  /** Kernels served by our own implementations (src/kernels), e.g. ['Conv2DBackpropFilter', ...]. */
  customKernels: string[];
  /** The OpenBLAS kernels the native convolutions run ('Haswell' when pinned, see native-addon.ts); absent without them. */
  blas?: string;
  /**
   * oneDNN's version and ISA ('2.6.3 avx2') when the native 3×3 / 7×7 convolutions run on it (an addon built with
   * oneDNN, not turned off by TFJS_WASM_TRAIN_DNNL=0); absent when they run on OpenBLAS. A run's numbers depend on it.
   */
  dnnl?: string;
}

/** The native-kernel fields of a BackendInfo: OpenBLAS's kernels, and oneDNN's version and ISA when it serves the convs. */
function nativeFields(nat: { kernels: NativeKernels | null; blas: string }): Pick<BackendInfo, 'blas' | 'dnnl'> {
  if (!nat.kernels) return {};
  const e = nat.kernels.convEngine();
  return { blas: nat.blas, ...(e.enabled ? { dnnl: `${e.version} ${e.isa}` } : {}) };
}

export interface BackendOptions {
  /**
   * Which rung; default: env TFJS_WASM_TRAIN_BACKEND (or STAR_BACKEND), else 'auto'. 'wasm' = threaded if it starts,
   * else single-threaded.
   */
  backend: BackendChoice;
  /**
   * Compute threads; default: env TFJS_WASM_TRAIN_THREADS (or STAR_THREADS), else os.cpus().length. With the native
   * kernels they are the native pool's (wasm itself single-threaded; measured faster than 1 thread: hg-cpu-tiny
   * 58 -> 54 ms/step, hg-cpu-small 555 -> 396, convnet 168 -> 99 on a 2-core machine); without them, the threaded
   * XNNPACK pool's.
   */
  threads: number;
  /** No report on stdout. Default false. */
  quiet: boolean;
  /**
   * Report the whole ladder (formatBackendInfo: every rung tried and why, the kernels in use) instead of the short
   * summary (formatBackendSummary). Default: env TFJS_WASM_TRAIN_VERBOSE (or STAR_VERBOSE) = 1, else false.
   */
  verbose: boolean;
  /** Which wasm kernels to replace/add (see WasmKernelSet). Default 'all'. */
  wasmKernels: WasmKernelSet;
  /** Test seams: how optional packages are loaded, whether CUDA is visible, where the report line goes. */
  loader: ModuleLoader;
  cudaVisible: () => boolean;
  log: (line: string) => void;
  /** Test seam: how threaded wasm is started (default: the shimmed init in src/wasm-threads.ts). */
  startThreaded: (threads: number) => Promise<WasmStart>;
  /**
   * What the caller will run, with its estimated peak tensor bytes (optional). 'auto' skips wasm for the host backend
   * when it does not fit the wasm heap (src/workload.ts); a forced rung is kept (with a note when it is wasm).
   */
  workload?: Workload;
}

/** Resolve options: explicit values win, then environment variables, then defaults. Validates at the boundary. */
export function resolveBackendOptions(
  options: Partial<BackendOptions> = {}, env: NodeJS.ProcessEnv = process.env,
): BackendOptions {
  let backend = options.backend;
  if (backend == null) {
    const set = readEnv('backend', env);
    const raw = set ? set.value.trim().toLowerCase() : 'auto';
    if (set && !(BACKEND_CHOICES as readonly string[]).includes(raw)) {
      throw new Error(`${set.name}="${set.value}" is not one of ${BACKEND_CHOICES.join(', ')}`);
    }
    backend = raw as BackendChoice;
  } else if (!(BACKEND_CHOICES as readonly string[]).includes(backend)) {
    throw new Error(`initBackend: backend "${backend}" is not one of ${BACKEND_CHOICES.join(', ')}`);
  }
  let threads = options.threads;
  const threadsSet = threads == null ? readEnv('threads', env) : undefined;
  if (threadsSet) {
    threads = Number(threadsSet.value);
    if (!Number.isInteger(threads) || threads < 1 || threads > 64) {
      throw new Error(`${threadsSet.name}="${threadsSet.value}" must be an integer from 1 to 64`);
    }
  }
  if (threads == null) threads = Math.max(1, os.cpus().length);
  if (!Number.isInteger(threads) || threads < 1) throw new Error(`initBackend: threads must be an integer >= 1, got ${threads}`);
  return {
    backend,
    threads,
    quiet: options.quiet ?? false,
    verbose: options.verbose ?? readEnv('verbose', env)?.value.trim() === '1',
    wasmKernels: options.wasmKernels ?? 'all',
    loader: options.loader ?? defaultLoader,
    cudaVisible: options.cudaVisible ?? (() => defaultCudaVisible(env)),
    log: options.log ?? ((line) => console.log(line)),
    startThreaded: options.startThreaded ?? startWasmThreaded,
    workload: options.workload == null ? undefined : (checkWorkload(options.workload), options.workload),
  };
}

class ForcedBackendError extends Error {}

/**
 * Walk the ladder (or start the forced rung) and return what started. Not cached: use initBackend in programs;
 * tests call this directly with stand-in loaders.
 */
export async function selectBackend(options: Partial<BackendOptions> = {}, env: NodeJS.ProcessEnv = process.env): Promise<BackendInfo> {
  const o = resolveBackendOptions(options, env);
  const forced = o.backend !== 'auto';
  const notes: string[] = [];
  const fail = (msg: string): never => {
    throw new ForcedBackendError(`backend '${o.backend}' was requested but ${msg}` +
      (notes.length ? ` (${notes.join('; ')})` : ''));
  };
  const want = (...rungs: BackendChoice[]) => o.backend === 'auto' || rungs.includes(o.backend);

  if (want('tensorflow-gpu')) {
    const pkg = '@tensorflow/tfjs-node-gpu';
    if (!o.cudaVisible()) {
      notes.push(`${pkg} skipped: no CUDA device visible`);
      if (forced) fail('no CUDA device is visible');
    } else {
      const p = await tryNative(pkg, o.loader);
      if (p.ok) return { name: 'tensorflow-gpu', threads: 0, reason: [...notes, p.reason].join('; '), customKernels: [] };
      notes.push(p.reason);
      if (forced) fail(p.reason);
    }
  }
  if (want('tensorflow')) {
    const p = await tryNative('@tensorflow/tfjs-node', o.loader);
    if (p.ok) return { name: 'tensorflow', threads: 0, reason: [...notes, p.reason].join('; '), customKernels: [] };
    notes.push(p.reason);
    if (forced) fail(p.reason);
  }
  // The host rung comes before wasm only for a workload that does not fit the wasm heap; forced, it always starts.
  const tooBigForWasm = o.workload != null && !wasmFits(o.workload);
  if (o.backend === 'host' || (o.backend === 'auto' && tooBigForWasm)) {
    if (tooBigForWasm) notes.push(`wasm skipped: ${overBudgetReason(o.workload!)}`);
    try {
      return await hostRung(o, notes);
    } catch (e) {
      if (forced) fail((e as Error).message);
      notes.push(`host: ${(e as Error).message}`);
    }
  }
  if (forced && tooBigForWasm && o.backend.startsWith('wasm')) notes.push(`warning: ${overBudgetReason(o.workload!)} (host would hold it)`);
  if (want('wasm', 'wasm-threaded', 'wasm-single')) {
    let started: WasmStart | undefined;
    // With the native kernels the compute threads are theirs (native/tfjs_wasm_train.cc: our pool splits every conv and
    // batch-norm job) and wasm stays single-threaded: a second XNNPACK pool only competes with them for the cores
    // (measured, 2 threads, bench/native-threads-ab.ts: hg-cpu-tiny 54 vs 63 ms/step, hg-cpu-small 396 vs 399;
    // convnet 99 vs 92). Without them, threaded XNNPACK is the faster wasm.
    const nat = o.wasmKernels === 'all' ? nativeKernels() : { kernels: null, reason: 'not used with this kernel set', blas: '' };
    const nativeThreads = nat.kernels != null && o.backend !== 'wasm-threaded';
    if (o.backend !== 'wasm-single' && !nativeThreads) {
      if (o.threads >= 2) {
        try {
          started = await o.startThreaded(o.threads);
        } catch (e) {
          notes.push((e as Error).message);
          if (o.backend === 'wasm-threaded') fail((e as Error).message);
        }
      } else {
        notes.push('threaded wasm skipped: 1 thread requested');
        if (o.backend === 'wasm-threaded') fail('1 compute thread leaves no second thread');
      }
    }
    if (started == null) {
      try {
        started = await startWasmSingle();
      } catch (e) {
        notes.push((e as Error).message);
        if (forced) fail((e as Error).message);
      }
    }
    if (started != null) {
      const customKernels = registerWasmTrainingKernels(o.wasmKernels, nat.kernels);
      nat.kernels?.setThreads(nativeThreads ? o.threads : 1);
      installLeanSavedTensors();
      notes.push(`wasm: ${started.detail}`);
      if (o.wasmKernels === 'all') notes.push(`native kernels: ${nat.reason}${nat.kernels ? `, ${nat.kernels.getThreads()} thread${nat.kernels.getThreads() > 1 ? 's' : ''}` : ''}`);
      const threads = nativeThreads ? o.threads : started.threads;
      const usesBlas = nat.kernels != null && customKernels.some((k) => k.endsWith('(native)'));
      return { name: 'wasm', threads, reason: notes.join('; '), customKernels, ...(usesBlas ? nativeFields(nat) : {}) };
    }
  }
  // Last rung: pure JS. Always present, ~500x slower than patched wasm for conv training.
  const ok = await tf.setBackend('cpu');
  if (!ok) throw new Error(`no tfjs backend starts (even 'cpu' failed): ${notes.join('; ')}`);
  installLeanSavedTensors();
  notes.push(forced ? 'cpu requested' : 'pure-JS cpu fallback (slow)');
  return { name: 'cpu', threads: 1, reason: notes.join('; '), customKernels: [] };
}

/** Start the host backend with the native kernels when the addon loads (JS loops and stock cpu kernels otherwise). */
async function hostRung(o: BackendOptions, notes: string[]): Promise<BackendInfo> {
  const nat = nativeKernels();
  const customKernels = await startHost(nat.kernels);
  nat.kernels?.setThreads(o.threads);
  installLeanSavedTensors();
  notes.push(o.backend === 'host' ? 'host requested' : 'host chosen');
  notes.push(`native kernels: ${nat.reason}${nat.kernels ? `, ${nat.kernels.getThreads()} thread${nat.kernels.getThreads() > 1 ? 's' : ''}` : ' (host runs the pure-JS cpu kernels: slow)'}`);
  return {
    name: 'host', threads: nat.kernels ? o.threads : 1, reason: notes.join('; '), customKernels,
    ...nativeFields(nat),
  };
}

let pending: Promise<BackendInfo> | undefined;
let current: BackendInfo | undefined;

/**
 * Start the backend once per process. Later calls return the same info whatever their options (the backend cannot
 * be swapped under live tensors), with one exception that fails loudly instead: a later call whose `workload` does not
 * fit the wasm heap when this process already runs wasm (it would fail later, deep inside the module). Such a process
 * must start on the host backend: pass the workload to the first call, or set TFJS_WASM_TRAIN_BACKEND=host. Use
 * withBackend to compare backends in tests.
 */
export function initBackend(options: Partial<BackendOptions> = {}): Promise<BackendInfo> {
  if (pending == null) {
    pending = selectBackend(options).then((info) => {
      current = Object.freeze({ ...info, customKernels: [...info.customKernels] }) as BackendInfo;
      const o = resolveBackendOptions(options);
      if (!o.quiet) o.log(o.verbose ? formatBackendInfo(current) : formatBackendSummary(current));
      return current;
    });
    pending.catch(() => { pending = undefined; });
    return pending;
  }
  const w = options.workload;
  return pending.then((info) => {
    if (w != null && info.name === 'wasm' && !wasmFits(w)) {
      throw new Error(`initBackend: this process already runs wasm, and ${overBudgetReason(w)}; start it in a new process ` +
        `(the first initBackend call with this workload picks the '${HOST}' backend), or set TFJS_WASM_TRAIN_BACKEND=${HOST}`);
    }
    return info;
  });
}

/** The info of the started backend, or undefined before initBackend resolves. */
export function backendInfo(): BackendInfo | undefined {
  return current;
}

/** The full report: the backend, every rung tried and why, and the custom kernels (logs, notebook headers, --verbose). */
export function formatBackendInfo(info: BackendInfo): string {
  const threads = info.name === 'wasm' || info.name === 'host' ? ` (${info.threads} thread${info.threads === 1 ? '' : 's'})` : '';
  const kernels = info.customKernels.length ? `; custom kernels: ${info.customKernels.join(', ')}` : '';
  return `[backend] ${info.name}${threads} — ${info.reason}${kernels}`;
}

/**
 * A short line: the backend and who owns the compute threads. With the native kernels those threads are the
 * addon's pool and wasm itself runs single-threaded, which the full report spells out.
 */
export function formatBackendSummary(info: BackendInfo): string {
  const plural = (n: number) => `${n} thread${n === 1 ? '' : 's'}`;
  const engines = `OpenBLAS${info.dnnl ? ` + oneDNN ${info.dnnl}` : ''}`;
  switch (info.name) {
    case 'tensorflow-gpu': return '[backend] tensorflow-gpu (native TensorFlow, CUDA)';
    case 'tensorflow': return '[backend] tensorflow (native TensorFlow on the CPU)';
    case 'cpu': return `[backend] cpu (pure JS, slow: ${info.reason.split('; ').pop()})`;
    case 'host': {
      // Why host: the ladder's note on the skipped wasm rung, or that it was requested.
      const why = info.reason.split('; ').find((n) => n.startsWith('wasm skipped: ') || n === 'host requested') ?? 'host chosen';
      const kernels = info.customKernels.some((k) => k.endsWith('(native)')) ? `native kernels (${engines}, ${plural(info.threads)})` : 'no native kernels: pure-JS cpu kernels, slow';
      return `[backend] host (tensors in JS memory) + ${kernels} — ${why.replace(/^wasm skipped: /, '')}`;
    }
    case 'wasm': return info.customKernels.some((k) => k.endsWith('(native)'))
      ? `[backend] wasm + native kernels (${engines}, ${plural(info.threads)})`
      : `[backend] wasm (${plural(info.threads)}, training kernels${info.customKernels.length ? '' : ' off'})`;
  }
}

/**
 * Run `fn` with tf switched to backend `name` ('cpu', 'wasm', …; it must be registered), then switch back, also on
 * error. For tests that compare backends; not for use while another backend's tensors are in flight.
 */
export async function withBackend<T>(name: string, fn: () => T | Promise<T>): Promise<T> {
  const previous = tf.getBackend();
  if (name !== previous) {
    let ok = false;
    try {
      ok = await tf.setBackend(name);
    } catch (e) {
      throw new Error(`withBackend: backend '${name}' did not start (${(e as Error).message})`);
    }
    if (!ok || tf.getBackend() !== name) throw new Error(`withBackend: backend '${name}' did not start`);
  }
  try {
    return await fn();
  } finally {
    if (previous && tf.getBackend() !== previous) await tf.setBackend(previous);
  }
}
