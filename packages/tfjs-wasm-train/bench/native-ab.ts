/**
 * Prototype measurement for issue #7: native BLAS (OpenBLAS cblas_sgemm through a 60-line N-API addon,
 * bench/native/sgemm.cc) against wasm XNNPACK on the matrix products a training step is made of. The addon reads
 * the wasm backend's heap in place (Float32Array views), so a native route would need no copies. Not wired into the
 * backend: this only answers "is it worth it". Needs g++, /usr/include/node (Node headers) and libopenblas-dev.
 *   node --import tsx bench/native-ab.ts            (builds the addon into the OS temp folder first)
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../src/backend';

type Sgemm = (ta: boolean, tb: boolean, M: number, N: number, K: number, alpha: number, A: Float32Array, B: Float32Array,
  beta: number, C: Float32Array, threads: number) => void;

function buildAddon(): Sgemm {
  const out = path.join(os.tmpdir(), 'tfjs-wasm-train-bench', 'sgemm.node');
  const src = path.join(__dirname, 'native', 'sgemm.cc');
  if (!fs.existsSync(out) || fs.statSync(out).mtimeMs < fs.statSync(src).mtimeMs) {
    fs.mkdirSync(path.dirname(out), { recursive: true });
    execFileSync('g++', ['-O2', '-shared', '-fPIC', '-I/usr/include/node', src, '-lopenblas', '-o', out], { stdio: 'inherit' });
  }
  return (require(out) as { sgemm: Sgemm }).sgemm;
}

const best = (f: () => void, reps = 9) => {
  f();
  let m = Infinity;
  for (let i = 0; i < reps; i++) { const t0 = performance.now(); f(); m = Math.min(m, performance.now() - t0); }
  return m;
};

async function main(): Promise<void> {
  const sgemm = buildAddon();
  await initBackend({ backend: 'wasm-single', quiet: true });
  const backend = tf.backend() as unknown as { typedArrayFromHeap(t: tf.TensorInfo): Float32Array };
  console.log('shape (what)                               wasm ms   OpenBLAS 1t ms   OpenBLAS 2t ms   GFLOP');
  const cases: Array<[string, number, number, number]> = [
    ['1x1 filter grad [8,32,32,64]->64 (Cin x P x Cout)', 64, 64, 8 * 32 * 32],
    ['1x1 filter grad [8,64,64,32]->64', 32, 64, 8 * 64 * 64],
    ['3x3 conv as im2col GEMM [8,32,32,32]->32 (P x 9Cin x Cout)', 8 * 32 * 32, 32, 9 * 32],
    ['3x3 conv as im2col GEMM [8,64,64,32]->32', 8 * 64 * 64, 32, 9 * 32],
    ['1x1 conv [8,32,32,64]->64 (P x Cin x Cout)', 8 * 32 * 32, 64, 64],
  ];
  for (const [name, M, N, K] of cases) {
    // wasm: the product as our kernels run it (left operand already row-major [M,K], right [K,N]).
    const a = tf.randomUniform([1, M, K]) as tf.Tensor3D;
    const b = tf.randomUniform([1, K, N]) as tf.Tensor3D;
    const wasmMs = best(() => { const c = tf.matMul(a, b); c.dataSync(); c.dispose(); });
    const c = tf.zeros([M, N]);
    const av = backend.typedArrayFromHeap(a);
    const bv = backend.typedArrayFromHeap(b);
    const cv = backend.typedArrayFromHeap(c);
    const n1 = best(() => sgemm(false, false, M, N, K, 1, av, bv, 0, cv, 1));
    const n2 = best(() => sgemm(false, false, M, N, K, 1, av, bv, 0, cv, 2));
    // Same numbers? (float32, different summation order.)
    const ref = tf.matMul(a, b);
    const rv = ref.dataSync();
    let err = 0;
    for (let i = 0; i < rv.length; i++) err = Math.max(err, Math.abs(rv[i] - cv[i]) / Math.max(1, Math.abs(rv[i])));
    console.log(`${name.padEnd(60)} ${wasmMs.toFixed(2).padStart(7)} ${n1.toFixed(2).padStart(14)} ${n2.toFixed(2).padStart(16)}   ${(2 * M * N * K / 1e9).toFixed(3)}   (max rel diff ${err.toExponential(1)})`);
    tf.dispose([a, b, c, ref]);
  }
}

main().catch((e) => { console.error(e instanceof Error ? e.stack : e); process.exit(1); });
