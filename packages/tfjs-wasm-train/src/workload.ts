/**
 * Does a caller's workload fit the wasm backend's heap? The ladder's 'auto' rung asks this to choose between wasm and
 * the host backend (src/host-backend.ts); the caller says what it will run as a peak tensor size it estimated.
 *
 * The wasm module's heap is a 32-bit address space: tfjs-backend-wasm 4.22.0 grows it to 4 GiB at most, and a
 * heap near that size fails in ways that are not reported where they happen (the STAR project's paper preset:
 * "memory access out of bounds" inside the module). WASM_TENSOR_BUDGET leaves room for the heap's fragmentation and for
 * what a caller's estimate misses; the number is argued with measurements in the package README ("host backend").
 */
export interface Workload {
  /** What will run, for the backend line ("paper preset, training batch 8"). */
  label: string;
  /** The caller's estimate of the most tensor bytes alive at once. */
  peakBytes: number;
}

export const WASM_TENSOR_BUDGET = 2 * 2 ** 30;

export function wasmFits(w: Workload | undefined): boolean {
  return w == null || w.peakBytes <= WASM_TENSOR_BUDGET;
}

export function formatBytes(n: number): string {
  return n >= 2 ** 30 ? `${(n / 2 ** 30).toFixed(1)} GiB` : `${Math.round(n / 2 ** 20)} MiB`;
}

/** Why a workload goes to the host backend, in words. */
export function overBudgetReason(w: Workload): string {
  return `${w.label} needs ≈ ${formatBytes(w.peakBytes)} of tensors, over the ${formatBytes(WASM_TENSOR_BUDGET)} the wasm heap holds reliably`;
}

export function checkWorkload(w: Workload): void {
  if (!(typeof w.label === 'string' && Number.isFinite(w.peakBytes) && w.peakBytes >= 0)) {
    throw new Error(`initBackend: workload must be { label: string, peakBytes: number >= 0 }, got ${JSON.stringify(w)}`);
  }
}
