/**
 * A/B of the native kernels inside one process (robust to a shared CPU): alternate whole training steps with the
 * wasm kernel set and the native one (tfjs-wasm-train's addon: OpenBLAS conv + batch norm) on the same model and batch;
 * min and median ms per step for each, and the speed-up.
 *   npm run build:native && STAR_BACKEND=wasm-single node --import tsx bench/native-step-ab.ts [hg-cpu-tiny] [--rounds 10]
 */
import * as tf from '@tensorflow/tfjs-core';
import { formatBackendInfo, initBackend, registerWasmTrainingKernels, nativeKernels } from 'tfjs-wasm-train';
import { buildBenchModel } from './nets';
import { makeStepper } from './step';

async function main(): Promise<void> {
  const id = process.argv[2] && !process.argv[2].startsWith('--') ? process.argv[2] : 'hg-cpu-tiny';
  const ri = process.argv.indexOf('--rounds');
  const rounds = ri > 0 ? Number(process.argv[ri + 1]) : 10;
  console.log(formatBackendInfo(await initBackend({ quiet: true })));
  const nat = nativeKernels();
  if (!nat.kernels) throw new Error(`native kernels unavailable: ${nat.reason}`);
  const model = buildBenchModel(id);
  const B = 8;
  const x = tf.randomUniform([B, model.inputSize, model.inputSize, 3], -1, 1, 'float32', 2) as tf.Tensor4D;
  const y = tf.randomUniform([B, model.heatmapSize, model.heatmapSize, model.numPoints], 0, 1, 'float32', 3) as tf.Tensor4D;
  const stepper = makeStepper(model, { adam: 'fused' });
  const ts: Record<string, number[]> = { wasm: [], native: [] };
  for (let r = 0; r < rounds + 2; r++) {
    for (const k of ['wasm', 'native'] as const) {
      registerWasmTrainingKernels('all', k === 'native' ? nat.kernels : null);
      const t0 = performance.now();
      await stepper.step(x, y);
      if (r >= 2) ts[k].push(performance.now() - t0);
    }
  }
  const med: Record<string, number> = {};
  for (const [k, v] of Object.entries(ts)) {
    v.sort((a, b) => a - b);
    med[k] = v[v.length >> 1];
    console.log(`${id} ${k.padEnd(7)} min ${v[0].toFixed(1)} ms  median ${med[k].toFixed(1)} ms`);
  }
  console.log(`${id} native speed-up (median): ${(med.wasm / med.native).toFixed(2)}x`);
}

main().catch((e) => { console.error(e instanceof Error ? e.stack : e); process.exit(1); });
