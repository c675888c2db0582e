/**
 * How many times one training step of a bench net calls each convolution shape, per kind (tf.profile of one step).
 *   STAR_THREADS=1 node --import tsx packages/tfjs-wasm-train/bench/dnnl-spike/count-shapes.ts hg-cpu-128 [--batch 8]
 * (run from the project root). Prints JSON lines {kind, x, filter, y, n, ms} — x [B,H,W,Cin], filter [kh,kw,Cin,Cout].
 */
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from 'tfjs-wasm-train';
import { buildBenchModel } from '../../../../bench/nets';
import { makeStepper } from '../../../../bench/step';

async function main(): Promise<void> {
  const id = process.argv[2] ?? 'hg-cpu-128';
  const bi = process.argv.indexOf('--batch');
  const B = bi > 0 ? Number(process.argv[bi + 1]) : 8;
  await initBackend({ quiet: true });
  const model = buildBenchModel(id);
  const x = tf.randomUniform([B, model.inputSize, model.inputSize, 3], -1, 1, 'float32', 2) as tf.Tensor4D;
  const y = tf.randomUniform([B, model.heatmapSize, model.heatmapSize, model.numPoints], 0, 1, 'float32', 3) as tf.Tensor4D;
  const s = makeStepper(model, { adam: 'trainer' });
  for (let i = 0; i < 3; i++) await s.step(x, y);
  const t0 = performance.now();
  await s.step(x, y);
  const wall = performance.now() - t0;
  const p = await tf.profile(async () => { await s.step(x, y); });
  const agg = new Map<string, { kind: string; x: number[]; filter: number[]; y: number[]; n: number; ms: number }>();
  for (const k of p.kernels) {
    let xs: number[], fs: number[], ys: number[];
    const kind = k.name === 'WasmTrainConv2DBias' ? 'Conv2D' : k.name;
    if (kind === 'Conv2D') { [xs, fs] = k.inputShapes as number[][]; ys = k.outputShapes[0] as number[]; }
    else if (kind === 'Conv2DBackpropFilter') { [xs, ys] = k.inputShapes as number[][]; fs = k.outputShapes[0] as number[]; }
    else if (kind === 'Conv2DBackpropInput') { [ys, fs] = k.inputShapes as number[][]; xs = k.outputShapes[0] as number[]; }
    else continue;
    const key = `${k.name}|${xs}|${fs}|${ys}`;
    const a = agg.get(key) ?? { kind: k.name, x: xs, filter: fs, y: ys, n: 0, ms: 0 };
    a.n++;
    a.ms += Number(k.kernelTimeMs);
    agg.set(key, a);
  }
  console.log(JSON.stringify({ net: id, batch: B, stepMs: wall }));
  for (const a of [...agg.values()].sort((q, r) => r.ms - q.ms)) console.log(JSON.stringify(a));
}

main().catch((e) => { console.error(e instanceof Error ? e.stack : e); process.exit(1); });
