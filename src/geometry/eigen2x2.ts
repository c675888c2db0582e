/**
 * Closed-form eigen-decomposition of symmetric 2x2 matrices `[[a, b], [b, c]]`, element-wise over tensors of any
 * shape, on the tensor backend (no round trip to JS arrays) and with a hand-written, bounded gradient.
 *
 * Why closed form: the official STAR code moves the covariances to the CPU and calls `torch.linalg.eigh`; for 2x2
 * matrices the answer is a handful of element-wise ops. Why a custom gradient: autodiff through
 * `sqrt((a-c)^2/4 + b^2)` returns NaN at an exactly isotropic matrix (0/0), and the eigenvector derivative has a
 * 1/(λmax − λmin) factor that explodes for nearly isotropic ones.
 *
 * Conventions (match LAPACK/torch `eigh` up to the sign of each eigenvector, which STAR never sees because every
 * distance is even):
 * - eigenvalues ascending: `lambdaMin <= lambdaMax`;
 * - principal angle `theta = atan2(2b, a − c) / 2` in (−π/2, π/2]: `vMax = (cos θ, sin θ)`, `vMin = (−sin θ, cos θ)`.
 *   At exact isotropy (a = c, b = 0) θ = 0 (axis-aligned basis): the basis is arbitrary there.
 *
 * Numerics (tfjs has no float64): `lambdaMax = m + r` has no cancellation (m = (a+c)/2 >= 0 for a PSD matrix), and
 * `lambdaMin = det / lambdaMax` avoids the cancellation of `m − r` for elongated matrices; `lambdaMin = m − r` is used
 * only where `lambdaMax` is 0 (the zero matrix) or negative (non-PSD input), where the quotient is not defined or
 * not the smaller root.
 *
 * Bounded eigenvector gradient (documented choice): the exact derivative of θ is
 * `dθ = [(a−c) db − b (da − dc)] / Δ²` with `Δ = λmax − λmin = sqrt((a−c)² + 4b²)`. We use
 * `Δ² + δ²` in the denominator, `δ = isotropyEps · (|λmax| + |λmin|) + 1e-30`. Hence
 * - the θ-gradient is the exact one times Δ²/(Δ² + δ²): relative error ≈ (isotropyEps · trace / Δ)², e.g. 1e-6
 *   at Δ/trace = 1 and 6e-6 at Δ/trace = 0.4 with the default isotropyEps = 1e-3;
 * - its magnitude is bounded by `1 / (2δ)` instead of diverging, and it goes to 0 at exact isotropy;
 * - the eigenvalue gradients (`dλ = vᵀ dA v`) are exact and finite everywhere.
 * For smooth distances (l2, the quadratic part of smooth-l1) the true loss gradient is finite at isotropy (the
 * 1/Δ factor cancels against the difference of the 1/√λ weights); there the bound *drops* that finite
 * eigenvector part when Δ/trace << isotropyEps (on an exactly isotropic blob with the l2 distance the heatmap
 * gradient was off by 36% relative to finite differences; at Δ/trace ≈ 0.05 it matches to 2e-4). A fused
 * loss-level backward keeps it exactly (G_θ/Δ has a closed divided-difference form): loss/star-kernel.ts does.
 * For l1 / the linear part of smooth-l1 the v2 loss itself depends on
 * the (arbitrary) basis at exact isotropy, so no gradient is "right" there; the bound keeps it finite.
 */
import * as tf from '@tensorflow/tfjs-core';
import { tidyObject } from '../util/tidy';

export interface Eigen2x2Options {
  /**
   * Relative width of the isotropy regularisation of the eigenvector gradient (see module comment).
   * Default 1e-3: changes the gradient by less than 1e-6 relative for Δ/trace > 1 and by (1e-3·trace/Δ)² in general.
   */
  isotropyEps?: number;
}

export const EIGEN2X2_DEFAULTS: Required<Eigen2x2Options> = { isotropyEps: 1e-3 };

export interface Eigen2x2<T extends tf.Tensor = tf.Tensor> {
  /** Smaller eigenvalue (official index 0, the "normal" direction). */
  lambdaMin: T;
  /** Larger eigenvalue (official index 1, the "tangent"/ambiguity direction). */
  lambdaMax: T;
  /** Angle of the principal (λmax) eigenvector, radians in (−π/2, π/2]. */
  theta: T;
}

function forwardEigen(a: tf.Tensor, b: tf.Tensor, c: tf.Tensor): { lmin: tf.Tensor; lmax: tf.Tensor; theta: tf.Tensor } {
  const m = tf.mul(tf.add(a, c), 0.5);
  const d = tf.mul(tf.sub(a, c), 0.5);
  const r = tf.sqrt(tf.add(tf.square(d), tf.square(b)));
  const lmax = tf.add(m, r);
  const det = tf.sub(tf.mul(a, c), tf.square(b));
  // det/lmax where lmax > 0 (stable), m − r elsewhere (zero or non-PSD matrices). Masks via step, not where(less).
  const pos = tf.step(lmax);
  const safeLmax = tf.add(lmax, tf.sub(1, pos)); // 1 where lmax <= 0 (never divided by 0)
  const lmin = tf.add(tf.mul(pos, tf.div(det, safeLmax)), tf.mul(tf.sub(1, pos), tf.sub(m, r)));
  const theta = tf.mul(tf.atan2(tf.mul(b, 2), tf.sub(a, c)), 0.5);
  return { lmin, lmax, theta };
}

/**
 * Packed kernel: returns `[..., 3]` = (λmin, λmax, θ) so that one customGrad covers all three outputs.
 * Inputs must share one shape.
 */
function makePackedEigen(isotropyEps: number) {
  return tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const [a, b, c] = args as tf.Tensor[];
    const save = args[3] as tf.GradSaveFunc;
    const { lmin, lmax, theta } = forwardEigen(a, b, c);
    const value = tf.stack([lmin, lmax, theta], -1);
    save([a, b, c, lmin, lmax, theta]);
    return {
      value,
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [sa, sb, sc, slmin, slmax, stheta] = saved;
        const [gmin, gmax, gth] = tf.unstack(dy, -1);
        const cs = tf.cos(stheta);
        const sn = tf.sin(stheta);
        const c2 = tf.square(cs);
        const s2 = tf.square(sn);
        const sin2 = tf.mul(tf.mul(cs, sn), 2);
        // dλmax = vmaxᵀ dA vmax, dλmin = vminᵀ dA vmin, with b the (shared) off-diagonal entry.
        // dθ = [(a−c) db − b (da − dc)] / (Δ² + δ²).
        const delta2 = tf.add(tf.square(tf.sub(sa, sc)), tf.mul(tf.square(sb), 4));
        const scale = tf.add(tf.abs(slmax), tf.abs(slmin));
        const reg = tf.add(tf.square(tf.mul(scale, isotropyEps)), 1e-30);
        const k = tf.div(gth, tf.add(delta2, reg));
        const kb = tf.mul(k, sb);
        const ga = tf.add(tf.add(tf.mul(gmax, c2), tf.mul(gmin, s2)), tf.neg(kb));
        const gc = tf.add(tf.add(tf.mul(gmax, s2), tf.mul(gmin, c2)), kb);
        const gb = tf.add(tf.mul(tf.sub(gmax, gmin), sin2), tf.mul(k, tf.sub(sa, sc)));
        return [ga, gb, gc];
      },
    };
  });
}

const kernelCache = new Map<number, ReturnType<typeof makePackedEigen>>();

/**
 * Eigen-decomposition of the symmetric matrices `[[a, b], [b, c]]` (same-shape tensors), differentiable with the
 * bounded gradient described in the module comment.
 */
export function symEigen2x2<T extends tf.Tensor>(a: T, b: T, c: T, options: Eigen2x2Options = {}): Eigen2x2<T> {
  if (!tf.util.arraysEqual(a.shape, b.shape) || !tf.util.arraysEqual(a.shape, c.shape)) {
    throw new Error(`symEigen2x2: a, b, c must share one shape, got a [${a.shape}], b [${b.shape}], c [${c.shape}]`);
  }
  const eps = options.isotropyEps ?? EIGEN2X2_DEFAULTS.isotropyEps;
  if (!(eps >= 0) || !Number.isFinite(eps)) throw new Error(`symEigen2x2: isotropyEps must be a finite number >= 0, got ${eps}`);
  let kernel = kernelCache.get(eps);
  if (!kernel) {
    kernel = makePackedEigen(eps);
    kernelCache.set(eps, kernel);
  }
  const k = kernel;
  return tidyObject(() => {
    const [lambdaMin, lambdaMax, theta] = tf.unstack(k(a, b, c), -1) as T[];
    return { lambdaMin, lambdaMax, theta };
  });
}

/** Same decomposition on plain float64 numbers (analysis, tests). */
export function symEigen2x2Scalar(a: number, b: number, c: number): { lambdaMin: number; lambdaMax: number; theta: number } {
  const m = (a + c) / 2;
  const r = Math.hypot((a - c) / 2, b);
  const lambdaMax = m + r;
  const lambdaMin = lambdaMax > 0 ? (a * c - b * b) / lambdaMax : m - r;
  return { lambdaMin, lambdaMax, theta: Math.atan2(2 * b, a - c) / 2 };
}
