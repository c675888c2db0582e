/**
 * A/B of our wasm kernel sets inside one process (robust to a shared CPU): alternate training steps with the set
 * 'conv' (the first helper's kernels: conv/pool gradients only) and 'all' (plus Tile, Identity, Sum/Mean, lean
 * batch-norm gradient, 1x1 filter gradient as matmul) on the same model and batch; min and median ms per step.
 *   node --import tsx bench/kernels-ab.ts [hg-cpu-small|hg-cpu-tiny|convnet] [--rounds 6] [--threads 1]
 */
import * as tf from '@tensorflow/tfjs-core';
import { initBackend, formatBackendInfo, registerWasmTrainingKernels } from 'tfjs-wasm-train';
import { buildBenchModel } from './nets';
import { makeStepper } from './step';

async function main(): Promise<void> {
  const id = process.argv[2] && !process.argv[2].startsWith('--') ? process.argv[2] : 'hg-cpu-small';
  const num = (name: string, d: number) => { const i = process.argv.indexOf(`--${name}`); return i > 0 ? Number(process.argv[i + 1]) : d; };
  const rounds = num('rounds', 6);
  const threads = num('threads', 1);
  console.log(formatBackendInfo(await initBackend({ backend: threads > 1 ? 'wasm-threaded' : 'wasm-single', threads, quiet: true })));
  const model = buildBenchModel(id);
  const x = tf.randomUniform([8, model.inputSize, model.inputSize, 3], -1, 1, 'float32', 1) as tf.Tensor4D;
  const y = tf.randomUniform([8, model.heatmapSize, model.heatmapSize, model.numPoints], 0, 1, 'float32', 2) as tf.Tensor4D;
  const s = makeStepper(model);
  const ts: Record<string, number[]> = { conv: [], all: [] };
  for (let r = 0; r < rounds + 1; r++) {
    for (const k of ['conv', 'all'] as const) {
      registerWasmTrainingKernels(k);
      const t0 = performance.now();
      await s.step(x, y);
      if (r >= 1) ts[k].push(performance.now() - t0);
    }
  }
  registerWasmTrainingKernels('all');
  for (const [k, v] of Object.entries(ts)) {
    v.sort((a, b) => a - b);
    console.log(`${id} ${threads} thread(s), kernels '${k}': min ${v[0].toFixed(0)} ms, median ${v[v.length >> 1].toFixed(0)} ms`);
  }
}

main().catch((e) => { console.error(e instanceof Error ? e.stack : e); process.exit(1); });
