/**
 * Where a training step of the benchmark conv net spends its time, per kernel (tf.profile), on one backend.
 *   STAR_BACKEND=wasm-single node --import tsx bench/convnet-profile.ts      (or wasm-threaded, STAR_THREADS=2)
 * Our composite kernels (src/backend/kernels) call wasm's kernel functions directly, so their inner Conv2D/Transpose
 * time is counted under Conv2DBackpropFilter / Conv2DBackpropInput, and "Conv2D" is the forward pass only.
 */
import * as tf from '@tensorflow/tfjs-core';
import { formatBackendInfo, initBackend } from '../src/backend';
import { buildConvNet } from './convnet';

async function main(): Promise<void> {
  const info = await initBackend({ quiet: true });
  console.log(formatBackendInfo(info));
  const net = buildConvNet({ inputSize: 128, seed: 1 });
  const x = tf.randomUniform([8, 128, 128, 3], -1, 1, 'float32', 2) as tf.Tensor4D;
  const y = tf.randomUniform([8, 32, 32, 98], 0, 1, 'float32', 3);
  const opt = tf.train.adam(1e-3);
  const step = () => opt.minimize(() => tf.mean(tf.squaredDifference(net.forward(x), y)) as tf.Scalar, true)?.dispose();
  step();
  step();
  const p = await tf.profile(() => { step(); });
  const agg = new Map<string, number>();
  for (const k of p.kernels) agg.set(k.name, (agg.get(k.name) ?? 0) + Number(k.kernelTimeMs));
  const total = [...agg.values()].reduce((a, b) => a + b, 0);
  console.log(`kernel time in one step: ${total.toFixed(0)} ms`);
  for (const [name, ms] of [...agg].sort((a, b) => b[1] - a[1]).slice(0, 12)) {
    console.log(`  ${name.padEnd(22)} ${ms.toFixed(1).padStart(8)} ms  ${(100 * ms / total).toFixed(1).padStart(5)}%`);
  }
}

main().catch((e) => { console.error(e instanceof Error ? e.message : e); process.exit(1); });
