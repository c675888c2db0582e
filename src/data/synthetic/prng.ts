/**
 * Small, seedable PRNG for the synthetic generator. Our own (not Math.random, not a library) so that a seed
 * means the same stream on every machine and Node version: same seed -> byte-identical images and labels.
 */

/** splitmix32 finaliser: a good 32-bit mixer, used to derive independent per-sample seeds from (seed, split, index). */
export function mix32(x: number): number {
  x = (x + 0x9e3779b9) | 0;
  x = Math.imul(x ^ (x >>> 16), 0x21f0aaad);
  x = Math.imul(x ^ (x >>> 15), 0x735a2d97);
  return (x ^ (x >>> 15)) >>> 0;
}

/** Seed for one sample: depends only on the dataset seed, the split and the sample index (never on worker count). */
export function sampleSeed(seed: number, split: string, index: number): number {
  let h = mix32(seed >>> 0);
  for (let i = 0; i < split.length; i++) h = mix32(h ^ split.charCodeAt(i));
  return mix32(h ^ mix32(index >>> 0));
}

export interface Rng {
  /** Uniform in [0, 1). */
  next(): number;
  /** Uniform in [a, b). */
  uniform(a: number, b: number): number;
  /** Standard normal (Box-Muller; both outputs are used). */
  normal(): number;
  /** Integer in [0, n). */
  int(n: number): number;
  /** True with probability p. */
  bernoulli(p: number): boolean;
  /** Pick one element uniformly. */
  pick<T>(items: readonly T[]): T;
  /** An independent child stream (so adding draws to one part of the generator does not shift the others). */
  fork(tag: number): Rng;
}

/** mulberry32: 32-bit state, period 2^32, passes the statistical tests that matter here; exact in JS integer math. */
export function createRng(seed: number): Rng {
  let a = seed >>> 0;
  let spare: number | null = null;
  const next = (): number => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const rng: Rng = {
    next,
    uniform: (lo, hi) => lo + (hi - lo) * next(),
    normal: () => {
      if (spare !== null) {
        const s = spare;
        spare = null;
        return s;
      }
      // 1 - u keeps the log argument in (0, 1].
      const r = Math.sqrt(-2 * Math.log(1 - next()));
      const th = 2 * Math.PI * next();
      spare = r * Math.sin(th);
      return r * Math.cos(th);
    },
    int: (n) => Math.floor(next() * n),
    bernoulli: (p) => next() < p,
    pick: (items) => items[Math.floor(next() * items.length)],
    fork: (tag) => createRng(mix32((seed >>> 0) ^ mix32(tag + 0x51ed27))),
  };
  return rng;
}
