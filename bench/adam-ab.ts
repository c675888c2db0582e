/**
 * A/B of the optimizer inside one process (robust to a shared CPU): alternate steps with the project's op-by-op Adam
 * and the fused kernel on the same model and batch; min and median ms per step for each.
 *   STAR_BACKEND=wasm-single node --import tsx bench/adam-ab.ts [hg-cpu-tiny] [--rounds 10]
 */
import * as tf from '@tensorflow/tfjs-core';
import { formatBackendInfo, initBackend } from 'tfjs-wasm-train';
import { buildBenchModel } from './nets';
import { makeStepper } from './step';

async function main(): Promise<void> {
  const id = process.argv[2] && !process.argv[2].startsWith('--') ? process.argv[2] : 'hg-cpu-tiny';
  const ri = process.argv.indexOf('--rounds');
  const rounds = ri > 0 ? Number(process.argv[ri + 1]) : 10;
  console.log(formatBackendInfo(await initBackend({ quiet: true })));
  const model = buildBenchModel(id);
  const B = 8;
  const x = tf.randomUniform([B, model.inputSize, model.inputSize, 3], -1, 1, 'float32', 2) as tf.Tensor4D;
  const y = tf.randomUniform([B, model.heatmapSize, model.heatmapSize, model.numPoints], 0, 1, 'float32', 3) as tf.Tensor4D;
  const steppers = { ops: makeStepper(model, { adam: 'ops' }), fused: makeStepper(model, { adam: 'fused' }) };
  const ts: Record<string, number[]> = { project: [], fused: [] };
  for (let r = 0; r < rounds + 2; r++) {
    for (const k of ['ops', 'fused'] as const) {
      const t0 = performance.now();
      await steppers[k].step(x, y);
      if (r >= 2) ts[k].push(performance.now() - t0);
    }
  }
  for (const [k, v] of Object.entries(ts)) {
    v.sort((a, b) => a - b);
    console.log(`${id} Adam ${k.padEnd(8)} min ${v[0].toFixed(1)} ms  median ${v[v.length >> 1].toFixed(1)} ms`);
  }
}

main().catch((e) => { console.error(e instanceof Error ? e.stack : e); process.exit(1); });
