import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../src/backend';
import { nativeKernels } from '../src/backend/native-addon';
import { buildBenchModel } from './nets';
import { makeStepper } from './step';
async function main() {
  await initBackend({ quiet: true, backend: (process.env.THR_BACKEND ?? 'wasm-single') as 'wasm-single', threads: Number(process.env.THR_N ?? 1) });
  const nk = nativeKernels().kernels!;
  const id = process.argv[2] ?? 'hg-cpu-tiny';
  const model = buildBenchModel(id);
  const x = tf.randomUniform([8, model.inputSize, model.inputSize, 3], -1, 1, 'float32', 2) as tf.Tensor4D;
  const y = tf.randomUniform([8, model.heatmapSize, model.heatmapSize, model.numPoints], 0, 1, 'float32', 3) as tf.Tensor4D;
  const s = makeStepper(model, { adam: 'trainer' });
  for (let i = 0; i < 3; i++) await s.step(x, y);
  const t: Record<number, number[]> = { 1: [], 2: [] };
  for (let r = 0; r < 3; r++) for (const k of [1, 2]) { nk.setThreads(k); await s.step(x, y); for (let j = 0; j < 6; j++) { const t0 = performance.now(); await s.step(x, y); t[k].push(performance.now() - t0); } }
  const med = (a: number[]) => a.sort((p, q) => p - q)[a.length >> 1];
  console.log(id, 'blas1', med(t[1]).toFixed(1), 'blas2', med(t[2]).toFixed(1));
}
main();
