/**
 * The one decode module (src/geometry/decode.ts) and its users: the codec's host and tensor decoders and the loss's
 * decodeMean compute one soft-argmax formula (bit for bit where summation order cannot matter, to float32 rounding
 * elsewhere), on the cpu and wasm backends; the host decoders on non-square maps.
 */
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend, withBackend } from 'tfjs-wasm-train';
import { createCodec } from '../src/data/codec';
import { COFW29 } from '../src/data/schemes';
import { decodeHeatmapsHost, softArgmax } from '../src/geometry/decode';
import { decodeMean } from '../src/loss/baselines';

before(async () => {
  await initBackend({ backend: 'wasm-single', quiet: true });
});

function rng(seed: number) {
  let s = seed >>> 0;
  return () => { s = (s * 1664525 + 1013904223) >>> 0; return s / 2 ** 32; };
}

/**
 * Random 5×5 maps [B, 5, 5, N] of multiples of 1/8 (channel 0 of item 0 empty): on the 5-point grid
 * (−1, −0.5, 0, 0.5, 1) every sum is exact in float32, so decoders that differ only in summation order must give the
 * correctly rounded quotient, bit for bit, and any other difference (grid, clamp, axes, normaliser, rounding of the
 * division) shows. With `powerOfTwoMass` the quotients and the codecs' crop-pixel maps are exact too.
 */
function exactMaps(seed: number, B: number, N: number, powerOfTwoMass: boolean): Float32Array {
  const r = rng(seed);
  const h = new Float32Array(B * 25 * N);
  for (let b = 0; b < B; b++) {
    for (let n = 0; n < N; n++) {
      if (b === 0 && n === 0) continue;
      const v = Array.from({ length: 25 }, () => Math.floor(r() * 4));
      const sum = v.reduce((a, c) => a + c, 0);
      v[Math.floor(r() * 25)] += powerOfTwoMass ? 2 ** Math.ceil(Math.log2(sum + 1)) - sum : 1;
      v.forEach((k, p) => { h[(b * 25 + p) * N + n] = k / 8; });
    }
  }
  return h;
}

test('one soft-argmax: the decode module\'s host and tensor paths and the loss\'s decodeMean give identical bits on exact-sum random maps', async () => {
  const [B, N] = [3, 29];
  const hm = exactMaps(3, B, N, false);
  const host = Array.from(Float32Array.from(decodeHeatmapsHost(hm, 5, 5, N, 'soft-argmax')));
  for (const backend of ['cpu', 'wasm']) {
    await withBackend(backend, () => {
      const t = tf.tensor4d(hm, [B, 5, 5, N]);
      const dev = softArgmax(t);
      const m = decodeMean(t);
      const [x, y] = [m.x.dataSync(), m.y.dataSync()];
      assert.deepEqual(Array.from(dev.dataSync()), host, `${backend}: softArgmax vs decodeHeatmapsHost`);
      assert.deepEqual(Array.from({ length: 2 * B * N }, (_, i) => (i & 1 ? y : x)[i >> 1]), host, `${backend}: decodeMean vs decodeHeatmapsHost`);
      tf.dispose([t, dev, m.x, m.y, m.valid]);
    });
  }
});

test('the codec\'s host and tensor decoders and the loss\'s decodeMean give identical bits in crop pixels (exact random maps)', async () => {
  const [B, N] = [3, COFW29.numPoints];
  const hm = exactMaps(5, B, N, true);
  for (const convention of ['consistent', 'official'] as const) {
    const codec = createCodec(COFW29, { inputSize: 20, heatmapSize: 5, convention });
    const host = Array.from(codec.decode(hm));
    for (const backend of ['cpu', 'wasm']) {
      await withBackend(backend, () => {
        const t = tf.tensor4d(hm, [B, 5, 5, N]);
        const dev = codec.decodeTensor(t);
        const m = decodeMean(t);
        const [x, y] = [m.x.dataSync(), m.y.dataSync()];
        const mean = Array.from(Float32Array.from({ length: 2 * B * N }, (_, i) => codec.targetToCrop((i & 1 ? y : x)[i >> 1])));
        assert.deepEqual(Array.from(dev.dataSync()), host, `${convention}, ${backend}: codec.decodeTensor vs codec.decode`);
        assert.deepEqual(mean, host, `${convention}, ${backend}: decodeMean vs codec.decode`);
        tf.dispose([t, dev, m.x, m.y, m.valid]);
      });
    }
  }
});

test('on a general random map the three soft-argmax paths agree to float32 rounding (their summation orders differ)', async () => {
  const [B, H, W, N] = [2, 16, 12, 7];
  const r = rng(9);
  const hm = Float32Array.from({ length: B * H * W * N }, () => r() ** 4);
  const host = decodeHeatmapsHost(hm, H, W, N, 'soft-argmax');
  for (const backend of ['cpu', 'wasm']) {
    await withBackend(backend, () => {
      const t = tf.tensor4d(hm, [B, H, W, N]);
      const dev = softArgmax(t);
      const m = decodeMean(t);
      const [d, x, y] = [dev.dataSync(), m.x.dataSync(), m.y.dataSync()];
      for (let i = 0; i < B * N; i++) {
        for (const [k, v] of [[0, x[i]], [1, y[i]]] as const) {
          assert.ok(Math.abs(d[2 * i + k] - host[2 * i + k]) < 5e-7, `${backend}: softArgmax ${d[2 * i + k]} vs host ${host[2 * i + k]}`);
          assert.ok(Math.abs(v - host[2 * i + k]) < 5e-7, `${backend}: decodeMean ${v} vs host ${host[2 * i + k]}`);
        }
      }
      tf.dispose([t, dev, m.x, m.y, m.valid]);
    });
  }
});

test('host decoders on a non-square map: x along W, y along H; argmax-subpixel recovers a Gaussian peak', () => {
  const [H, W] = [9, 14];
  const [u, v] = [9.3, 2.6]; // heatmap px (x, y)
  const hm = new Float32Array(H * W);
  for (let y = 0; y < H; y++) for (let x = 0; x < W; x++) hm[y * W + x] = Math.exp(-((x - u) ** 2 + (y - v) ** 2) / 2);
  const [gx, gy] = decodeHeatmapsHost(hm, H, W, 1, 'argmax-subpixel');
  assert.ok(Math.abs(gx - ((2 * u) / (W - 1) - 1)) < 1e-6, `x ${gx}`);
  assert.ok(Math.abs(gy - ((2 * v) / (H - 1) - 1)) < 1e-6, `y ${gy}`);
  const [sx, sy] = decodeHeatmapsHost(hm, H, W, 1, 'soft-argmax');
  assert.ok(Math.abs(sx - gx) < 0.01 && Math.abs(sy - gy) < 0.02, `soft-argmax (${sx}, ${sy}) vs (${gx}, ${gy})`);
  assert.throws(() => decodeHeatmapsHost(hm.subarray(1), H, W, 1, 'soft-argmax'), /not a multiple of H·W·N = 9·14·1/);
});
