/**
 * Where one training step spends its time, per kernel (tf.profile), for a bench model on the selected backend.
 *   STAR_BACKEND=wasm-single node --import tsx bench/step-profile.ts [convnet|hg-cpu-tiny|hg-cpu-128|hg-cpu-small|paper] [--batch 8] [--ops-adam]
 *     [--shapes KERNEL]   (also list the slowest calls of KERNEL with their input shapes)
 * Our composite kernels (tfjs-wasm-train src/kernels) call wasm kernel functions directly: their inner work is counted
 * under their own name (Conv2DBackpropFilter, ...), and "Conv2D" is the forward pass only.
 * `paper`: the paper preset with its AAM heads and the trainer's objective (bench/paper-net.ts, STAR; --loss heatmap-mse),
 * one warm-up step instead of two (a step takes minutes on the CPU), on the backend the ladder picks for it (host).
 */
import * as tf from '@tensorflow/tfjs-core';
import { formatBackendInfo, initBackend } from 'tfjs-wasm-train';
import { buildBenchModel } from './nets';
import { makeStepper } from './step';
import { convCallFlops, type KernelShapes } from './flops';
import { makePaperStepper, paperConfig, type PaperLoss } from './paper-net';
import { modelWorkload } from '../src/model/footprint';

async function main(): Promise<void> {
  const id = process.argv[2] && !process.argv[2].startsWith('--') ? process.argv[2] : 'hg-cpu-small';
  const bi = process.argv.indexOf('--batch');
  const B = bi > 0 ? Number(process.argv[bi + 1]) : 8;
  if (id === 'paper') return profilePaper(B);
  const info = await initBackend({ quiet: true });
  console.log(formatBackendInfo(info));
  const model = buildBenchModel(id);
  const x = tf.randomUniform([B, model.inputSize, model.inputSize, 3], -1, 1, 'float32', 2) as tf.Tensor4D;
  const y = tf.randomUniform([B, model.heatmapSize, model.heatmapSize, model.numPoints], 0, 1, 'float32', 3) as tf.Tensor4D;
  const adam = process.argv.includes('--ops-adam') ? 'ops' : 'trainer';
  const s = makeStepper(model, { adam });
  for (let i = 0; i < 2; i++) await s.step(x, y);
  const t0 = performance.now();
  await s.step(x, y);
  const wall = performance.now() - t0;
  let profTotal = 0;
  const p = await tf.profile(async () => { const t = performance.now(); await s.step(x, y); profTotal = performance.now() - t; });
  report(p, `${id} batch ${B}, Adam ${adam}: step ${wall.toFixed(0)} ms unprofiled; profiled ${profTotal.toFixed(0)} ms`);
}

async function profilePaper(B: number): Promise<void> {
  const li = process.argv.indexOf('--loss');
  const loss = li > 0 ? (process.argv[li + 1] as PaperLoss) : 'star';
  const cfg = paperConfig(loss);
  const info = await initBackend({ quiet: true, workload: modelWorkload(cfg, { trainBatch: B, label: `paper preset, training batch ${B}` }) });
  console.log(formatBackendInfo(info));
  const s = makePaperStepper(B, loss);
  let t = performance.now();
  await s.step(0);
  const wall = performance.now() - t;
  let profTotal = 0;
  const p = await tf.profile(async () => { t = performance.now(); await s.step(1); profTotal = performance.now() - t; });
  report(p, `paper (${loss}) batch ${B}: warm-up step ${wall.toFixed(0)} ms unprofiled; profiled step ${profTotal.toFixed(0)} ms, peak ${(p.peakBytes / 2 ** 30).toFixed(2)} GiB of tensors`);
  await s.dispose();
}

function report(p: Awaited<ReturnType<typeof tf.profile>>, head: string): void {
  const agg = new Map<string, { ms: number; n: number }>();
  for (const k of p.kernels) {
    const a = agg.get(k.name) ?? { ms: 0, n: 0 };
    a.ms += Number(k.kernelTimeMs);
    a.n += 1;
    agg.set(k.name, a);
  }
  const total = [...agg.values()].reduce((a, b) => a + b.ms, 0);
  console.log(`${head}, ${total.toFixed(0)} ms in ${p.kernels.length} kernels`);
  for (const [name, a] of [...agg].sort((q, r) => r[1].ms - q[1].ms).slice(0, Number(process.env.TOP ?? 18))) {
    console.log(`  ${name.padEnd(22)} ${a.ms.toFixed(1).padStart(8)} ms  ${(100 * a.ms / total).toFixed(1).padStart(5)}%  x${a.n}`);
  }
  // Convolutions: arithmetic done and the rate achieved, per kind (bench/flops.ts counts each call's multiply-adds).
  const conv = new Map<string, { flops: number; ms: number }>();
  for (const k of p.kernels) {
    const f = convCallFlops(k as KernelShapes);
    if (f === 0) continue;
    const c = conv.get(k.name) ?? { flops: 0, ms: 0 };
    c.flops += f;
    c.ms += Number(k.kernelTimeMs);
    conv.set(k.name, c);
  }
  for (const [name, c] of conv) if (c.ms > 0) console.log(`  ${name.padEnd(22)} ${(c.flops / 1e9).toFixed(2)} GFLOP in ${c.ms.toFixed(1)} ms: ${(c.flops / 1e6 / c.ms).toFixed(1)} GFLOP/s`);
  // --shapes NAME: the slowest calls of one kernel with their input shapes (which layer is it?).
  const si = process.argv.indexOf('--shapes');
  if (si > 0) {
    const name = process.argv[si + 1];
    const calls = p.kernels.filter((k) => k.name === name).sort((q, r) => Number(r.kernelTimeMs) - Number(q.kernelTimeMs)).slice(0, 30);
    for (const k of calls) {
      const f = convCallFlops(k as KernelShapes);
      const rate = f && Number(k.kernelTimeMs) > 0 ? `  ${(f / 1e6 / Number(k.kernelTimeMs)).toFixed(1)} GFLOP/s` : '';
      console.log(`    ${name} ${Number(k.kernelTimeMs).toFixed(2)} ms${rate}  inputs ${k.inputShapes.map((sh) => `[${sh}]`).join(' ')}`);
    }
  }
}

main().catch((e) => { console.error(e instanceof Error ? e.stack : e); process.exit(1); });
