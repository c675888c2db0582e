/**
 * Bit-level fingerprint of a few training steps of a bench net on the selected backend: each step's loss as float32
 * bits and a sha256 of every parameter after the last step. Two runs print the same lines exactly when the kernels
 * computed the same bits (the check that a kernel refactor left a backend's numerics alone).
 *   STAR_BACKEND=wasm node --import tsx bench/loss-bits.ts [hg-cpu-tiny] [--steps 5] [--batch 4]
 */
import { createHash } from 'node:crypto';
import * as tf from '@tensorflow/tfjs-core';
import { formatBackendSummary, initBackend } from 'tfjs-wasm-train';
import { buildBenchModel } from './nets';
import { makeStepper } from './step';

function option(name: string, fallback: number): number {
  const i = process.argv.indexOf(name);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
}

async function main(): Promise<void> {
  if (process.argv.includes('--help')) {
    console.log('STAR_BACKEND=<rung> node --import tsx bench/loss-bits.ts [net] [--steps 5] [--batch 4]: per-step loss bits and a parameter hash');
    return;
  }
  const id = process.argv[2] && !process.argv[2].startsWith('--') ? process.argv[2] : 'hg-cpu-tiny';
  const steps = option('--steps', 5);
  const B = option('--batch', 4);
  const info = await initBackend({ quiet: true });
  console.log(formatBackendSummary(info));
  const model = buildBenchModel(id);
  const stepper = makeStepper(model);
  const bits = new Uint32Array(1);
  const f = new Float32Array(bits.buffer);
  for (let k = 0; k < steps; k++) {
    const x = tf.randomUniform([B, model.inputSize, model.inputSize, 3], -1, 1, 'float32', 100 + k) as tf.Tensor4D;
    const y = tf.randomUniform([B, model.heatmapSize, model.heatmapSize, model.numPoints], 0, 1, 'float32', 200 + k) as tf.Tensor4D;
    const loss = await stepper.step(x, y);
    tf.dispose([x, y]);
    f[0] = loss;
    console.log(`step ${k + 1}: loss ${loss.toPrecision(9)} bits 0x${bits[0].toString(16).padStart(8, '0')}`);
  }
  const h = createHash('sha256');
  for (const [name, v] of [...model.params].sort(([a], [b]) => (a < b ? -1 : 1))) {
    h.update(name).update(Buffer.from((v.dataSync() as Float32Array).buffer));
  }
  console.log(`params sha256 ${h.digest('hex').slice(0, 16)} (${model.params.size} tensors), ${tf.memory().numTensors} live tensors`);
}

main().catch((e) => { console.error(e instanceof Error ? e.stack : e); process.exit(1); });
