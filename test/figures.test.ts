import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import { ellipsePath, axisSegments } from '../src/report/figures/ellipse';
import { lossVsDirection, gradientField, arrowPaths } from '../src/report/figures/anatomy';
import { gaussianHeatmap } from '../src/demo/gaussian';
import { alignSimilarity, procrustes, poseProxies, labelScatter, landmarkSpread, type Pt } from '../src/report/figures/shapes';
import { quantile, tangentNormalByPart } from '../src/report/figures/anisotropy';
import { readJsonl, eigenTrajectory } from '../src/runs/folder';
import { seedStats } from '../src/runs/stats';

const ready = tf.setBackend('cpu');

/** Official covariance (starLoss_v2: normalised weights, unbiased weighted estimator) in float64, independent of src/. */
function officialStats(h: Float32Array, S: number) {
  const g = (i: number) => (2 * i) / (S - 1) - 1;
  let sum = 0;
  for (const v of h) sum += v;
  let mx = 0, my = 0, q = 0;
  for (let i = 0; i < S; i++) for (let j = 0; j < S; j++) {
    const w = h[i * S + j] / sum;
    mx += w * g(j); my += w * g(i); q += w * w;
  }
  let xx = 0, yy = 0, xy = 0;
  for (let i = 0; i < S; i++) for (let j = 0; j < S; j++) {
    const w = h[i * S + j] / sum;
    xx += w * (g(j) - mx) ** 2; yy += w * (g(i) - my) ** 2; xy += w * (g(j) - mx) * (g(i) - my);
  }
  const den = 1 + 1e-5 - (q + 1e-5) / (1 + 1e-5);
  [xx, yy, xy] = [xx / den, yy / den, xy / den];
  const tr = (xx + yy) / 2, r = Math.hypot((xx - yy) / 2, xy);
  const theta = 0.5 * Math.atan2(2 * xy, xx - yy);
  return { mx, my, lmax: tr + r, lmin: tr - r, theta, den };
}

test('ellipsePath: every vertex lies on the k-sigma contour of the covariance, path is closed', () => {
  const e = { meanX: 0.3, meanY: -0.2, lambdaMax: 0.04, lambdaMin: 0.01, theta: 0.6 };
  const p = ellipsePath(e, { k: 2, points: 40 });
  assert.equal(p.x.length, 41);
  assert.equal(p.x[0], p.x[40]);
  const c = Math.cos(e.theta), s = Math.sin(e.theta);
  const xx = e.lambdaMax * c * c + e.lambdaMin * s * s, yy = e.lambdaMax * s * s + e.lambdaMin * c * c, xy = (e.lambdaMax - e.lambdaMin) * c * s;
  const det = xx * yy - xy * xy;
  for (let i = 0; i < p.x.length; i++) {
    const dx = p.x[i] - e.meanX, dy = p.y[i] - e.meanY;
    const m = (yy * dx * dx - 2 * xy * dx * dy + xx * dy * dy) / det;
    assert.ok(Math.abs(m - 4) < 1e-9, `vertex ${i}: Mahalanobis² ${m}`);
  }
  const ax = axisSegments(e);
  assert.ok(Math.abs(Math.hypot(ax.major.x[1] - ax.major.x[0], ax.major.y[1] - ax.major.y[0]) - 0.2) < 1e-12);
  assert.throws(() => ellipsePath({ ...e, lambdaMin: -1 }), /eigenvalues must be >= 0/);
  assert.throws(() => ellipsePath({ ...e, meanX: NaN }), /meanX must be a finite number/);
});

test('gaussianHeatmap: the official covariance of the drawn map recovers the designed axes', () => {
  const S = 64;
  const spec = { mean: [0.1, -0.05] as [number, number], lambdaMax: 0.01, lambdaMin: 0.0025, theta: 0.5 };
  const st = officialStats(gaussianHeatmap(S, spec), S);
  assert.ok(Math.abs(st.mx - 0.1) < 1e-6 && Math.abs(st.my + 0.05) < 1e-6, `mean ${st.mx}, ${st.my}`);
  // The designed axes are the weighted scatter; the official estimator divides it by 1 − Σh_n² (≈ 0.984 here).
  assert.ok(Math.abs((st.lmax * st.den) / 0.01 - 1) < 2e-3, `lambdaMax ${st.lmax}`);
  assert.ok(Math.abs((st.lmin * st.den) / 0.0025 - 1) < 2e-3, `lambdaMin ${st.lmin}`);
  assert.ok(Math.abs(st.theta - 0.5) < 1e-3, `theta ${st.theta}`);
  assert.throws(() => gaussianHeatmap(S, { ...spec, lambdaMin: 0 }), /0 < lambdaMin <= lambdaMax/);
});

test('lossVsDirection (l2, ω = 0): matches the closed form Σ (e·v)²/√(λ+1e-5) and is cheapest along the major axis', async () => {
  await ready;
  const S = 32;
  const spec = { mean: [0, 0] as [number, number], lambdaMax: 0.02, lambdaMin: 0.004, theta: -0.4 };
  const h = gaussianHeatmap(S, spec);
  const st = officialStats(h, S);
  const hm = tf.tensor4d(h, [1, S, S, 1]);
  const before = tf.memory().numTensors;
  const r = 0.1;
  const c = lossVsDirection(hm, r, { star: { distance: 'l2', omega: 0 }, plain: 'l2', angles: 9 });
  assert.equal(tf.memory().numTensors, before, 'no leaked tensors');
  c.angleDeg.forEach((a, i) => {
    const phi = (a * Math.PI) / 180; // relative to the major axis
    const em = r * Math.cos(phi), en = r * Math.sin(phi);
    const want = (em * em) / Math.sqrt(st.lmax + 1e-5) + (en * en) / Math.sqrt(st.lmin + 1e-5);
    assert.ok(Math.abs(c.star[i] / want - 1) < 2e-3, `angle ${a}: ${c.star[i]} vs ${want}`);
    assert.ok(Math.abs(c.plain[i] - r * r) < 1e-6, `plain l2 is isotropic: ${c.plain[i]}`);
  });
  assert.ok(c.star[0] < c.star[2], 'along the major axis (0°) costs less than across (90°)');
  assert.throws(() => lossVsDirection(hm, -1), /radius must be a positive number/);
  assert.throws(() => lossVsDirection(tf.zeros([2, S, S, 1]) as tf.Tensor4D, 0.1), /expected one heatmap \[1, H, W, 1\]/);
  hm.dispose();
});

test('gradientField (l2, ω = 0): ∂L/∂t equals 2 Σ (e·v) v/√(λ+1e-5); plain pull is 2e', async () => {
  await ready;
  const S = 32;
  const h = gaussianHeatmap(S, { mean: [0.05, 0], lambdaMax: 0.02, lambdaMin: 0.004, theta: 0.9 });
  const st = officialStats(h, S);
  const hm = tf.tensor4d(h, [1, S, S, 1]);
  const f = gradientField(hm, 0.2, { star: { distance: 'l2', omega: 0 }, plain: 'l2', n: 2 });
  assert.equal(f.x.length, 25);
  const c = Math.cos(st.theta), s = Math.sin(st.theta);
  const wM = 1 / Math.sqrt(st.lmax + 1e-5), wm = 1 / Math.sqrt(st.lmin + 1e-5);
  for (let k = 0; k < f.x.length; k++) {
    const ex = f.x[k] - st.mx, ey = f.y[k] - st.my;
    const pM = ex * c + ey * s, pm = -ex * s + ey * c;
    const gx = 2 * (pM * c * wM - pm * s * wm), gy = 2 * (pM * s * wM + pm * c * wm);
    const scale = Math.max(1, Math.hypot(gx, gy));
    assert.ok(Math.abs(f.starU[k] - gx) / scale < 2e-3 && Math.abs(f.starV[k] - gy) / scale < 2e-3, `point ${k}: (${f.starU[k]}, ${f.starV[k]}) vs (${gx}, ${gy})`);
    assert.ok(Math.abs(f.plainU[k] - 2 * ex) < 1e-5 && Math.abs(f.plainV[k] - 2 * ey) < 1e-5);
  }
  hm.dispose();
});

test('arrowPaths: longest shaft has the requested length; mismatched inputs are rejected', () => {
  const a = arrowPaths([0, 1], [0, 0], [3, 0], [4, 1], 0.5);
  assert.ok(Math.abs(Math.hypot((a.x[1] as number) - 0, (a.y[1] as number) - 0) - 0.5) < 1e-12);
  assert.ok(a.x.includes(null));
  assert.throws(() => arrowPaths([0], [0, 1], [1], [1], 1), /same length/);
});

test('alignSimilarity recovers a known similarity; procrustes mean has unit IOD; poseProxies reads the roll', () => {
  const base: Pt[] = Array.from({ length: 98 }, (_, i) => [Math.cos(i) * (1 + (i % 7) / 10), Math.sin(1.3 * i) + i / 98]);
  const ang = 0.3, sc = 2.5, t: Pt = [4, -1];
  const moved = base.map(([x, y]): Pt => [sc * (Math.cos(ang) * x - Math.sin(ang) * y) + t[0], sc * (Math.sin(ang) * x + Math.cos(ang) * y) + t[1]]);
  const back = alignSimilarity(moved, base);
  back.forEach((p, i) => assert.ok(Math.hypot(p[0] - base[i][0], p[1] - base[i][1]) < 1e-9, `point ${i}`));
  const { mean, aligned } = procrustes([base, moved]);
  assert.ok(Math.abs(Math.hypot(mean[72][0] - mean[60][0], mean[72][1] - mean[60][1]) - 1) < 1e-9);
  const sp = landmarkSpread(aligned, mean);
  assert.ok(Math.max(...sp.rms) < 1e-9, 'the same shape twice has no spread');
  const face: Pt[] = Array.from({ length: 98 }, () => [0, 0]);
  face[60] = [0, 0]; face[72] = [10, 0]; face[54] = [7, 3];
  const rot = face.map(([x, y]): Pt => [Math.cos(0.2) * x - Math.sin(0.2) * y, Math.sin(0.2) * x + Math.cos(0.2) * y]);
  const p = poseProxies(rot);
  assert.ok(Math.abs(p.rollDeg - (0.2 * 180) / Math.PI) < 1e-9);
  assert.ok(Math.abs(p.yawProxy - 0.2) < 1e-9, `yaw proxy ${p.yawProxy}`);
  assert.throws(() => alignSimilarity(base, base.slice(1)), /same number/);
});

test('labelScatter: recovers known tangent/normal noise in IOD units', () => {
  const N = 98;
  const clean: Pt[] = Array.from({ length: N }, (_, i) => [i, 0]);
  clean[60] = [0, 0]; clean[72] = [10, 0]; // IOD 10
  const tangents: Pt[] = Array.from({ length: N }, (_, i) => (i === 5 ? [0, 0] : [Math.SQRT1_2, Math.SQRT1_2]));
  const samples = [1, -1].map((sgn) => ({
    cleanLandmarks: clean, tangents,
    landmarks: clean.map(([x, y], i): Pt => (i === 5 ? [x + sgn * 3, y] : [x + sgn * Math.SQRT1_2 * 2 - sgn * Math.SQRT1_2 * 0.5, y + sgn * Math.SQRT1_2 * 2 + sgn * Math.SQRT1_2 * 0.5])),
  }));
  const r = labelScatter(samples);
  assert.ok(Math.abs(r.along[0] - 0.2) < 1e-12 && Math.abs(r.across[0] - 0.05) < 1e-12, `${r.along[0]} ${r.across[0]}`);
  assert.equal(r.corner[5], true);
  assert.ok(Math.abs(r.along[5] - 0.3) < 1e-12 && r.across[5] === 0);
});

test('anisotropy helpers: quantiles, tangent/normal RMS per part', () => {
  assert.equal(quantile([1, 2, 3, 4, 5], 0.25), 2);
  assert.equal(quantile([1, 2], 0.5), 1.5);
  const tn = tangentNormalByPart({ errTangent: [3, 4], errNormal: [1, NaN] }, { p: [0, 1] });
  assert.ok(Math.abs(tn[0].tangent - Math.sqrt(12.5)) < 1e-12 && tn[0].normal === 1);
});

test('run readers: jsonl lines, eigen trajectories, bad lines name file and line', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'figs-'));
  fs.writeFileSync(path.join(dir, 'eigen.jsonl'), '{"step":1,"all.lambdaMax":0.5}\n{"step":5,"all.lambdaMax":0.25}\n\n');
  assert.deepEqual(eigenTrajectory(dir, 'all.lambdaMax'), { step: [1, 5], value: [0.5, 0.25] });
  assert.deepEqual(eigenTrajectory(dir, 'nope'), { step: [], value: [] });
  fs.writeFileSync(path.join(dir, 'bad.jsonl'), '{"a":1}\n{oops\n');
  assert.throws(() => readJsonl(path.join(dir, 'bad.jsonl')), /bad\.jsonl:2: not JSON/);
  assert.deepEqual(readJsonl(path.join(dir, 'missing.jsonl')), []);
  const m = seedStats([1, 2, 3]);
  assert.equal(m.mean, 2);
  assert.equal(m.sd, 1);
  assert.deepEqual(seedStats([4]), { mean: 4, sd: 0, n: 1, values: [4] });
  assert.ok(Number.isNaN(seedStats([]).mean));
  fs.rmSync(dir, { recursive: true });
});

test('ensureExperiment (read only) + experimentData: committed full results win, arms without runs are listed as missing, nothing is trained', async () => {
  const { ensureExperiment } = await import('../src/experiments/ensure');
  const { experimentData, provenanceMarkdown } = await import('../src/report/experiment-data');
  const load = async (opts: Parameters<typeof ensureExperiment>[1]) => experimentData(await ensureExperiment(spec, opts));
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'figs-runs-'));
  const local = path.join(tmp, 'local');
  const full = path.join(tmp, 'full');
  const spec = {
    // No seeds declared: each profile's (smoke 1, full 1-3).
    name: 'fake-exp', title: 'Fake', question: 'q?', data: {}, model: { preset: 'cpu-tiny' as const }, train: {},
    arms: [{ id: 'a', label: 'A', loss: { kind: 'heatmap-mse' as const } }, { id: 'b', label: 'B', loss: { kind: 'heatmap-mse' as const } }],
    comparisons: [['a', 'b']] as [string, string][],
  };
  const writeRun = (root: string, arm: string, seed: number, nme: number) => {
    const dir = path.join(root, 'runs', 'fake-exp', `${arm}-s${seed}`);
    fs.mkdirSync(dir, { recursive: true });
    const m = { n: 10, nme, fr: 0, auc: 0.5 };
    fs.writeFileSync(path.join(dir, 'summary.json'), JSON.stringify({ experiment: 'fake-exp', arm, seed, loss: 'heatmap MSE', test: { labels: m, clean: m }, msPerStep: 10 }));
    fs.writeFileSync(path.join(dir, 'eigen.jsonl'), '{"step":1,"all.lambdaMin":0.001,"all.lambdaMax":0.004}\n');
  };
  writeRun(local, 'a', 1, 0.05);
  const d = await load({ profile: 'smoke', train: 'never', fullRoot: full, resultsRoot: local });
  assert.equal(d.profile, 'smoke');
  assert.deepEqual(d.missing, ['b-s1']);
  assert.equal(d.tables.arms.length, 1);
  assert.match(provenanceMarkdown(d), /Missing runs \(1\):\*\* b-s1/);
  const ms = d.results.arms;
  assert.equal(ms[0].nme.mean, 0.05);
  assert.equal(ms[0].lambdaMax.mean, 0.004);
  assert.equal(ms[1].nme.n, 0);
  writeRun(full, 'b', 2, 0.04);
  const f = await load({ profile: 'smoke', train: 'never', fullRoot: full, resultsRoot: local });
  assert.equal(f.profile, 'full');
  assert.equal(f.label, 'ours, synthetic benchmark (full)');
  assert.deepEqual(f.missing, ['a-s1', 'a-s2', 'a-s3', 'b-s1', 'b-s3']);
  await assert.rejects(load({ profile: 'smoke', train: 'never', only: ['zz'], fullRoot: full, resultsRoot: local }), /no arm "zz"/);
  fs.rmSync(tmp, { recursive: true });
});

test('tangent scatter by |yaw| bin: hand-computed RMS over chosen landmarks', async () => {
  const { tangentScatterByYaw } = await import('../src/report/figures/shapes');
  // Inter-ocular distance 1 (points 60 and 72 at x = 0 and 1); landmark 0 has tangent (1, 0).
  const face = (yaw: number, along: number) => {
    const clean = Array.from({ length: 98 }, (_, i): [number, number] => [i === 72 ? 1 : 0, 0]);
    const tangents = Array.from({ length: 98 }, (_, i): [number, number] => (i === 0 ? [1, 0] : [0, 0]));
    const landmarks = clean.map((p, i): [number, number] => (i === 0 ? [p[0] + along, p[1]] : p));
    return { landmarks, cleanLandmarks: clean, tangents, yaw };
  };
  const r = tangentScatterByYaw([face(5, 0.1), face(-10, 0.3), face(40, 0.2), face(70, 9)], [0], [0, 30, 60]);
  assert.equal(r.length, 2, 'the face at |yaw| 70 is outside the bins');
  assert.deepEqual(r.map((b) => b.faces), [2, 1]);
  assert.ok(Math.abs(r[0].rms - Math.sqrt((0.01 + 0.09) / 2)) < 1e-12, String(r[0].rms));
  assert.ok(Math.abs(r[1].rms - 0.2) < 1e-12);
});
