/**
 * A/B of training-mode batch norm + ReLU on wasm (one process, alternating): the tf-ops composition (tf.moments +
 * tf.batchNorm4d + tf.relu), the fused op src/ops/batch-norm.ts followed by tf.relu, and the fused op with the
 * ReLU inside (what a conv → BN → ReLU block uses). Forward + backward (w.r.t. x, γ, β) of
 * sum(relu(BN(x))·w), min and median ms of 15; native or JS loops as the backend line says (TFJS_WASM_TRAIN_NATIVE=0 for JS).
 *   node --import tsx bench/bn-ab.ts
 */
import * as tf from '@tensorflow/tfjs-core';
import { initBackend, formatBackendInfo } from '../src/backend';
import { batchNormTrain } from '../src/ops/batch-norm';

async function main(): Promise<void> {
  console.log(formatBackendInfo(await initBackend({ backend: 'wasm-single', quiet: true })));
  console.log('shape         min/median ms: tf-ops composition | fused BN, then tf.relu | fused BN+ReLU');
  for (const shape of [[8, 64, 64, 64], [8, 32, 32, 64], [8, 16, 16, 32], [8, 4, 4, 64]] as Array<[number, number, number, number]>) {
    const C = shape[3];
    const x = tf.randomUniform(shape, -1, 2) as tf.Tensor4D;
    const w = tf.randomUniform(shape) as tf.Tensor4D;
    const gamma = tf.variable(tf.ones([C]));
    const beta = tf.variable(tf.zeros([C]));
    const variants = {
      composition: () => {
        const { mean, variance } = tf.moments(x, [0, 1, 2]);
        return tf.relu(tf.batchNorm4d(x, mean as tf.Tensor1D, variance as tf.Tensor1D, beta as tf.Tensor1D, gamma as tf.Tensor1D, 1e-5));
      },
      fused: () => tf.relu(batchNormTrain(x, gamma as tf.Tensor1D, beta as tf.Tensor1D, 1e-5).y),
      'fused+relu': () => batchNormTrain(x, gamma as tf.Tensor1D, beta as tf.Tensor1D, 1e-5, { relu: true }).y,
    };
    const ts: Record<string, number[]> = { composition: [], fused: [], 'fused+relu': [] };
    for (let r = 0; r < 17; r++) {
      for (const [k, f] of Object.entries(variants)) {
        const t0 = performance.now();
        const [gx, gg, gb] = tf.grads((a: tf.Tensor, g: tf.Tensor, b: tf.Tensor) => {
          void g; void b;
          return tf.sum(tf.mul(f(), w));
        })([x, gamma, beta]);
        gx.dataSync();
        tf.dispose([gx, gg, gb]);
        if (r >= 2) ts[k].push(performance.now() - t0);
      }
    }
    const line = Object.entries(ts).map(([k, v]) => {
      v.sort((a, b) => a - b);
      return `${k} ${v[0].toFixed(2)}/${v[v.length >> 1].toFixed(2)} ms`;
    }).join('   ');
    console.log(`[${shape}]  ${line}`);
    tf.dispose([x, w, gamma, beta]);
  }
}

main().catch((e) => { console.error(e instanceof Error ? e.stack : e); process.exit(1); });
