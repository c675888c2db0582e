/**
 * The STAR loss as four host kernels (plain loops over the tensors' own memory, cpu, wasm and host backends):
 *   StarHeatmapMoments       heatmaps [B,H,W,N]                 -> packed statistics [B,N,7] (distribution.ts order)
 *   StarHeatmapMomentsGrad   dP [B,N,7], heatmaps, P            -> dHeatmaps [B,H,W,N]
 *   StarLandmarkLoss         P [B,N,7], targets [B,N,2]         -> per-landmark loss [B,N]
 *   StarLandmarkLossGrad     dLoss [B,N], P, targets            -> dP [B,N,7], dTargets [B,N,2]
 *
 * Why: the same loss as tfjs ops (star-kernel.ts + distribution.ts momentsKernel) is ~460 kernel launches per
 * forward+backward, almost all on [B,N]-sized tensors; on small heatmaps (the CPU presets' 16×16) dispatch overhead,
 * not arithmetic, is the cost — the STAR loss was 8–11% of a cpu-tiny training step against ~1% for heatmap MSE.
 * Here it is 4 launches and two passes over the heatmap each way; the arithmetic per landmark is the same
 * expression list as star-kernel.ts (same clamps, guards and closed-form eigenvector gradient; the distances are the
 * scalar twins in distances.ts), evaluated in float64 and stored as float32. Tests compare it with star-kernel.ts,
 * the autodiff reference, finite differences and the official fixture (test/loss-star-host.test.ts,
 * test/loss-star*.test.ts).
 *
 * Moments: one pass accumulates row sums (Σ_x h, Σ_x h·x per row), column sums and Σh² per channel in float64 (which
 * holds the squares of any float32 heatmap); the moments about the true mean come from those marginals, as in
 * distribution.ts, so a one-pixel peak has exactly zero spread, and all but the mass are divided by it (Σh² by its
 * square) before the float32 store: distribution.ts's normalised layout, overflow-free and scale-free.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { NamedAttrMap } from '@tensorflow/tfjs-core';
import { hostKernelAvailable, hostKernelConfigs, registerOnce, nativeKernels, type NativeKernels } from 'tfjs-wasm-train';
import { gridAxis } from '../geometry/coords';
import { COV_EPS, EMPTY_MASS } from '../geometry/distribution';
import {
  distanceRhoScalar, distanceScalar, smoothL1FromSquaredGradScalar, smoothL1FromSquaredScalar, type DistanceName,
} from './distances';
import { EIGEN_KINK, type StarDetach, type StarKernelConfig, type StarVariant } from './star-options';

export const STAR_HOST_KERNELS = {
  moments: 'StarHeatmapMoments',
  momentsGrad: 'StarHeatmapMomentsGrad',
  loss: 'StarLandmarkLoss',
  lossGrad: 'StarLandmarkLossGrad',
} as const;

const STATS = 7;
/** V1 = Σh_n + ε of the covariance denominator: Σh_n = 1 for the normalised map. */
const V1 = 1 + COV_EPS;

// ------------------------------------------------------------------------------------------------ moments

/**
 * The moment passes run in the native addon when it is built (same loops in C++, float64 accumulators; ~5x faster than
 * V8 here), else in JS. Switchable for tests and benchmarks.
 */
let native: NativeKernels | null = nativeKernels().kernels;
export function useNativeStarMoments(nat: NativeKernels | null): void {
  native = nat;
}

function momentsForward(h: Float32Array, out: Float32Array, B: number, H: number, W: number, N: number): void {
  const xs = gridAxis(W);
  const ys = gridAxis(H);
  if (native) {
    native.heatmapMoments(h, out, Int32Array.from([B, H, W, N]), xs, ys);
    return;
  }
  const rowMass = new Float64Array(H * N);
  const rowX = new Float64Array(H * N);
  const colMass = new Float64Array(W * N);
  const sumSq = new Float64Array(N);
  for (let b = 0; b < B; b++) {
    rowMass.fill(0);
    rowX.fill(0);
    colMass.fill(0);
    sumSq.fill(0);
    let k = b * H * W * N;
    for (let y = 0; y < H; y++) {
      const r = y * N;
      for (let x = 0; x < W; x++) {
        const xv = xs[x];
        const c = x * N;
        for (let n = 0; n < N; n++, k++) {
          const v = h[k];
          rowMass[r + n] += v;
          rowX[r + n] += v * xv;
          colMass[c + n] += v;
          sumSq[n] += v * v;
        }
      }
    }
    for (let n = 0; n < N; n++) {
      let S = 0;
      let Mx = 0;
      let My = 0;
      for (let y = 0; y < H; y++) {
        S += rowMass[y * N + n];
        Mx += rowX[y * N + n];
        My += rowMass[y * N + n] * ys[y];
      }
      // Normalised before the float32 store (distribution.ts layout); the float64 sums hold any float32 heatmap.
      const inv = S > 0 ? 1 / S : 0;
      const mx = Mx * inv;
      const my = My * inv;
      let Cxx = 0;
      let Cyy = 0;
      let Cxy = 0;
      for (let x = 0; x < W; x++) {
        const dx = xs[x] - mx;
        Cxx += colMass[x * N + n] * dx * dx;
      }
      for (let y = 0; y < H; y++) {
        const dy = ys[y] - my;
        const rm = rowMass[y * N + n];
        Cyy += rm * dy * dy;
        Cxy += dy * (rowX[y * N + n] - mx * rm);
      }
      const o = (b * N + n) * STATS;
      out[o] = S;
      out[o + 1] = mx;
      out[o + 2] = my;
      out[o + 3] = Cxx * inv;
      out[o + 4] = Cyy * inv;
      out[o + 5] = Cxy * inv;
      out[o + 6] = sumSq[n] * inv * inv;
    }
  }
}

/**
 * dL/dh = gS + [gMx·(x−mx) + gMy·(y−my) + gXX·((x−mx)² − cxx) + gYY·((y−my)² − cyy) + gXY·((x−mx)(y−my) − cxy)
 * + 2·gQ·(h/S − q)] / S for the normalised statistics (the mean-dependence of the centred moments drops out because
 * Σh(x−mx) = 0; see distribution.ts).
 */
function momentsBackward(
  dP: Float32Array, h: Float32Array, P: Float32Array, out: Float32Array, B: number, H: number, W: number, N: number,
): void {
  const xs = gridAxis(W);
  const ys = gridAxis(H);
  if (native) {
    native.heatmapMomentsGrad(dP, h, P, out, Int32Array.from([B, H, W, N]), xs, ys);
    return;
  }
  // Per channel, the heatmap gradient is quadratic in (x, y) plus the h/S term: precompute per-x and per-y parts,
  // every factor already divided by S.
  const ax = new Float64Array(W * N); // gS − (gXX·cxx + gYY·cyy + gXY·cxy + 2·gQ·q)/S + (gMx·dx + gXX·dx²)/S
  const dxs = new Float64Array(W * N); // dx
  const inv = new Float64Array(N);
  const my = new Float64Array(N);
  const gxy = new Float64Array(N);
  const q2 = new Float64Array(N);
  const ay = new Float64Array(N);
  const ay2 = new Float64Array(N);
  for (let b = 0; b < B; b++) {
    for (let n = 0; n < N; n++) {
      const o = (b * N + n) * STATS;
      const iS = (inv[n] = P[o] > 0 ? 1 / P[o] : 0);
      const mx = P[o + 1];
      my[n] = P[o + 2];
      const gMx = dP[o + 1] * iS;
      const gXX = dP[o + 3] * iS;
      const c0 = dP[o] - (gXX * P[o + 3] + dP[o + 4] * iS * P[o + 4] + dP[o + 5] * iS * P[o + 5] + 2 * dP[o + 6] * iS * P[o + 6]);
      for (let x = 0; x < W; x++) {
        const dx = xs[x] - mx;
        ax[x * N + n] = c0 + gMx * dx + gXX * dx * dx;
        dxs[x * N + n] = dx;
      }
      ay[n] = dP[o + 2] * iS;
      ay2[n] = dP[o + 4] * iS;
      gxy[n] = dP[o + 5] * iS;
      q2[n] = 2 * dP[o + 6] * iS;
    }
    let k = b * H * W * N;
    for (let y = 0; y < H; y++) {
      const yv = ys[y];
      for (let x = 0; x < W; x++) {
        const c = x * N;
        for (let n = 0; n < N; n++, k++) {
          const dy = yv - my[n];
          out[k] = ax[c + n] + ay[n] * dy + ay2[n] * dy * dy + gxy[n] * dxs[c + n] * dy + q2[n] * (h[k] * inv[n]);
        }
      }
    }
  }
}

// ------------------------------------------------------------------------------------------------ per landmark

/** Configuration as kernel attributes (numbers and strings only). */
interface LossAttrs {
  variant: StarVariant;
  distance: DistanceName;
  omega: number;
  detach: StarDetach;
  /** 1 when clampLo/clampHi apply. */
  clamped: number;
  clampLo: number;
  clampHi: number;
  isotropyEps: number;
}

function toAttrs(cfg: StarKernelConfig): LossAttrs {
  return {
    variant: cfg.variant, distance: cfg.distance, omega: cfg.omega, detach: cfg.detach,
    clamped: cfg.eigenvalueClamp ? 1 : 0, clampLo: cfg.eigenvalueClamp?.[0] ?? 0, clampHi: cfg.eigenvalueClamp?.[1] ?? 0,
    isotropyEps: cfg.isotropyEps,
  };
}

const step = (x: number) => (x > 0 ? 1 : 0);

/** Forward quantities of one landmark, kept for the backward pass (one reused object: no allocation per landmark). */
class Landmark {
  valid = 0; den = 0; a = 0; b = 0; c = 0;
  l0 = 0; l1 = 0; r = 0; lc0 = 0; lc1 = 0; cm0 = 1; cm1 = 1; cs = 0; sn = 0; p0 = 0; p1 = 0;
  w0 = 0; w1 = 0; r0 = 0; r1 = 0; q = 0; loss = 0;

  /** Exactly the expression list of star-kernel.ts's forward. */
  forward(P: Float32Array, o: number, tx: number, ty: number, A: LossAttrs): void {
    const valid = (this.valid = step(P[o] - EMPTY_MASS));
    const mux = P[o + 1];
    const muy = P[o + 2];
    const den = (this.den = V1 - (P[o + 6] + COV_EPS) / V1);
    const a = (this.a = P[o + 3] / den);
    const b = (this.b = P[o + 5] / den);
    const c = (this.c = P[o + 4] / den);
    const m = (a + c) * 0.5;
    const h = (a - c) * 0.5;
    const r = (this.r = Math.sqrt(h * h + b * b));
    const l1 = (this.l1 = m + r);
    const l0 = (this.l0 = l1 > 0 ? (a * c - b * b) / l1 : m - r);
    const theta = Math.atan2(2 * b, a - c) * 0.5;
    let lc0 = l0;
    let lc1 = l1;
    if (A.clamped) {
      lc0 = Math.min(Math.max(l0, A.clampLo), A.clampHi);
      lc1 = Math.min(Math.max(l1, A.clampLo), A.clampHi);
      this.cm0 = l0 >= A.clampLo && l0 <= A.clampHi ? 1 : 0;
      this.cm1 = l1 >= A.clampLo && l1 <= A.clampHi ? 1 : 0;
    }
    this.lc0 = lc0;
    this.lc1 = lc1;
    const cs = (this.cs = Math.cos(theta));
    const sn = (this.sn = Math.sin(theta));
    const ex = tx - mux;
    const ey = ty - muy;
    const p1 = (this.p1 = cs * ex + sn * ey);
    const p0 = (this.p0 = cs * ey - sn * ex);
    const w0 = (this.w0 = Math.max(lc0, -EIGEN_KINK));
    const w1 = (this.w1 = Math.max(lc1, -EIGEN_KINK));
    const r0 = (this.r0 = Math.sqrt(w0 + COV_EPS));
    const r1 = (this.r1 = Math.sqrt(w1 + COV_EPS));
    let transform: number;
    if (A.variant === 'v2') transform = distanceScalar(p0, A.distance) / r0 + distanceScalar(p1, A.distance) / r1;
    else if (A.distance === 'l1') transform = (Math.abs(p0) / r0 + Math.abs(p1) / r1) * 0.5;
    else {
      const q0 = p0 / r0;
      const q1 = p1 / r1;
      const q = (this.q = q0 * q0 + q1 * q1);
      transform = A.distance === 'l2' ? q * 0.5 : smoothL1FromSquaredScalar(q);
    }
    const value = A.omega === 0 ? transform : transform + (Math.abs(lc0 + EIGEN_KINK) + Math.abs(lc1 + EIGEN_KINK) - 2 * EIGEN_KINK) * A.omega;
    this.loss = value * valid;
  }

  /** star-kernel.ts's backward for upstream gradient dy; writes dP (7) and dTargets (2). */
  backward(dy: number, A: LossAttrs, gP: Float32Array, po: number, gT: Float32Array, to: number): void {
    const { valid, den, a, b, c, l0, l1, r, lc0, lc1, cs, sn, p0, p1, w0, w1, r0, r1, cm0, cm1, q } = this;
    const g = dy * valid;
    const p01 = p0 * p1;
    const delta = r * 2;
    const clamped = A.clamped === 1;
    const active = step(lc0 + EIGEN_KINK) * step(lc1 + EIGEN_KINK) * (clamped ? cm0 * cm1 : 1);
    const dpos = step(delta);
    const ratio = (w1 - w0 + (1 - dpos)) / (delta + (1 - dpos));
    const R = active + (1 - active) * ratio;
    let gp0: number;
    let gp1: number;
    let gr0: number;
    let gr1: number;
    let Ks: number;
    let Gr = 0;
    let rough = false;
    if (A.variant === 'v2' || A.distance === 'l1') {
      const gh = g * (A.variant === 'v2' ? 1 : 0.5);
      const rho0 = distanceRhoScalar(p0, A.distance);
      const rho1 = distanceRhoScalar(p1, A.distance);
      gp0 = (gh * (rho0 * p0)) / r0;
      gp1 = (gh * (rho1 * p1)) / r1;
      const d0 = A.variant === 'v2' ? distanceScalar(p0, A.distance) : Math.abs(p0);
      const d1 = A.variant === 'v2' ? distanceScalar(p1, A.distance) : Math.abs(p1);
      gr0 = -(gh * d0) / (r0 * r0);
      gr1 = -(gh * d1) / (r1 * r1);
      Ks = -((gh * p01) * (rho1 * R)) / ((r0 * r1) * (r0 + r1));
      Gr = ((gh * p01) * (rho1 - rho0)) / r0;
      rough = true;
    } else {
      const phi = A.distance === 'l2' ? 0.5 : smoothL1FromSquaredGradScalar(q);
      const gphi = g * phi;
      const r02 = r0 * r0;
      const r12 = r1 * r1;
      gp0 = (gphi * 2 * p0) / r02;
      gp1 = (gphi * 2 * p1) / r12;
      gr0 = -(gphi * 2 * p0 * p0) / (r02 * r0);
      gr1 = -(gphi * 2 * p1 * p1) / (r12 * r1);
      Ks = -(gphi * 2 * p01 * R) / (r02 * r12);
    }
    let gl0: number;
    let gl1: number;
    if (A.detach === 'none') {
      gl0 = (gr0 / (r0 * 2)) * step(lc0 + EIGEN_KINK);
      gl1 = (gr1 / (r1 * 2)) * step(lc1 + EIGEN_KINK);
      if (A.omega !== 0) {
        gl0 += g * Math.sign(lc0 + EIGEN_KINK) * A.omega;
        gl1 += g * Math.sign(lc1 + EIGEN_KINK) * A.omega;
      }
    } else {
      gl0 = A.omega !== 0 ? g * Math.sign(lc0 + EIGEN_KINK) * A.omega : 0;
      gl1 = A.omega !== 0 ? g * Math.sign(lc1 + EIGEN_KINK) * A.omega : 0;
    }
    if (clamped) {
      gl0 *= cm0;
      gl1 *= cm1;
    }
    let K = 0;
    if (A.detach !== 'decomposition') {
      K = Ks;
      if (rough) {
        const scale = Math.abs(l0) + Math.abs(l1);
        const reg = (scale * A.isotropyEps) ** 2 + 1e-30;
        K += (Gr * delta) / (delta * delta + reg);
      }
    }
    const gex = gp1 * cs - gp0 * sn;
    const gey = gp1 * sn + gp0 * cs;
    const c2 = cs * cs;
    const s2 = sn * sn;
    const sin2 = cs * sn * 2;
    const cos2 = c2 - s2;
    const hK = K * sin2 * 0.5;
    const ga = gl1 * c2 + gl0 * s2 - hK;
    const gc = gl1 * s2 + gl0 * c2 + hK;
    const gb = (gl1 - gl0) * sin2 + K * cos2;
    const gden = -(ga * a + gb * b + gc * c) / den;
    gP[po] = 0;
    gP[po + 1] = -gex;
    gP[po + 2] = -gey;
    gP[po + 3] = ga / den;
    gP[po + 4] = gc / den;
    gP[po + 5] = gb / den;
    gP[po + 6] = -gden / V1;
    gT[to] = gex;
    gT[to + 1] = gey;
  }
}

// ------------------------------------------------------------------------------------------------ registration

function shape4(s: number[], kernel: string): [number, number, number, number] {
  if (s.length !== 4) throw new Error(`${kernel}: heatmaps must be [B,H,W,N], got [${s}]`);
  if (s[1] < 2 || s[2] < 2) throw new Error(`${kernel}: heatmaps need H, W >= 2 for the STAR grid, got [${s}]`);
  return s as [number, number, number, number];
}

function landmarkCount(shapes: number[][], kernel: string): number {
  const [p, t] = shapes;
  if (p.length !== 3 || p[2] !== STATS || t.length !== 3 || t[2] !== 2 || p[0] !== t[0] || p[1] !== t[1]) {
    throw new Error(`${kernel}: expected statistics [B,N,7] and targets [B,N,2], got [${p}] and [${t}]`);
  }
  return p[0] * p[1];
}

let registered = false;

/** Register the four host kernels on cpu, wasm and host (idempotent). */
export function registerStarHostKernels(): void {
  if (registered) return;
  registered = true;
  const K = STAR_HOST_KERNELS;
  registerOnce(hostKernelConfigs(K.moments, ['heatmaps'], ([s]) => {
    const [B, , , N] = shape4(s, K.moments);
    return [[B, N, STATS]];
  }, ([h], [out], [s]) => momentsForward(h, out, ...shape4(s, K.moments))));
  registerOnce(hostKernelConfigs(K.momentsGrad, ['dy', 'heatmaps', 'stats'], ([, s]) => [s], ([dP, h, P], [out], [, s]) =>
    momentsBackward(dP, h, P, out, ...shape4(s, K.momentsGrad))));
  registerOnce(hostKernelConfigs(K.loss, ['stats', 'targets'], (shapes) => {
    landmarkCount(shapes, K.loss);
    return [[shapes[0][0], shapes[0][1]]];
  }, ([P, T], [out], shapes, attrs) => {
    const A = attrs as unknown as LossAttrs;
    const L = new Landmark();
    const n = landmarkCount(shapes, K.loss);
    for (let k = 0; k < n; k++) {
      L.forward(P, k * STATS, T[2 * k], T[2 * k + 1], A);
      out[k] = L.loss;
    }
  }));
  registerOnce(hostKernelConfigs(K.lossGrad, ['dy', 'stats', 'targets'], ([, p, t]) => [p, t], ([dy, P, T], [gP, gT], shapes, attrs) => {
    const A = attrs as unknown as LossAttrs;
    const L = new Landmark();
    const n = landmarkCount(shapes.slice(1), K.lossGrad);
    for (let k = 0; k < n; k++) {
      L.forward(P, k * STATS, T[2 * k], T[2 * k + 1], A);
      L.backward(dy[k], A, gP, k * STATS, gT, 2 * k);
    }
  }));
}

/** True when the host kernels serve the active backend (cpu, wasm, host). */
export function starHostAvailable(): boolean {
  registerStarHostKernels();
  return hostKernelAvailable(STAR_HOST_KERNELS.loss);
}

const run = (name: string, inputs: Record<string, tf.Tensor>, attrs: NamedAttrMap = {}) =>
  tf.engine().runKernel(name, inputs as unknown as tf.NamedTensorMap, attrs) as tf.Tensor | tf.Tensor[];

/** Packed heatmap statistics `[B,N,7]` (as distribution.ts heatmapMomentsPacked), differentiable. */
export const hostMomentsPacked = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
  const h = args[0] as tf.Tensor4D;
  const save = args[1] as tf.GradSaveFunc;
  const P = run(STAR_HOST_KERNELS.moments, { heatmaps: h }) as tf.Tensor3D;
  save([h, P]);
  return {
    value: P,
    gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => [run(STAR_HOST_KERNELS.momentsGrad, { dy, heatmaps: saved[0], stats: saved[1] }) as tf.Tensor],
  };
}) as (h: tf.Tensor4D) => tf.Tensor3D;

const lossOps = new Map<string, (P: tf.Tensor3D, T: tf.Tensor3D) => tf.Tensor2D>();

/** Per-landmark STAR loss `[B,N]` from packed statistics and targets, as star-kernel.ts `starKernel`. */
export function starHostKernel(P: tf.Tensor3D, T: tf.Tensor3D, cfg: StarKernelConfig): tf.Tensor2D {
  const attrs = toAttrs(cfg);
  const key = JSON.stringify(attrs);
  let op = lossOps.get(key);
  if (!op) {
    op = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
      const [p, t] = args as tf.Tensor[];
      const save = args[2] as tf.GradSaveFunc;
      save([p, t]);
      return {
        value: run(STAR_HOST_KERNELS.loss, { stats: p, targets: t }, attrs as unknown as NamedAttrMap) as tf.Tensor,
        gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) =>
          run(STAR_HOST_KERNELS.lossGrad, { dy, stats: saved[0], targets: saved[1] }, attrs as unknown as NamedAttrMap) as tf.Tensor[],
      };
    }) as (P: tf.Tensor3D, T: tf.Tensor3D) => tf.Tensor2D;
    lossOps.set(key, op);
  }
  return op(P, T);
}
