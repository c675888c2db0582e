/**
 * Options of the STAR loss (star.ts) with their defaults and validation, and the per-landmark configuration both
 * kernels (star-kernel.ts, star-host.ts) take: one home, so the loss and its kernels import it, not each other.
 */
import type * as tf from '@tensorflow/tfjs-core';
import { COV_EPS } from '../geometry/distribution';
import type { DistanceName } from './distances';

/**
 * The ill-conditioned regime every implementation regularises the same way: a near-rank-1 covariance (a thin line
 * of heat) has λmin = 0 only to within rounding, ~1e-7·λmax in float32 (the fused and autodiff paths) and less in
 * float64 (host), so its sign is noise. With the loss's two kinks in λ at 0 (the clamp inside √(max(λ, 0) + ε), the
 * value term's |λ|) that noise switched a ~1/(2ε^1.5)-sized gradient term on or off: the implementations differed
 * by 100% in gradient there. The kinks sit at λ = −EIGEN_KINK = −ε/2 instead: w(λ) = max(λ, −ε/2) inside √(w + ε)
 * and |λ + ε/2| − ε/2 in the value term, both λ itself for every λ >= −ε/2, far beyond float32 rounding of a
 * covariance on the STAR grid (λ <= ~2). For λ >= 0 this is the official loss exactly (the official code has no
 * clamp: NaN below −ε); the implementations now agree there to the rounding of λmin relative to ε
 * (test/loss-star-scale.test.ts).
 */
export const EIGEN_KINK = COV_EPS / 2;

export type StarDetach = 'none' | 'eigenvalues' | 'decomposition';
export type StarVariant = 'v2' | 'v1';
export type StarImplementation = 'auto' | 'host' | 'fused' | 'autodiff';

export interface StarLossOptions {
  /** Distance applied to the projected errors. Default 'smoothl1' (STAR's own, scale 0.01). */
  distance?: DistanceName;
  /** Value-restriction weight ω (official star_w). Default 1; 0 turns it off. */
  omega?: number;
  /** Detach restriction (our interpretation, see star.ts). Default 'none' (= official code). */
  detach?: StarDetach;
  /** 'v2' (default, official default: distance first, then 1/√λ) or 'v1' (whiten first). */
  variant?: StarVariant;
  /**
   * Optional eigenvalue clamp [lo, hi] applied right after the decomposition (the authors' advice against NaN in
   * issue #37 is [1e-6, 1e2]). Default none (= official code).
   */
  eigenvalueClamp?: [number, number];
  /**
   * Optional per-landmark weights / visibility mask `[B, N]`, multiplied into each landmark's loss. The reduction
   * still divides by B×N (like an empty channel, a zero-weight landmark counts in the denominator).
   */
  weights?: tf.Tensor2D;
  /**
   * Throw a clear error naming the tensor and position on negative / non-finite heatmaps, a channel mass beyond
   * float32, or non-finite targets / weights (host reads per call). Default false.
   */
  validate?: boolean;
  /** Relative isotropy regularisation of the eigenvector gradient (eigen2x2.ts). Default 1e-3. */
  isotropyEps?: number;
  /**
   * 'auto' (default): 'host' where the active backend keeps tensors in this process's memory (cpu, wasm, host), else
   * 'fused'. 'host': four plain-loop kernels for the whole loss (star-host.ts; fastest on CPU backends).
   * 'fused': the same per-landmark expressions as tfjs ops with one hand-written backward (star-kernel.ts; any
   * backend, no host reads). Both have the exact eigenvector gradient at isotropy for the smooth distances.
   * 'autodiff': the readable op-by-op reference (starDecomposition), whose eigenvector gradient is bounded as
   * described in eigen2x2.ts.
   */
  implementation?: StarImplementation;
}

export const STAR_LOSS_DEFAULTS = {
  distance: 'smoothl1' as DistanceName,
  omega: 1,
  detach: 'none' as StarDetach,
  variant: 'v2' as StarVariant,
  validate: false,
  isotropyEps: 1e-3,
  implementation: 'auto' as StarImplementation,
};

const IMPLEMENTATIONS: readonly StarImplementation[] = ['auto', 'host', 'fused', 'autodiff'];
const DISTANCES: readonly DistanceName[] = ['smoothl1', 'l1', 'l2'];

/** Options with defaults filled in; throws a clear error naming the bad option (also used to validate experiment specs). */
export function resolveOptions(o: StarLossOptions) {
  const r = { ...STAR_LOSS_DEFAULTS, ...o };
  if (!DISTANCES.includes(r.distance)) throw new Error(`starLoss: options.distance must be one of ${DISTANCES.join(' | ')}, got "${r.distance}"`);
  if (!(r.variant === 'v1' || r.variant === 'v2')) throw new Error(`starLoss: options.variant must be 'v2' | 'v1', got "${r.variant}"`);
  if (!['none', 'eigenvalues', 'decomposition'].includes(r.detach)) {
    throw new Error(`starLoss: options.detach must be 'none' | 'eigenvalues' | 'decomposition', got "${r.detach}"`);
  }
  if (!IMPLEMENTATIONS.includes(r.implementation)) {
    throw new Error(`starLoss: options.implementation must be one of ${IMPLEMENTATIONS.join(' | ')}, got "${r.implementation}"`);
  }
  if (!Number.isFinite(r.omega) || r.omega < 0) throw new Error(`starLoss: options.omega must be a finite number >= 0, got ${r.omega}`);
  if (r.eigenvalueClamp !== undefined) {
    const [lo, hi] = r.eigenvalueClamp;
    if (!(Number.isFinite(lo) && Number.isFinite(hi) && lo < hi)) {
      throw new Error(`starLoss: options.eigenvalueClamp must be [lo, hi] with finite lo < hi, got [${r.eigenvalueClamp}]`);
    }
  }
  return r;
}

/** What the per-landmark kernels need: the resolved options without weights, validation and the implementation choice. */
export interface StarKernelConfig {
  variant: StarVariant;
  distance: DistanceName;
  omega: number;
  detach: StarDetach;
  eigenvalueClamp?: [number, number];
  isotropyEps: number;
}
