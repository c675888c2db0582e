import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { adaptiveWing, coordLoss, decodeMean, heatmapMse } from '../src/loss/baselines';
import { wing } from '../src/loss/distances';

before(async () => { assert.ok(await tf.setBackend('cpu')); });

function rng(seed: number) {
  let s = seed >>> 0;
  return () => { s = (s * 1664525 + 1013904223) >>> 0; return s / 2 ** 32; };
}

/** Scalar Adaptive Wing (paper formula, float64). */
function awing(pred: number, y: number, w = 14, th = 0.5, eps = 1, a = 2.1): number {
  const d = Math.abs(y - pred);
  if (d < th) return w * Math.log(1 + Math.pow(d / eps, a - y));
  const A = w * (1 / (1 + Math.pow(th / eps, a - y))) * (a - y) * Math.pow(th / eps, a - y - 1) / eps;
  const C = th * A - w * Math.log(1 + Math.pow(th / eps, a - y));
  return A * d - C;
}

test('heatmap MSE and Adaptive Wing (with the official weight map) match float64 references', () => {
  const [B, H, W, N] = [1, 5, 6, 2];
  const r = rng(1);
  const pred = Float32Array.from({ length: B * H * W * N }, () => r() * 1.6 - 0.3);
  const tgt = new Float32Array(B * H * W * N);
  tgt[(2 * W + 3) * N + 0] = 1; tgt[(2 * W + 4) * N + 0] = 0.3; tgt[(0 * W + 0) * N + 1] = 0.15; // < 0.2: no boost
  const p = tf.tensor4d(pred, [B, H, W, N]);
  const t = tf.tensor4d(tgt, [B, H, W, N]);
  let mse = 0, aw = 0;
  for (let i = 0; i < H; i++) for (let j = 0; j < W; j++) for (let n = 0; n < N; n++) {
    const k = (i * W + j) * N + n;
    mse += (pred[k] - tgt[k]) ** 2;
    // max-pool 3x3 of the target >= 0.2 -> weight 11
    let mx = -Infinity;
    for (let di = -1; di <= 1; di++) for (let dj = -1; dj <= 1; dj++) {
      const ii = i + di, jj = j + dj;
      if (ii >= 0 && ii < H && jj >= 0 && jj < W) mx = Math.max(mx, tgt[(ii * W + jj) * N + n]);
    }
    aw += awing(pred[k], tgt[k]) * (mx >= 0.2 ? 11 : 1);
  }
  const cnt = B * H * W * N;
  assert.ok(Math.abs(heatmapMse(p, t).dataSync()[0] - mse / cnt) < 1e-6 * mse / cnt);
  const got = adaptiveWing(p, t).dataSync()[0];
  assert.ok(Math.abs(got - aw / cnt) < 1e-5 * aw / cnt, `awing ${got} vs ${aw / cnt}`);
  // Continuity at |diff| = θ, and a finite gradient (diff = 0 included).
  const at = (d: number) => adaptiveWing(tf.tensor4d([d], [1, 1, 1, 1]), tf.tensor4d([0], [1, 1, 1, 1]), { weight: 0 }).dataSync()[0];
  assert.ok(Math.abs(at(0.5 - 1e-6) - at(0.5 + 1e-6)) < 1e-4);
  const g = tf.grad((x: tf.Tensor) => adaptiveWing(x as tf.Tensor4D, t))(tf.tensor4d(tgt, [B, H, W, N])).dataSync();
  assert.ok(g.every(Number.isFinite));
  assert.throws(() => heatmapMse(p, tf.zeros([1, 5, 6, 3]) as tf.Tensor4D), /\[1,5,6,2\].*\[1,5,6,3\]/);
});

test('coordinate losses on the decoded mean: values, wing continuity, empty channels, finite gradient', () => {
  const [B, H, W, N] = [2, 6, 5, 3];
  const r = rng(3);
  const hv = Float32Array.from({ length: B * H * W * N }, () => r());
  for (let i = 0; i < H * W; i++) hv[i * N + 1] = 0; // b = 0, n = 1 empty
  const h = tf.tensor4d(hv, [B, H, W, N]);
  const gt = tf.tensor3d(Float32Array.from({ length: B * N * 2 }, () => r() - 0.5), [B, N, 2]);
  const mu = decodeMean(h);
  const mx = mu.x.dataSync(), my = mu.y.dataSync(), g = gt.dataSync();
  // independent mean for (b=1, n=2)
  let s = 0, sx = 0, sy = 0;
  for (let i = 0; i < H; i++) for (let j = 0; j < W; j++) {
    const v = hv[(((1 * H + i) * W + j) * N) + 2];
    s += v; sx += v * (2 * j / (W - 1) - 1); sy += v * (2 * i / (H - 1) - 1);
  }
  assert.ok(Math.abs(mx[5] - sx / s) < 1e-6 && Math.abs(my[5] - sy / s) < 1e-6);
  const dfun: Record<string, (e: number) => number> = {
    l1: Math.abs, l2: (e) => e * e,
    smoothl1: (e) => (e * e < 1e-4 ? 50 * e * e : Math.sqrt(Math.max(e * e, 1e-6)) - 0.005),
    wing: (e) => (Math.abs(e) < 0.01 ? 0.01 * Math.log(1 + Math.abs(e) / 2) : Math.abs(e) - (0.01 - 0.01 * Math.log(1 + 0.01 / 2))),
  };
  for (const dist of ['l1', 'l2', 'smoothl1', 'wing'] as const) {
    let want = 0;
    for (let k = 0; k < B * N; k++) if (k !== 1) want += dfun[dist](g[2 * k] - mx[k]) + dfun[dist](g[2 * k + 1] - my[k]);
    want /= B * N;
    const got = coordLoss(h, gt, { distance: dist }).dataSync()[0];
    assert.ok(Math.abs(got - want) < 1e-5 * want, `${dist}: ${got} vs ${want}`);
    const gr = tf.grad((x: tf.Tensor) => coordLoss(x as tf.Tensor4D, gt, { distance: dist }))(h).dataSync();
    assert.ok(gr.every(Number.isFinite));
    for (let i = 0; i < H * W; i++) assert.equal(gr[i * N + 1], 0);
  }
  const w = wing(tf.tensor1d([0.01 - 1e-7, 0.01 + 1e-7])).dataSync();
  assert.ok(Math.abs(w[0] - w[1]) < 1e-6);
  assert.throws(() => coordLoss(h, tf.zeros([2, 2, 2]) as tf.Tensor3D), /\[2,6,5,3\].*\[2,2,2\]/);
});
