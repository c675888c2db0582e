/** Shared numeric helpers for kernel tests: deterministic inputs and a float64 relative error. */
import assert from 'node:assert/strict';

/** Deterministic values offset + scale·[-1, 1) from a linear congruential generator (independent of any backend's RNG). */
export function values(n: number, seed: number, scale = 1, offset = 0): Float32Array {
  const out = new Float32Array(n);
  let s = seed >>> 0;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = offset + scale * (s / 2 ** 31 - 1);
  }
  return out;
}

/** ‖got − want‖ / ‖want‖ accumulated in float64. */
export function relErr(got: ArrayLike<number>, want: ArrayLike<number>): number {
  assert.equal(got.length, want.length, 'length mismatch');
  let num = 0;
  let den = 0;
  for (let i = 0; i < want.length; i++) {
    num += (got[i] - want[i]) ** 2;
    den += want[i] ** 2;
  }
  return Math.sqrt(num / Math.max(den, 1e-30));
}
