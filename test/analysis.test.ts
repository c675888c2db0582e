import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { aggregateByLandmark, aggregateByPart, landmarkAnisotropy } from '../src/analysis/anisotropy';

before(async () => { assert.ok(await tf.setBackend('cpu')); });

const S = 33;
/** Gaussian elongated along `angle` (σ 3 px major, 1.2 px minor) centred at pixel (cx, cy); channel-last values. */
function blob(angle: number, cx: number, cy: number): number[] {
  const out: number[] = [];
  for (let i = 0; i < S; i++) for (let j = 0; j < S; j++) {
    const dx = j - cx, dy = i - cy;
    const u = Math.cos(angle) * dx + Math.sin(angle) * dy, v = -Math.sin(angle) * dx + Math.cos(angle) * dy;
    out.push(Math.exp(-0.5 * ((u / 3) ** 2 + (v / 1.2) ** 2)));
  }
  return out;
}
const px = (p: number) => (2 * p) / (S - 1) - 1; // pixel -> STAR grid
const g = 2 / (S - 1); // grid units per pixel

test('principal direction, eigenvalues, ratio and error decompositions of known blobs', () => {
  const angles = [Math.PI / 6, -Math.PI / 3, 0];
  const chans = angles.map((a, n) => blob(a, 16 + n, 15));
  chans.push(new Array(S * S).fill(0)); // empty channel
  const hv = new Float32Array(S * S * 4);
  for (let p = 0; p < S * S; p++) for (let n = 0; n < 4; n++) hv[p * 4 + n] = chans[n][p];
  const h = tf.tensor4d(hv, [1, S, S, 4]);
  // Target offset by 2 px along each blob's major axis (so the prediction error μ − t is −2 px along it).
  const targets = [angles.map((a, n) => [px(16 + n) + 2 * g * Math.cos(a), px(15) + 2 * g * Math.sin(a)]).concat([[0, 0]])];
  // True tangents: the major axis for blob 0, the minor axis for blob 1.
  const tangents = [[[Math.cos(angles[0]) * 5, Math.sin(angles[0]) * 5], [-Math.sin(angles[1]), Math.cos(angles[1])], [1, 0], [1, 0]]];
  const st = landmarkAnisotropy(h, tf.tensor3d(targets), tangents)[0];
  for (let n = 0; n < 3; n++) {
    const s = st[n];
    assert.ok(s.valid);
    assert.ok(Math.abs(s.angle - angles[n]) < 1e-3, `angle ${s.angle} vs ${angles[n]}`);
    // Unbiased weighted estimator: the scatter (≈ σ²) is divided by 1 − Σh_n².
    const sum = chans[n].reduce((a, b) => a + b, 0);
    const q = chans[n].reduce((a, b) => a + (b / sum) ** 2, 0);
    assert.ok(Math.abs((s.lambdaMax * (1 - q)) / (3 * g) ** 2 - 1) < 0.005, `λmax ${s.lambdaMax}`);
    assert.ok(Math.abs(s.ratio / (3 / 1.2) ** 2 - 1) < 0.03, `ratio ${s.ratio}`);
    assert.ok(Math.abs(Math.abs(s.errMajor) - 2 * g) < 1e-4 && Math.abs(s.errMinor) < 1e-4);
  }
  assert.ok(Math.abs(Math.abs(st[0].errTangent) - 2 * g) < 1e-4 && Math.abs(st[0].errNormal) < 1e-4);
  assert.ok(Math.abs(st[1].errTangent) < 1e-4 && Math.abs(Math.abs(st[1].errNormal) - 2 * g) < 1e-4);
  assert.equal(st[3].valid, false);

  const byLm = aggregateByLandmark([st, st]);
  assert.equal(byLm.length, 4);
  assert.equal(byLm[0].count, 2);
  assert.equal(byLm[3].count, 0);
  const parts = aggregateByPart([st], { a: [0, 1], b: [2, 3] });
  assert.equal(parts.a.count, 2);
  assert.ok(Math.abs(parts.a.meanRatio - (st[0].ratio + st[1].ratio) / 2) < 1e-12);
  assert.ok(Math.abs(parts.a.rmsErrMajor - 2 * g) < 1e-4);
  assert.equal(parts.b.count, 1);
  assert.throws(() => aggregateByPart([st], { c: [9] }), /index 9/);
  assert.throws(() => landmarkAnisotropy(h, tf.zeros([1, 3, 2]) as tf.Tensor3D), /\[1,3,2\]/);
});
