/**
 * Synthetic benchmark geometry and labels: WFLW semantics, mirror symmetry, the visible-silhouette jaw contour under
 * yaw (checked against an independent dense sampling of the face mask), ambiguity statistics, determinism.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { WFLW98, flipPermutation } from '../src/data/schemes';
import type { Point } from '../src/data/sample';
import {
  resolveSyntheticConfig, syntheticConfigHash, createRng, sampleSeed, sampleFaceParams, buildGeometry, generateGeometry,
  generateSample, drawNoisyLabels, maskSurface, project, rotationMatrix, NEUTRAL_IDENTITY, NEUTRAL_EXPRESSION, interOcular,
  pointInPolygon, attributeFlags, curveTangents, convexHullIndices, WFLW_CORNER_POINTS, type FaceParams,
} from '../src/data/synthetic';

const S = 128;
const cfg = resolveSyntheticConfig({ imageSize: S });

/** A face with chosen pose/expression; the rest from a seeded draw. Centred exactly, neutral identity. */
function face(pose: { yaw: number; pitch: number; roll: number }, over: Partial<FaceParams> = {}): FaceParams {
  const p = sampleFaceParams(createRng(7), cfg);
  return { ...p, identity: { ...NEUTRAL_IDENTITY }, expression: { ...NEUTRAL_EXPRESSION, gaze: [0, 0] }, pose, center: [(S - 1) / 2, (S - 1) / 2], ...over };
}

function distToPolygon(p: Point, poly: Point[]): number {
  let best = Infinity;
  for (let i = 0; i < poly.length; i++) {
    const a = poly[i], b = poly[(i + 1) % poly.length];
    const dx = b[0] - a[0], dy = b[1] - a[1];
    const t = Math.max(0, Math.min(1, ((p[0] - a[0]) * dx + (p[1] - a[1]) * dy) / (dx * dx + dy * dy || 1)));
    best = Math.min(best, Math.hypot(p[0] - a[0] - t * dx, p[1] - a[1] - t * dy));
  }
  return best;
}

test('prng: same seed -> same stream; per-sample seeds differ by split and index', () => {
  const a = createRng(42), b = createRng(42);
  for (let i = 0; i < 100; i++) assert.equal(a.next(), b.next());
  const seeds = new Set([sampleSeed(1, 'train', 0), sampleSeed(1, 'train', 1), sampleSeed(1, 'test', 0), sampleSeed(2, 'train', 0)]);
  assert.equal(seeds.size, 4);
  // Normal draws have the right moments (independent check of Box-Muller).
  const r = createRng(3);
  let s = 0, s2 = 0;
  const n = 20000;
  for (let i = 0; i < n; i++) { const v = r.normal(); s += v; s2 += v * v; }
  assert.ok(Math.abs(s / n) < 0.03 && Math.abs(s2 / n - 1) < 0.04, `mean ${s / n}, var ${s2 / n}`);
});

test('frontal neutral face is mirror-symmetric under WFLW flipPermutation (x -> W-1-x)', () => {
  const g = buildGeometry(face({ yaw: 0, pitch: 0, roll: 0 }));
  const perm = flipPermutation(WFLW98);
  assert.equal(g.landmarks.length, 98);
  for (let i = 0; i < 98; i++) {
    const q = g.landmarks[perm[i]];
    const flipped: Point = [S - 1 - q[0], q[1]];
    assert.ok(Math.abs(flipped[0] - g.landmarks[i][0]) < 1e-6 && Math.abs(flipped[1] - g.landmarks[i][1]) < 1e-6,
      `point ${i} vs flipped ${perm[i]}: ${g.landmarks[i]} vs ${flipped}`);
  }
});

test('WFLW index semantics on a frontal face', () => {
  const L = buildGeometry(face({ yaw: 0, pitch: 0, roll: 0 })).landmarks;
  const x = (i: number): number => L[i][0], y = (i: number): number => L[i][1];
  // Contour from image left (subject's right ear) through the chin (16, lowest) to image right.
  for (let i = 0; i < 32; i++) assert.ok(i < 16 ? x(i + 1) > x(i) : x(i + 1) > x(i) - 1e-9, `contour x not increasing at ${i}`);
  for (let i = 0; i <= 32; i++) assert.ok(y(16) >= y(i) - 1e-9, `chin 16 is not the lowest contour point (vs ${i})`);
  // Eye corners: 60 outer-right-eye < 64 inner < 68 inner-left-eye < 72 outer; pupils inside their eyes.
  assert.ok(x(60) < x(64) && x(64) < x(68) && x(68) < x(72));
  assert.ok(pointInPolygon(L[96], [60, 61, 62, 63, 64, 65, 66, 67].map((i) => L[i])));
  assert.ok(pointInPolygon(L[97], [68, 69, 70, 71, 72, 73, 74, 75].map((i) => L[i])));
  // Upper lids above lower lids.
  assert.ok(y(62) < y(66) && y(70) < y(74));
  // Brows above the eyes; right brow on the image left; brow outer ends 33 / 46.
  assert.ok(Math.max(...[33, 34, 35, 36, 37].map(y)) < Math.min(y(61), y(62), y(63)));
  assert.ok(x(33) < x(37) && x(42) < x(46) && x(37) < x(42));
  // Nose bridge runs down to the tip 54; base 55..59 left to right below it; mouth below the nose.
  for (let i = 51; i < 54; i++) assert.ok(y(i + 1) > y(i));
  for (let i = 55; i < 59; i++) assert.ok(x(i + 1) > x(i));
  assert.ok(y(79) > y(57) && x(76) < x(82) && y(85) > y(79) && x(88) < x(92));
  assert.ok(Math.abs(x(54) - (S - 1) / 2) < 1e-6 && Math.abs(x(16) - (S - 1) / 2) < 1e-6);
});

test('jaw contour follows the visible silhouette under yaw (independent dense support check)', () => {
  for (const pose of [{ yaw: 50, pitch: 10, roll: 15 }, { yaw: -60, pitch: -20, roll: 0 }, { yaw: 25, pitch: 25, roll: -20 }]) {
    const p = face(pose);
    const g = buildGeometry(p);
    const L = g.landmarks;
    // Rebuild the pixel placement from the geometry: a dense, finer sampling of the same mask, same pose.
    const R = rotationMatrix(p.pose);
    const dense = maskSurface(p.identity, p.expression, 240, 121).pts.map((v) => project(v, R, p.camera));
    // Pixel transform = similarity fitted on two landmarks whose 3-D source is known exactly (nose tip 54, pupil 96).
    const { landmarks3d } = require('../src/data/synthetic/template') as typeof import('../src/data/synthetic/template');
    const P3 = landmarks3d(p.identity, p.expression);
    const a = project(P3[54], R, p.camera), b = project(P3[96], R, p.camera);
    const k = Math.hypot(L[96][0] - L[54][0], L[96][1] - L[54][1]) / Math.hypot(b[0] - a[0], b[1] - a[1]);
    const toPx = (q: Point): Point => [L[54][0] + k * (q[0] - a[0]), L[54][1] + k * (q[1] - a[1])];
    const densePx = dense.map(toPx);
    const outline = convexHullIndices(densePx).map((j) => densePx[j]);
    const iod = interOcular(L);
    const centre = L[57];
    for (let i = 0; i <= 32; i++) {
      const c = L[i], t = g.tangents[i];
      let n: Point = [-t[1], t[0]];
      if (n[0] * (c[0] - centre[0]) + n[1] * (c[1] - centre[1]) < 0) n = [-n[0], -n[1]];
      let beyond = -Infinity;
      for (const q of densePx) beyond = Math.max(beyond, n[0] * (q[0] - c[0]) + n[1] * (q[1] - c[1]));
      const nearest = distToPolygon(c, outline);
      // Nothing of the face lies outside the contour point (it is on the occluding outline) ...
      if (process.env.DEBUG_SYN) console.log(pose.yaw, i, (beyond / iod).toFixed(4), (nearest / iod).toFixed(4));
      assert.ok(beyond < 0.02 * iod, `yaw ${pose.yaw}: contour ${i}: face extends ${(beyond / iod).toFixed(3)} IOD beyond it`);
      // ... and the contour point is on the face, not floating outside it.
      assert.ok(nearest < 0.03 * iod, `yaw ${pose.yaw}: contour ${i} is ${(nearest / iod).toFixed(3)} IOD from the face outline`);
    }
    // The far-side half (yaw > 0: image right, 17..32) is foreshortened compared with the near side.
    const len = (from: number, to: number): number => { let s = 0; for (let i = from; i < to; i++) s += Math.hypot(L[i + 1][0] - L[i][0], L[i + 1][1] - L[i][1]); return s; };
    const far = pose.yaw > 0 ? len(16, 32) : len(0, 16), near = pose.yaw > 0 ? len(0, 16) : len(16, 32);
    if (Math.abs(pose.yaw) >= 45) assert.ok(far < near, `yaw ${pose.yaw}: far half ${far.toFixed(1)} px not shorter than near half ${near.toFixed(1)} px`);
  }
});

test('tangents: unit along curves, zero at corners, aligned with the point order', () => {
  const { label } = generateGeometry(cfg, 'train', 5);
  const T = label.tangents, L = label.cleanLandmarks;
  for (let i = 0; i < 98; i++) {
    const n = Math.hypot(T[i][0], T[i][1]);
    if (WFLW_CORNER_POINTS.includes(i)) assert.equal(n, 0, `corner ${i} has a tangent`);
    else assert.ok(Math.abs(n - 1) < 1e-4, `point ${i}: |t| = ${n}`);
  }
  for (let i = 1; i < 32; i++) {
    const d: Point = [L[i + 1][0] - L[i - 1][0], L[i + 1][1] - L[i - 1][1]];
    const c = (d[0] * T[i][0] + d[1] * T[i][1]) / Math.hypot(d[0], d[1]);
    assert.ok(c > 0.95, `contour ${i}: tangent deviates from the chord (cos ${c.toFixed(3)})`);
  }
  assert.deepEqual(curveTangents([[0, 0], [1, 0], [2, 0]], false), [[1, 0], [1, 0], [1, 0]]);
});

test('ambiguity: tangent/normal/corner std match sigma_t/sigma_n/sigma_c (x IOD); zero noise -> clean labels', () => {
  const { label } = generateGeometry(cfg, 'train', 11);
  const clean = label.cleanLandmarks, T = label.tangents;
  const iod = interOcular(clean);
  const amb = { sigmaTangent: 0.05, sigmaNormal: 0.01, sigmaCorner: 0.02, partScale: {}, mode: 'once' as const };
  const rng = createRng(99);
  const n = 4000;
  const acc = { t: [] as number[], n: [] as number[], cx: [] as number[], cy: [] as number[], brow: [] as number[] };
  for (let k = 0; k < n; k++) {
    const noisy = drawNoisyLabels(clean, T, amb, rng);
    const d = (i: number): Point => [noisy[i][0] - clean[i][0], noisy[i][1] - clean[i][1]];
    const e = d(8), t = T[8];
    acc.t.push(e[0] * t[0] + e[1] * t[1]);
    acc.n.push(-e[0] * t[1] + e[1] * t[0]);
    acc.cx.push(d(60)[0]);
    acc.cy.push(d(60)[1]);
    const eb = d(35);
    acc.brow.push(eb[0] * T[35][0] + eb[1] * T[35][1]);
  }
  const std = (a: number[]): number => { const m = a.reduce((s, v) => s + v, 0) / a.length; return Math.sqrt(a.reduce((s, v) => s + (v - m) ** 2, 0) / (a.length - 1)); };
  // Sampling error of a std with n = 4000 is ~1.1 %; 5 % is > 4 standard errors.
  const close = (got: number, want: number, what: string): void => assert.ok(Math.abs(got / want - 1) < 0.05, `${what}: std ${got.toFixed(4)} vs ${want.toFixed(4)}`);
  close(std(acc.t), 0.05 * iod, 'contour tangent');
  close(std(acc.n), 0.01 * iod, 'contour normal');
  close(std(acc.cx), 0.02 * iod, 'corner x');
  close(std(acc.cy), 0.02 * iod, 'corner y');
  close(std(acc.brow), 0.05 * iod, 'brow tangent');
  const zero = resolveSyntheticConfig({ imageSize: S, ambiguity: { sigmaTangent: 0, sigmaNormal: 0, sigmaCorner: 0 } });
  const z = generateGeometry(zero, 'test', 3).label;
  assert.deepEqual(z.landmarks, z.cleanLandmarks);
  const noisy = generateGeometry(cfg, 'test', 3).label;
  assert.notDeepEqual(noisy.landmarks, noisy.cleanLandmarks);
  assert.deepEqual(noisy.cleanLandmarks, z.cleanLandmarks, 'the noise level must not change the clean geometry');
});

test('attribute flags follow the stated thresholds', () => {
  const lm = buildGeometry(face({ yaw: 0, pitch: 0, roll: 0 })).landmarks;
  const base = face({ yaw: 10, pitch: 0, roll: 0 }, { makeup: null, occluders: [], blurSigma: 0, light: { azimuth: 0, strength: 0.2, gain: 1, gamma: 1, cast: [0, 0, 0] } });
  const flags = (p: FaceParams): Record<string, boolean> => attributeFlags(p, lm, [], S);
  assert.deepEqual(Object.values(flags(base)), [false, false, false, false, false, false]);
  assert.equal(flags({ ...base, pose: { yaw: 40, pitch: 0, roll: 0 } }).largepose, true);
  assert.equal(flags({ ...base, expression: { ...base.expression, mouthOpen: 0.5 } }).expression, true);
  assert.equal(flags({ ...base, light: { ...base.light, gain: 0.5 } }).illumination, true);
  assert.equal(flags({ ...base, blurSigma: 1.5 }).blur, true);
  const box: Point[] = [[0, 0], [S, 0], [S, S], [0, S]];
  assert.equal(attributeFlags(base, lm, [box], S).occlusion, true);
});

test('same seed -> byte-identical image and labels; different index or seed -> different', async () => {
  const a = await generateSample(cfg, 'train', 2);
  const b = await generateSample(cfg, 'train', 2);
  assert.equal(a.rgb.length, S * S * 3);
  assert.ok(Buffer.from(a.rgb).equals(Buffer.from(b.rgb)));
  assert.deepEqual(a.label, b.label);
  const c = await generateSample(cfg, 'train', 3);
  assert.ok(!Buffer.from(a.rgb).equals(Buffer.from(c.rgb)));
  const d = await generateSample(resolveSyntheticConfig({ imageSize: S, seed: 2 }), 'train', 2);
  assert.notDeepEqual(a.label.cleanLandmarks, d.label.cleanLandmarks);
  // Labels sit inside the image and the official box is centred on the face.
  for (const [x, y] of a.label.cleanLandmarks) assert.ok(x > 0 && x < S - 1 && y > 0 && y < S - 1);
  assert.ok(Math.abs(a.label.box.scale * 200 / S - 0.62) < 0.07);
});

test('config: defaults, validation errors name the field, hash ignores key order and sees every change', () => {
  assert.throws(() => resolveSyntheticConfig({ imageSize: 7 }), /SyntheticConfig\.imageSize/);
  assert.throws(() => resolveSyntheticConfig({ ambiguity: { sigmaTangent: -1 } }), /ambiguity\.sigmaTangent/);
  assert.throws(() => resolveSyntheticConfig({ bogus: 1 } as never), /SyntheticConfig\.bogus: unknown field/);
  const h = syntheticConfigHash(resolveSyntheticConfig({ seed: 3, imageSize: 128 }));
  assert.equal(h, syntheticConfigHash(resolveSyntheticConfig({ imageSize: 128, seed: 3 })));
  assert.notEqual(h, syntheticConfigHash(resolveSyntheticConfig({ seed: 3, imageSize: 128, ambiguity: { sigmaTangent: 0.031 } })));
  assert.notEqual(h, syntheticConfigHash(resolveSyntheticConfig({ seed: 3, imageSize: 128, counts: { train: 5 } })));
  assert.notEqual(h, syntheticConfigHash(resolveSyntheticConfig({ seed: 3, imageSize: 256 })));
});

test('convex hull: every input point lies inside or on the hull, vertices are input points (brute-force check)', () => {
  const r = createRng(12);
  for (let trial = 0; trial < 5; trial++) {
    const pts: Point[] = Array.from({ length: 400 }, (): Point => {
      const a = r.uniform(0, 2 * Math.PI), rad = Math.sqrt(r.next()) * (trial % 2 ? 1 : r.uniform(0.5, 3));
      return [rad * Math.cos(a) * 3, rad * Math.sin(a)];
    });
    const h = convexHullIndices(pts).map((i) => pts[i]);
    for (const p of pts) {
      for (let k = 0; k < h.length; k++) {
        const a = h[k], b = h[(k + 1) % h.length];
        assert.ok((b[0] - a[0]) * (p[1] - a[1]) - (b[1] - a[1]) * (p[0] - a[0]) >= -1e-12, 'point outside the hull');
      }
    }
    // Brute force: a point is a hull vertex iff some direction makes it the unique maximiser; check a dense fan.
    const extreme = new Set<number>();
    for (let d = 0; d < 3600; d++) {
      const th = (2 * Math.PI * d) / 3600;
      let best = 0;
      for (let i = 1; i < pts.length; i++) if (Math.cos(th) * pts[i][0] + Math.sin(th) * pts[i][1] > Math.cos(th) * pts[best][0] + Math.sin(th) * pts[best][1]) best = i;
      extreme.add(best);
    }
    const got = new Set(convexHullIndices(pts));
    for (const e of extreme) assert.ok(got.has(e), `extreme point ${e} missing from the hull`);
  }
});
