/**
 * Accuracy of backward-weights against a float64 reference (plain loops), ours vs oneDNN (`any` and hwio weights),
 * on three layers: error = max |Δ| / max |ref| and the RMS of Δ / RMS of ref.
 *   OPENBLAS_CORETYPE=Haswell node --import tsx accuracy.ts [--isa avx2]   (in this folder)
 */
import * as path from 'path';
import * as tf from '@tensorflow/tfjs-core';
import { nativeKernels, packConvDims } from '../../src/native-addon';

const ia = process.argv.indexOf('--isa');
// eslint-disable-next-line @typescript-eslint/no-var-requires
const dn = require(path.join(__dirname, 'build', 'dnnl_conv.node'));
if (ia > 0) dn.setMaxIsa(process.argv[ia + 1]);
const ours = nativeKernels().kernels!;
ours.setThreads(1);
dn.setThreads(1);
let seed = 7;
const rand = (n: number, s = 1) => { const a = new Float32Array(n); for (let i = 0; i < n; i++) { seed = (seed * 1103515245 + 12345) >>> 0; a[i] = ((seed / 2 ** 32) * 2 - 1) * s; } return a; };
const layers: [number[], number[], number][] = [[[8, 128, 128, 3], [7, 7, 3, 16], 2], [[8, 64, 64, 16], [3, 3, 16, 16], 1], [[8, 64, 64, 16], [1, 1, 16, 32], 1]];
console.log(`oneDNN effective ISA ${dn.effectiveIsa()}`);
for (const [xs, fs, s] of layers) {
  const info = tf.backend_util.computeConv2DInfo(xs as [number, number, number, number], fs as [number, number, number, number], s, 1, 'same', undefined, false, 'channelsLast');
  const d = packConvDims({ B: info.batchSize, H: info.inHeight, W: info.inWidth, Cin: info.inChannels, kh: info.filterHeight, kw: info.filterWidth,
    Cout: info.outChannels, sh: info.strideHeight, sw: info.strideWidth, dh: 1, dw: 1, pt: info.padInfo.top, pl: info.padInfo.left, oh: info.outHeight, ow: info.outWidth });
  const [B, H, W, Cin] = xs, [kh, kw, , Cout] = fs, oh = info.outHeight, ow = info.outWidth;
  const x = rand(B * H * W * Cin), dy = rand(B * oh * ow * Cout);
  // float64 reference dW[r,q,ci,co] = Σ_b,oy,ox x[b, oy·s − pt + r, ox·s − pl + q, ci] · dy[b, oy, ox, co]
  const ref = new Float64Array(kh * kw * Cin * Cout);
  for (let b = 0; b < B; b++) for (let oy = 0; oy < oh; oy++) for (let ox = 0; ox < ow; ox++) {
    const g = (b * oh + oy) * ow + ox;
    for (let r = 0; r < kh; r++) {
      const iy = oy * s - info.padInfo.top + r;
      if (iy < 0 || iy >= H) continue;
      for (let q = 0; q < kw; q++) {
        const ix = ox * s - info.padInfo.left + q;
        if (ix < 0 || ix >= W) continue;
        const xo = ((b * H + iy) * W + ix) * Cin;
        for (let ci = 0; ci < Cin; ci++) {
          const xv = x[xo + ci];
          const ro = ((r * kw + q) * Cin + ci) * Cout;
          for (let co = 0; co < Cout; co++) ref[ro + co] += xv * dy[g * Cout + co];
        }
      }
    }
  }
  const err = (got: Float32Array) => {
    let m = 0, dmax = 0, s2 = 0, r2 = 0;
    for (let i = 0; i < ref.length; i++) { m = Math.max(m, Math.abs(ref[i])); const e = got[i] - ref[i]; dmax = Math.max(dmax, Math.abs(e)); s2 += e * e; r2 += ref[i] * ref[i]; }
    return `max ${(dmax / m).toExponential(2)} rms ${Math.sqrt(s2 / r2).toExponential(2)}`;
  };
  const o = new Float32Array(ref.length), a = new Float32Array(ref.length), h = new Float32Array(ref.length), db = new Float32Array(Cout);
  ours.conv2dBackpropFilter(x, dy, o, d);
  dn.backwardWeights(dn.create(d, 1), x, dy, a, db);
  dn.backwardWeights(dn.create(d, 0), x, dy, h, db);
  console.log(`[${xs}] ${kh}x${kw} s${s} -> ${Cout} bwd-weights vs float64: ours ${err(o)} | oneDNN any ${err(a)} | oneDNN hwio ${err(h)}`);
}
