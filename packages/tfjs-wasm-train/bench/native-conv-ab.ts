/**
 * Issue #7: native conv kernels (OpenBLAS im2col + sgemm, native/tfjs_wasm_train.cc) against the wasm ones
 * (stock XNNPACK Conv2D forward, our src/kernels gradients) on hourglass layer shapes, in one process,
 * alternating, min of REPS. Also the max relative difference between the two (float32, different summation order).
 *   npm run build:native && node --import tsx bench/native-conv-ab.ts      (TFJS_WASM_TRAIN_BACKEND=wasm-single|wasm, REPS=15)
 */
import * as tf from '@tensorflow/tfjs-core';
import { formatBackendInfo, initBackend, type BackendChoice } from '../src/backend';
import { nativeKernels, packConvDims } from '../src/native-addon';
import { registerWasmTrainingKernels } from '../src/kernels/register';
import { readEnv } from '../src/env';

const REPS = Number(process.env.REPS ?? 15);
type Heap = { typedArrayFromHeap(t: tf.TensorInfo): Float32Array };

function minMs(f: () => void): number {
  f();
  let m = Infinity;
  for (let i = 0; i < REPS; i++) { const t0 = performance.now(); f(); m = Math.min(m, performance.now() - t0); }
  return m;
}
const rel = (a: Float32Array, b: Float32Array) => {
  let e = 0, s = 0;
  for (let i = 0; i < a.length; i++) { e = Math.max(e, Math.abs(a[i] - b[i])); s = Math.max(s, Math.abs(b[i])); }
  return e / (s || 1);
};

async function main() {
  const info = await initBackend({ backend: (readEnv('backend')?.value ?? 'wasm-single') as BackendChoice, quiet: true });
  console.log(formatBackendInfo(info));
  const nat = nativeKernels().kernels;
  if (!nat) throw new Error(`native kernels unavailable: ${nativeKernels().reason}`);
  nat.setThreads(info.threads);
  // The tf.* calls below must run the wasm kernels: register the set without the addon.
  registerWasmTrainingKernels('all', null);
  const heap = tf.backend() as unknown as Heap;
  const cases: Array<[string, number[], number, number, number]> = [
    ['stem 7x7/2 [8,64,64,3]->16', [8, 64, 64, 3], 7, 2, 16],
    ['3x3 [8,32,32,16]->32', [8, 32, 32, 16], 3, 1, 32],
    ['3x3 [8,16,16,32]->32', [8, 16, 16, 32], 3, 1, 32],
    ['1x1 [8,16,16,32]->32', [8, 16, 16, 32], 1, 1, 32],
    ['3x3 [8,8,8,32]->32', [8, 8, 8, 32], 3, 1, 32],
    ['3x3 [8,32,32,64]->64 (cpu-small)', [8, 32, 32, 64], 3, 1, 64],
    ['1x1 [8,32,32,64]->64 (cpu-small)', [8, 32, 32, 64], 1, 1, 64],
  ];
  console.log('layer                                 | fwd wasm / native ms | dFilter wasm / native | dInput wasm / native | max rel diff');
  for (const [name, xs, k, s, cout] of cases) {
    const [B, H, W, C] = xs;
    const x = tf.randomNormal(xs as [number, number, number, number], 0, 1, 'float32', 1) as tf.Tensor4D;
    const f = tf.randomNormal([k, k, C, cout], 0, 0.1, 'float32', 2) as tf.Tensor4D;
    const y = tf.conv2d(x, f, s, 'same');
    const [, oh, ow] = y.shape;
    const pad = tf.backend_util.computeConv2DInfo(xs as [number, number, number, number], [k, k, C, cout] as [number, number, number, number], s, 1, 'same').padInfo;
    const dims = packConvDims({ B, H, W, Cin: C, kh: k, kw: k, Cout: cout, sh: s, sw: s, dh: 1, dw: 1, pt: pad.top, pl: pad.left, oh, ow });
    const dy = tf.randomNormal(y.shape, 0, 1, 'float32', 3) as tf.Tensor4D;
    const yN = tf.zerosLike(y), dfN = tf.zerosLike(f), dxN = tf.zerosLike(x);
    const wasmF = minMs(() => { const t = tf.conv2d(x, f, s, 'same'); t.dataSync(); t.dispose(); });
    const natF = minMs(() => nat.conv2dForward(heap.typedArrayFromHeap(x), heap.typedArrayFromHeap(f), heap.typedArrayFromHeap(yN), dims));
    const dF = () => tf.engine().runKernel(tf.Conv2DBackpropFilter, { x, dy }, { strides: [s, s], pad: 'same', dataFormat: 'NHWC', dimRoundingMode: undefined as unknown as string, filterShape: f.shape }) as tf.Tensor;
    const wasmDF = minMs(() => { const t = dF(); t.dataSync(); t.dispose(); });
    const natDF = minMs(() => nat.conv2dBackpropFilter(heap.typedArrayFromHeap(x), heap.typedArrayFromHeap(dy), heap.typedArrayFromHeap(dfN), dims));
    const wasmDX = minMs(() => { const t = tf.conv2dTranspose(dy, f, x.shape, s, 'same'); t.dataSync(); t.dispose(); });
    const natDX = minMs(() => nat.conv2dBackpropInput(heap.typedArrayFromHeap(dy), heap.typedArrayFromHeap(f), heap.typedArrayFromHeap(dxN), dims));
    const refDF = dF();
    const refDX = tf.conv2dTranspose(dy, f, x.shape as [number, number, number, number], s, 'same');
    const d = Math.max(rel(yN.dataSync() as Float32Array, y.dataSync() as Float32Array), rel(dfN.dataSync() as Float32Array, refDF.dataSync() as Float32Array), rel(dxN.dataSync() as Float32Array, refDX.dataSync() as Float32Array));
    console.log(`${name.padEnd(37)} | ${wasmF.toFixed(2).padStart(6)} / ${natF.toFixed(2).padStart(6)}     | ${wasmDF.toFixed(2).padStart(6)} / ${natDF.toFixed(2).padStart(6)}  | ${wasmDX.toFixed(2).padStart(6)} / ${natDX.toFixed(2).padStart(6)} | ${d.toExponential(1)}`);
    tf.dispose([x, f, y, dy, yN, dfN, dxN, refDF, refDX]);
  }
}
main().catch((e) => { console.error(e); process.exit(1); });
