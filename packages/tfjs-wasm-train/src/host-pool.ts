/**
 * Recycled output buffers for the host backend's own kernels.
 *
 * Why: a fresh typed array costs its first touch, page by page, and on the machines this was measured on (2-core VMs)
 * that is the larger part of an elementwise kernel: writing a product into a fresh [8,64,64,98] float32 array took
 * 40–50 ms, into a reused one 2.6 ms (bench/host-pool-ab.ts in the STAR project). A training step frees and allocates
 * the same shapes every step, so outputs are taken from buffers the step before freed. It also keeps the process's
 * memory flat: a freed array is otherwise returned only when V8's garbage collector gets to it, and the allocator
 * seldom gives such memory back to the system.
 *
 * What may be recycled (the safety argument): only arrays our kernels allocated (`adopt`), never an array a caller
 * wrote (tf.tensor keeps the caller's own array) and never one that left the backend: read through readSync/read
 * (dataSync() returns the array itself on this backend) or shared with another tensor as a view (the cpu Slice of
 * leading rows is a subarray). The backend reports those (`escape`); a buffer is recycled only when its tensor's data
 * is freed (reference count 0). A recycled array is not zeroed: our kernels write every output element (they were
 * written for wasm, whose outputs are not zeroed either).
 */

/** Arrays shorter than this are not worth tracking (small tensors are cheap to allocate). */
export const POOL_MIN_ELEMENTS = 1 << 16;

export class BufferPool {
  /** Free arrays by length, and all of them in the order they were freed (oldest first, for eviction). */
  private readonly free = new Map<number, Set<Float32Array>>();
  private readonly order = new Set<Float32Array>();
  private readonly ours = new WeakSet<Float32Array>();
  private readonly escaped = new WeakSet<ArrayBufferLike>();
  private held = 0;
  /** Buffers handed out again, and fresh ones made: what the pool saved. */
  hits = 0;
  misses = 0;

  constructor(public limitBytes: number) {}

  /** A float32 array of exactly `n` elements, recycled when one is free (contents arbitrary), else new (zeroed). */
  take(n: number): Float32Array {
    if (n < POOL_MIN_ELEMENTS) return new Float32Array(n);
    const bucket = this.free.get(n);
    const a = bucket?.values().next().value as Float32Array | undefined;
    if (a) {
      this.drop(a);
      this.hits++;
    } else {
      this.misses++;
    }
    const out = a ?? new Float32Array(n);
    this.ours.add(out);
    return out;
  }

  /** The buffer of `a` must never be recycled (it left the backend, or another tensor views it). */
  escape(a: unknown): void {
    if (ArrayBuffer.isView(a)) this.escaped.add(a.buffer);
  }

  /**
   * `a`'s tensor data was freed: keep it for a later `take` if it is ours, whole and not escaped; the longest-free
   * buffers make room when the pool would exceed its limit (the newest are the next step's likeliest shapes).
   */
  release(a: unknown): void {
    if (!(a instanceof Float32Array) || !this.ours.has(a) || this.escaped.has(a.buffer)) return;
    this.ours.delete(a);
    if (a.byteOffset !== 0 || a.byteLength !== a.buffer.byteLength || a.byteLength > this.limitBytes) return;
    for (const old of this.order) {
      if (this.held + a.byteLength <= this.limitBytes) break;
      this.drop(old);
    }
    let bucket = this.free.get(a.length);
    if (!bucket) this.free.set(a.length, (bucket = new Set()));
    bucket.add(a);
    this.order.add(a);
    this.held += a.byteLength;
  }

  private drop(a: Float32Array): void {
    this.free.get(a.length)?.delete(a);
    this.order.delete(a);
    this.held -= a.byteLength;
  }

  heldBytes(): number {
    return this.held;
  }

  /** Drop every free buffer (the garbage collector then returns their memory). */
  clear(): void {
    this.free.clear();
    this.order.clear();
    this.held = 0;
  }
}
