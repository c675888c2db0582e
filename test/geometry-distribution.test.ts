/**
 * Geometry layer: closed-form 2x2 eigen-decomposition (values, stability, bounded gradient) and the fused heatmap
 * moments op (values and gradient against plain autodiff of the broadcast formulas), cpu backend.
 */
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { symEigen2x2, symEigen2x2Scalar } from '../src/geometry/eigen2x2';
import { heatmapDistribution, heatmapMoments } from '../src/geometry/distribution';
import { gridAxis } from '../src/geometry/coords';

before(async () => { assert.ok(await tf.setBackend('cpu')); });

function rng(seed: number) {
  let s = seed >>> 0;
  return () => { s = (s * 1664525 + 1013904223) >>> 0; return s / 2 ** 32; };
}

/** SPD matrices with given eigenvalues and angle, rounded to float32 (the f64 reference sees the same inputs). */
function spd(l0: number, l1: number, th: number): [number, number, number] {
  const c = Math.cos(th), s = Math.sin(th);
  return [Math.fround(l1 * c * c + l0 * s * s), Math.fround((l1 - l0) * c * s), Math.fround(l1 * s * s + l0 * c * c)];
}

test('eigenvalues/angle match float64, including elongated and tiny matrices; eigenvectors reconstruct A', () => {
  const r = rng(1);
  const mats: [number, number, number][] = [];
  for (let k = 0; k < 200; k++) {
    const scale = 10 ** (-8 + 8 * r());
    const ratio = 10 ** (4 * r());
    mats.push(spd(scale, scale * ratio, Math.PI * (r() - 0.5)));
  }
  mats.push([1, 0, 1], [0, 0, 0], [2, 0, 1], [1, 0, 2], [1, 1e-3, 1]);
  const [a, b, c] = [0, 1, 2].map((i) => tf.tensor1d(mats.map((m) => m[i])));
  const e = symEigen2x2(a, b, c);
  const [l0, l1, th] = [e.lambdaMin, e.lambdaMax, e.theta].map((t) => t.dataSync());
  mats.forEach(([ma, mb, mc], k) => {
    const ref = symEigen2x2Scalar(ma, mb, mc);
    const tol = 1e-5 * Math.abs(ref.lambdaMax) + 1e-30;
    assert.ok(Math.abs(l1[k] - ref.lambdaMax) <= tol, `λmax ${k}`);
    // λmin relative to itself (stable form det/λmax), except where cancellation in det is unavoidable in f32.
    assert.ok(Math.abs(l0[k] - ref.lambdaMin) <= 1e-4 * Math.abs(ref.lambdaMin) + 1e-6 * Math.abs(ref.lambdaMax) + 1e-30, `λmin ${k}: ${l0[k]} vs ${ref.lambdaMin}`);
    // Reconstruction with vMax = (cos, sin), vMin = (−sin, cos).
    const cs = Math.cos(th[k]), sn = Math.sin(th[k]);
    const ra = l1[k] * cs * cs + l0[k] * sn * sn, rb = (l1[k] - l0[k]) * cs * sn, rc = l1[k] * sn * sn + l0[k] * cs * cs;
    const sc = Math.abs(ma) + Math.abs(mc) + 1e-30;
    assert.ok(Math.abs(ra - ma) < 1e-5 * sc && Math.abs(rb - mb) < 1e-5 * sc && Math.abs(rc - mc) < 1e-5 * sc, `reconstruction ${k}`);
  });
  assert.ok(l1[mats.length - 3] === 2 && l0[mats.length - 3] === 1 && th[mats.length - 3] === 0, "diag(2, 1)");
  assert.ok(l1[mats.length - 4] === 0 && l0[mats.length - 4] === 0, "zero matrix");
  assert.ok(Math.abs(th[mats.length - 2] - Math.PI / 2) < 1e-7, 'c > a: principal axis is y');
  assert.throws(() => symEigen2x2(a, b, tf.zeros([3])), /\[205\].*\[3\]/);
});

test('eigen gradient equals float64 finite differences away from isotropy, finite at isotropy and zero', () => {
  const r = rng(2);
  const mats = Array.from({ length: 20 }, () => spd(0.01 + r(), 1.5 + r(), Math.PI * (r() - 0.5)));
  const u = [0.3, -1.2, 0.7]; // f = u·(λmin, λmax, θ)
  const f = (a: tf.Tensor, b: tf.Tensor, c: tf.Tensor) => {
    const e = symEigen2x2(a, b, c);
    return tf.sum(tf.addN([tf.mul(e.lambdaMin, u[0]), tf.mul(e.lambdaMax, u[1]), tf.mul(e.theta, u[2])]));
  };
  const [a, b, c] = [0, 1, 2].map((i) => tf.tensor1d(mats.map((m) => m[i])));
  const grads = tf.grads(f)([a, b, c]).map((g) => g.dataSync());
  const fs = (m: number[]) => { const e = symEigen2x2Scalar(m[0], m[1], m[2]); return u[0] * e.lambdaMin + u[1] * e.lambdaMax + u[2] * e.theta; };
  mats.forEach((m, k) => {
    for (let i = 0; i < 3; i++) {
      const h = 1e-6;
      const mp = [...m], mm = [...m];
      mp[i] += h; mm[i] -= h;
      const fd = (fs(mp) - fs(mm)) / (2 * h);
      assert.ok(Math.abs(grads[i][k] - fd) < 1e-4 * (1 + Math.abs(fd)), `mat ${k} d/d${'abc'[i]}: ${grads[i][k]} vs ${fd}`);
    }
  });
  // Exact isotropy and the zero matrix: finite; eigenvalue gradients are the exact vᵀ dA v (θ = 0 basis).
  const gi = tf.grads(f)([tf.tensor1d([0.5, 0]), tf.tensor1d([0, 0]), tf.tensor1d([0.5, 0])]).map((g) => g.dataSync());
  for (const g of gi) assert.ok(g.every(Number.isFinite));
  assert.ok(Math.abs(gi[0][0] - u[1]) < 1e-6 && Math.abs(gi[2][0] - u[0]) < 1e-6, 'dλmax/da = 1, dλmin/dc = 1 at θ = 0');
});

/** Plain autodiff of the broadcast formulas (statistics of h/Σh, and Σh): the reference for the fused moments op. */
function naiveMoments(h: tf.Tensor4D): tf.Tensor {
  const [, H, W] = h.shape;
  const x = tf.reshape(tf.tensor1d(gridAxis(W)), [1, 1, W, 1]);
  const y = tf.reshape(tf.tensor1d(gridAxis(H)), [1, H, 1, 1]);
  const S = tf.sum(h, [1, 2], true);
  const hn = tf.div(h, S);
  const mx = tf.sum(tf.mul(hn, x), [1, 2], true);
  const my = tf.sum(tf.mul(hn, y), [1, 2], true);
  const dx = tf.sub(x, mx), dy = tf.sub(y, my);
  return tf.stack([
    tf.sum(h, [1, 2]), tf.squeeze(mx, [1, 2]), tf.squeeze(my, [1, 2]),
    tf.sum(tf.mul(hn, tf.square(dx)), [1, 2]), tf.sum(tf.mul(hn, tf.square(dy)), [1, 2]),
    tf.sum(tf.mul(tf.mul(hn, dx), dy), [1, 2]), tf.sum(tf.square(hn), [1, 2]),
  ], -1);
}

test('fused moments op: values and gradient equal plain autodiff of the broadcast formulas', () => {
  const shape: [number, number, number, number] = [2, 5, 7, 3];
  const r = rng(3);
  const h = tf.tensor4d(Float32Array.from({ length: 2 * 5 * 7 * 3 }, () => r()), shape);
  const w = tf.tensor3d(Float32Array.from({ length: 2 * 3 * 7 }, () => r() - 0.5), [2, 3, 7]);
  const fused = (x: tf.Tensor) => {
    const m = heatmapMoments(x as tf.Tensor4D);
    const packed = tf.stack([m.mass, m.meanX, m.meanY, m.varX, m.varY, m.covXY, m.sumSquares], -1);
    return tf.sum(tf.mul(packed, w));
  };
  const naive = (x: tf.Tensor) => tf.sum(tf.mul(naiveMoments(x as tf.Tensor4D), w));
  const a = tf.valueAndGrad(fused)(h);
  const b = tf.valueAndGrad(naive)(h);
  assert.ok(Math.abs(a.value.dataSync()[0] - b.value.dataSync()[0]) < 1e-5 * Math.abs(b.value.dataSync()[0]) + 1e-6);
  const ga = a.grad.dataSync(), gb = b.grad.dataSync();
  let m = 0, e = 0;
  for (let k = 0; k < gb.length; k++) { m = Math.max(m, Math.abs(gb[k])); e = Math.max(e, Math.abs(ga[k] - gb[k])); }
  assert.ok(e / m < 1e-5, `gradient rel err ${e / m}`);
});

test('scale-free distribution: masses far below the official 1e-6 clamp (and far above) give the unit-mass one', () => {
  const shape: [number, number, number, number] = [1, 4, 5, 1];
  const r = rng(4);
  const hv = Array.from({ length: 20 }, () => r());
  const unit = heatmapDistribution(tf.tensor4d(hv, shape));
  // Float64 reference of the definition (h / Σh).
  const s = hv.reduce((p, q) => p + q, 0);
  let mx = 0, my = 0, s2 = 0;
  hv.forEach((v, k) => { const i = Math.floor(k / 5), j = k % 5; mx += (v / s) * (j / 2 - 1); my += (v / s) * ((2 * i) / 3 - 1); s2 += (v / s) ** 2; });
  let a = 0, b = 0, c = 0;
  hv.forEach((v, k) => { const i = Math.floor(k / 5), j = k % 5; const dx = j / 2 - 1 - mx, dy = (2 * i) / 3 - 1 - my; a += (v / s) * dx * dx; b += (v / s) * dx * dy; c += (v / s) * dy * dy; });
  const den = 1 + 1e-5 - (s2 + 1e-5) / (1 + 1e-5);
  const want = { meanX: mx, meanY: my, covXX: a / den, covXY: b / den, covYY: c / den };
  for (const scale of [1, 1e-8, 1e-30, 1e30]) {
    const d = heatmapDistribution(tf.tensor4d(hv.map((v) => v * scale), shape));
    for (const [k, w] of Object.entries(want)) {
      const got = d[k as keyof typeof want].dataSync()[0];
      assert.ok(Math.abs(got - w) <= 1e-5 * Math.abs(w) + 1e-7, `scale ${scale} ${k}: ${got} vs ${w}`);
    }
    assert.equal(d.valid.dataSync()[0], 1);
  }
  tf.dispose(Object.values(unit));
});
