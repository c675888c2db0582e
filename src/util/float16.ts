/**
 * IEEE 754 binary16 (half precision) encode/decode, for compact result files (Node 20 has no Float16Array).
 * 1 sign bit, 5 exponent bits (bias 15), 10 fraction bits: normal values 6.1e-5 … 65504 with a relative spacing of
 * 2⁻¹⁰ (≤ 4.9e-4 relative rounding error), subnormals down to 2⁻²⁴ ≈ 6e-8, ±Infinity, NaN.
 * Encoding rounds to nearest, ties to even (as a hardware conversion does); values beyond 65520 become ±Infinity,
 * NaN becomes the canonical quiet NaN 0x7e00, and −0 keeps its sign.
 */

/** The largest finite half-precision value. */
export const FLOAT16_MAX = 65504;

/** One number -> its binary16 bit pattern (0..0xffff), rounded once from the float64 value (float64 -> float32 -> float16 could round twice). */
export function toFloat16Bits(value: number): number {
  if (Number.isNaN(value)) return 0x7e00;
  const sign = value < 0 || Object.is(value, -0) ? 0x8000 : 0;
  const a = Math.abs(value);
  if (a === Infinity) return sign | 0x7c00;
  if (a === 0) return sign;
  // a = m · 2^e with m in [1, 2): find e without relying on float32 bits (exact for every finite float64).
  let e = Math.floor(Math.log2(a));
  if (2 ** e > a) e -= 1; // log2 can round up just below a power of two
  else if (2 ** (e + 1) <= a) e += 1;
  if (e < -14) {
    // Subnormal (or zero after rounding): units of 2^-24.
    const q = roundHalfEven(a * 2 ** 24);
    return sign | q; // q = 1024 carries into the smallest normal exponent, which is the right bit pattern
  }
  // Normal: 10 fraction bits below the leading one.
  const q = roundHalfEven((a / 2 ** e) * 1024); // in [1024, 2048]
  let exp = e + 15;
  let frac = q - 1024;
  if (frac === 1024) {
    exp += 1;
    frac = 0;
  }
  if (exp >= 31) return sign | 0x7c00; // overflow: 65520 and beyond round to Infinity
  return sign | (exp << 10) | frac;
}

function roundHalfEven(x: number): number {
  const f = Math.floor(x);
  const d = x - f;
  if (d > 0.5) return f + 1;
  if (d < 0.5) return f;
  return f % 2 === 0 ? f : f + 1;
}

/** A binary16 bit pattern -> its value (exact: every half-precision value is a float32 and a float64). */
export function fromFloat16Bits(bits: number): number {
  const sign = bits & 0x8000 ? -1 : 1;
  const exp = (bits >> 10) & 0x1f;
  const frac = bits & 0x3ff;
  if (exp === 0) return sign * frac * 2 ** -24;
  if (exp === 31) return frac ? NaN : sign * Infinity;
  return sign * (1024 + frac) * 2 ** (exp - 25);
}

/** Encode every value (see toFloat16Bits). */
export function encodeFloat16(values: ArrayLike<number>): Uint16Array {
  const out = new Uint16Array(values.length);
  for (let i = 0; i < values.length; i++) out[i] = toFloat16Bits(values[i]);
  return out;
}

/** Decode binary16 bit patterns into float32 values (exact). */
export function decodeFloat16(bits: ArrayLike<number>): Float32Array {
  const out = new Float32Array(bits.length);
  for (let i = 0; i < bits.length; i++) out[i] = fromFloat16Bits(bits[i]);
  return out;
}

/** The value a number takes after a float16 round trip. */
export function roundToFloat16(value: number): number {
  return fromFloat16Bits(toFloat16Bits(value));
}
