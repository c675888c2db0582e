/**
 * The heatmap-moment host reductions of the native addon (heatmapMoments, heatmapMomentsGrad) against their
 * definitions evaluated in float64 here, and the gradient against central finite differences of that reference.
 * Skipped with a message when the addon is not built.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { nativeKernels } from '../src/native-addon';
import { relErr, values } from './helpers/numeric';

const NATIVE = nativeKernels();
const skip = NATIVE.kernels ? false : `native addon unavailable: ${NATIVE.reason}`;

const [B, H, W, N] = [2, 5, 6, 3];
const xs = Float32Array.from({ length: W }, (_, j) => (2 * j) / (W - 1) - 1);
const ys = Float32Array.from({ length: H }, (_, i) => (2 * i) / (H - 1) - 1);
const shape = Int32Array.from([B, H, W, N]);

/** Positive maps; channel 0 of sample 1 is a one-pixel peak (its spread must be exactly zero). */
function heatmaps(): Float32Array {
  const h = Float32Array.from(values(B * H * W * N, 31), (v) => Math.abs(v) + 0.01);
  for (let y = 0; y < H; y++) for (let x = 0; x < W; x++) h[((1 * H + y) * W + x) * N] = y === 2 && x === 4 ? 0.7 : 0;
  return h;
}

/** The seven statistics of every (b, n) by their definitions, in float64. */
function reference(h: ArrayLike<number>): Float64Array {
  const out = new Float64Array(B * N * 7);
  for (let b = 0; b < B; b++) {
    for (let n = 0; n < N; n++) {
      const at = (y: number, x: number) => h[((b * H + y) * W + x) * N + n];
      let S = 0, Mx = 0, My = 0, Q = 0;
      for (let y = 0; y < H; y++) for (let x = 0; x < W; x++) {
        const v = at(y, x);
        S += v; Mx += v * xs[x]; My += v * ys[y]; Q += v * v;
      }
      const safe = S > 0 ? S : S + 1;
      const mx = Mx / safe, my = My / safe;
      let Cxx = 0, Cyy = 0, Cxy = 0;
      for (let y = 0; y < H; y++) for (let x = 0; x < W; x++) {
        const v = at(y, x);
        Cxx += v * (xs[x] - mx) ** 2; Cyy += v * (ys[y] - my) ** 2; Cxy += v * (xs[x] - mx) * (ys[y] - my);
      }
      out.set([S, Mx, My, Cxx, Cyy, Cxy, Q], (b * N + n) * 7);
    }
  }
  return out;
}

test('heatmapMoments = the definitions in float64; a one-pixel peak has exactly zero spread', { skip }, () => {
  const h = heatmaps();
  const got = new Float32Array(B * N * 7);
  NATIVE.kernels!.heatmapMoments(h, got, shape, xs, ys);
  const want = reference(h);
  assert.ok(relErr(got, want) <= 1e-6, `relative error ${relErr(got, want)}`);
  const peak = got.subarray((1 * N + 0) * 7, (1 * N + 0) * 7 + 7);
  assert.deepEqual(Array.from(peak.subarray(3, 6)), [0, 0, 0]);
  assert.ok(Math.abs(peak[1] / peak[0] - xs[4]) < 1e-6 && Math.abs(peak[2] / peak[0] - ys[2]) < 1e-6, 'mean at the peak');
});

test('heatmapMomentsGrad = central finite differences of Σ dStats·stats(h) (float64 reference)', { skip }, () => {
  const h = heatmaps();
  const stats = new Float32Array(B * N * 7);
  NATIVE.kernels!.heatmapMoments(h, stats, shape, xs, ys);
  const dStats = values(B * N * 7, 32);
  const dh = new Float32Array(h.length);
  NATIVE.kernels!.heatmapMomentsGrad(dStats, h, stats, dh, shape, xs, ys);
  const objective = (hh: Float64Array) => reference(hh).reduce((acc, p, k) => acc + p * dStats[k], 0);
  const base = Float64Array.from(h);
  const eps = 1e-6;
  const fd = new Float64Array(h.length);
  for (let i = 0; i < h.length; i++) {
    const up = Float64Array.from(base); up[i] += eps;
    const down = Float64Array.from(base); down[i] -= eps;
    fd[i] = (objective(up) - objective(down)) / (2 * eps);
  }
  assert.ok(dh.some((v) => v !== 0));
  assert.ok(relErr(dh, fd) <= 1e-5, `relative error ${relErr(dh, fd)}`);
});
