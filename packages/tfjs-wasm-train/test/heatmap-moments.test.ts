/**
 * The heatmap-moment host reductions of the native addon (heatmapMoments, heatmapMomentsGrad) against their
 * definitions evaluated in float64 here, and the gradient against central finite differences of that reference;
 * both scale-free (only the mass scales) over 1e-30…1e30.
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

/** The seven statistics of every (b, n) by their definitions (S, then moments of h/S), in float64. */
function reference(h: ArrayLike<number>): Float64Array {
  const out = new Float64Array(B * N * 7);
  for (let b = 0; b < B; b++) {
    for (let n = 0; n < N; n++) {
      let S = 0;
      for (let y = 0; y < H; y++) for (let x = 0; x < W; x++) S += h[((b * H + y) * W + x) * N + n];
      const at = (y: number, x: number) => h[((b * H + y) * W + x) * N + n] / S;
      let mx = 0, my = 0, q = 0;
      for (let y = 0; y < H; y++) for (let x = 0; x < W; x++) {
        const v = at(y, x);
        mx += v * xs[x]; my += v * ys[y]; q += v * v;
      }
      let cxx = 0, cyy = 0, cxy = 0;
      for (let y = 0; y < H; y++) for (let x = 0; x < W; x++) {
        const v = at(y, x);
        cxx += v * (xs[x] - mx) ** 2; cyy += v * (ys[y] - my) ** 2; cxy += v * (xs[x] - mx) * (ys[y] - my);
      }
      out.set([S, mx, my, cxx, cyy, cxy, q], (b * N + n) * 7);
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
  assert.ok(Math.abs(peak[1] - xs[4]) < 1e-6 && Math.abs(peak[2] - ys[2]) < 1e-6, 'mean at the peak');
  assert.equal(peak[6], 1, 'Σh_n² of a one-pixel peak');
});

test('heatmapMoments is scale-free from 1e-30 to 1e30: only S scales, nothing overflows (Σh² of a 1e19 map would)', { skip }, () => {
  const h = heatmaps();
  const unit = new Float32Array(B * N * 7);
  NATIVE.kernels!.heatmapMoments(h, unit, shape, xs, ys);
  for (const scale of [1e-30, 1e-10, 1e19, 1e30]) {
    const got = new Float32Array(B * N * 7);
    NATIVE.kernels!.heatmapMoments(h.map((v) => v * scale), got, shape, xs, ys);
    got.forEach((v, k) => {
      const want = k % 7 === 0 ? unit[k] * scale : unit[k];
      assert.ok(Number.isFinite(v) && Math.abs(v - want) <= 1e-6 * Math.abs(want) + 1e-7, `scale ${scale}, stat ${k % 7} of channel ${Math.floor(k / 7)}: ${v} vs ${want}`);
    });
  }
});

test('heatmapMomentsGrad = central finite differences of Σ dStats·stats(h) (float64 reference), and scales as 1/S', { skip }, () => {
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
  // The statistics but S are scale-free, so for dStats without a gS part the gradient at c·h is the one at h over c.
  dStats.forEach((_, k) => { if (k % 7 === 0) dStats[k] = 0; });
  NATIVE.kernels!.heatmapMomentsGrad(dStats, h, stats, dh, shape, xs, ys);
  for (const scale of [1e-30, 1e30]) {
    const hs = h.map((v) => v * scale);
    const ss = new Float32Array(B * N * 7);
    NATIVE.kernels!.heatmapMoments(hs, ss, shape, xs, ys);
    const ds = new Float32Array(h.length);
    NATIVE.kernels!.heatmapMomentsGrad(dStats, hs, ss, ds, shape, xs, ys);
    assert.ok(relErr(ds.map((v) => v * scale), dh) <= 1e-5, `scale ${scale}: relative error ${relErr(ds.map((v) => v * scale), dh)}`);
  }
});
