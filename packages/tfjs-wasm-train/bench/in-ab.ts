/**
 * Instance norm + ReLU, forward + input gradient: the tf-ops composition (tf.moments, sub, div, sqrt, relu) vs the
 * fused kernel (src/ops/instance-norm.ts), alternating in one process on the heatmap head's shapes; min and median
 * of REPS (default 30) per shape. TFJS_WASM_TRAIN_THREADS sets the pool; TFJS_WASM_TRAIN_NATIVE=0 the JS loops.
 *   node --import tsx bench/in-ab.ts
 */
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-core/dist/register_all_gradients';
import { initBackend, formatBackendInfo } from '../src';
import { instanceNormOps, instanceNormTrain } from '../src/ops/instance-norm';

const REPS = Number(process.env.REPS ?? 30);
const SHAPES: Array<[number, number, number, number]> = [[8, 16, 16, 98], [8, 32, 32, 98], [8, 64, 64, 98]];

(async () => {
  const info = await initBackend({ backend: 'wasm', quiet: true });
  console.log(formatBackendInfo(info));
  for (const shape of SHAPES) {
    const x = tf.randomNormal(shape, 0.3, 1.2, 'float32', 1) as tf.Tensor4D;
    const w = tf.randomNormal(shape, 0, 1, 'float32', 2) as tf.Tensor4D;
    const variants = {
      composition: (a: tf.Tensor) => instanceNormOps(a as tf.Tensor4D, 1e-5, { relu: true }),
      fused: (a: tf.Tensor) => instanceNormTrain(a as tf.Tensor4D, 1e-5, { relu: true }),
    };
    const once = (f: (a: tf.Tensor) => tf.Tensor) => {
      const t0 = performance.now();
      const { value, grads } = tf.valueAndGrads((a: tf.Tensor) => tf.sum(tf.mul(f(a), w)) as tf.Scalar)([x]);
      grads[0].dataSync();
      const ms = performance.now() - t0;
      tf.dispose([value, ...grads]);
      return ms;
    };
    const ts: Record<string, number[]> = { composition: [], fused: [] };
    for (let r = 0; r < 3; r++) for (const f of Object.values(variants)) once(f);
    for (let r = 0; r < REPS; r++) for (const [k, f] of Object.entries(variants)) ts[k].push(once(f));
    const med = (v: number[]) => [...v].sort((a, b) => a - b)[v.length >> 1];
    const row = Object.entries(ts).map(([k, v]) => `${k} ${Math.min(...v).toFixed(2)} / ${med(v).toFixed(2)} ms`).join(', ');
    console.log(`[${shape}] fwd+bwd min / median: ${row}; median ratio ${(med(ts.composition) / med(ts.fused)).toFixed(1)}x`);
    tf.dispose([x, w]);
  }
})();
