/**
 * The native kernels' thread pool, 1 vs 2 threads, in one process (alternating blocks of steps, robust to a shared
 * CPU): one training step of a bench net as the trainer runs it (bench/step.ts), without the data loader.
 *   node --import tsx bench/native-threads-ab.ts [hg-cpu-tiny|convnet|hg-cpu-small] [--rounds 3] [--per 6]
 *   STAR_BACKEND=wasm-threaded STAR_THREADS=2 ...   # the same with a 2-thread XNNPACK pool next to the native one
 * Prints the median ms/step for each pool size.
 */
import * as tf from '@tensorflow/tfjs-core';
import { initBackend, formatBackendInfo, nativeKernels } from 'tfjs-wasm-train';
import { buildBenchModel } from './nets';
import { makeStepper } from './step';

function arg(name: string, dflt: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : dflt;
}

async function main(): Promise<void> {
  const info = await initBackend({ quiet: true, backend: (process.env.STAR_BACKEND as 'wasm' | undefined) ?? 'wasm' });
  const nk = nativeKernels().kernels;
  if (!nk) throw new Error(`native kernels unavailable: ${nativeKernels().reason}`);
  const id = process.argv[2] && !process.argv[2].startsWith('--') ? process.argv[2] : 'hg-cpu-tiny';
  const rounds = arg('rounds', 3);
  const per = arg('per', 6);
  const model = buildBenchModel(id);
  const x = tf.randomUniform([8, model.inputSize, model.inputSize, 3], -1, 1, 'float32', 2) as tf.Tensor4D;
  const y = tf.randomUniform([8, model.heatmapSize, model.heatmapSize, model.numPoints], 0, 1, 'float32', 3) as tf.Tensor4D;
  const s = makeStepper(model, { adam: 'trainer' });
  for (let i = 0; i < 3; i++) await s.step(x, y);
  const t: Record<number, number[]> = { 1: [], 2: [] };
  for (let r = 0; r < rounds; r++) {
    for (const k of [1, 2]) {
      nk.setThreads(k);
      await s.step(x, y); // the new pool's threads allocate their scratch on first use
      for (let j = 0; j < per; j++) {
        const t0 = performance.now();
        await s.step(x, y);
        t[k].push(performance.now() - t0);
      }
    }
  }
  const med = (a: number[]) => [...a].sort((p, q) => p - q)[a.length >> 1];
  console.log(formatBackendInfo(info));
  console.log(`${id} batch 8: native pool 1 thread ${med(t[1]).toFixed(1)} ms/step, 2 threads ${med(t[2]).toFixed(1)} ms/step (median of ${rounds * per})`);
}

main().catch((e) => { console.error(e instanceof Error ? e.stack : e); process.exit(1); });
