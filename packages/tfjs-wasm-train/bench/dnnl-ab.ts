/**
 * Whole training steps with the addon's 3×3 / 7×7 convolutions on oneDNN vs on OpenBLAS (setConvEngine), alternating
 * step by step in one process, so both see the same machine load (the STAR-loss project's networks and training step:
 * bench/nets.ts, bench/step.ts of the project root). Run from the project root:
 *   node --import tsx packages/tfjs-wasm-train/bench/dnnl-ab.ts [--nets hg-cpu-128,hg-cpu-small,hg-cpu-tiny,convnet]
 *     [--rounds 20] [--threads 1]
 * Per net: min and median ms per step of each engine over `rounds` steps each (3 warm-up rounds not counted), the
 * 1-minute load average before and after. The model trains on through the alternation (one Adam step per step):
 * the loss only shows that nothing diverges. `--check N`: first, per net, N steps from the same initial weights and
 * batch with each engine, and the losses side by side (how far oneDNN's rounding moves a trajectory).
 */
import * as os from 'os';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend, nativeKernels } from 'tfjs-wasm-train';
import { buildBenchModel } from '../../../bench/nets';
import { makeStepper } from '../../../bench/step';

const arg = (name: string, def: string) => {
  const i = process.argv.indexOf(name);
  return i > 0 ? process.argv[i + 1] : def;
};

async function main(): Promise<void> {
  const nets = arg('--nets', 'hg-cpu-128,hg-cpu-small,hg-cpu-tiny,convnet').split(',');
  const rounds = Number(arg('--rounds', '20'));
  await initBackend({ quiet: true, threads: Number(arg('--threads', '1')) });
  const nat = nativeKernels().kernels;
  if (!nat) throw new Error(`no native addon: ${nativeKernels().reason}`);
  const engine = nat.convEngine();
  if (!engine.dnnl) throw new Error(`the addon has no oneDNN: ${engine.disabledBy}`);
  const wasOn = nat.setConvEngine(true);
  console.log(JSON.stringify({ engine, threads: nat.getThreads(), rounds, date: new Date().toISOString() }));
  const check = Number(arg('--check', '0'));
  const B = 8;
  for (const id of nets) {
    if (check > 0) {
      const losses: Record<string, number[]> = {};
      for (const e of ['blas', 'dnnl']) {
        nat.setConvEngine(e === 'dnnl');
        const m = buildBenchModel(id);
        const xs = tf.randomUniform([B, m.inputSize, m.inputSize, 3], -1, 1, 'float32', 2) as tf.Tensor4D;
        const ys = tf.randomUniform([B, m.heatmapSize, m.heatmapSize, m.numPoints], 0, 1, 'float32', 3) as tf.Tensor4D;
        const st = makeStepper(m, { adam: 'trainer' });
        losses[e] = [];
        for (let i = 0; i < check; i++) losses[e].push(await st.step(xs, ys));
        st.dispose();
        tf.dispose([xs, ys, ...m.params.values()]);  // the convnet's variables are named: free them before the next build
      }
      const rel = losses.dnnl.map((l, i) => Math.abs(l - losses.blas[i]) / Math.abs(losses.blas[i]));
      console.log(`${id.padEnd(12)} check: losses OpenBLAS ${losses.blas.map((l) => l.toPrecision(7)).join(' ')} | oneDNN ${losses.dnnl.map((l) => l.toPrecision(7)).join(' ')} | rel diff ${rel.map((r) => r.toExponential(1)).join(' ')}`);
    }
    const model = buildBenchModel(id);
    const x = tf.randomUniform([B, model.inputSize, model.inputSize, 3], -1, 1, 'float32', 2) as tf.Tensor4D;
    const y = tf.randomUniform([B, model.heatmapSize, model.heatmapSize, model.numPoints], 0, 1, 'float32', 3) as tf.Tensor4D;
    const stepper = makeStepper(model, { adam: 'trainer' });
    const ts: Record<'blas' | 'dnnl', number[]> = { blas: [], dnnl: [] };
    const load0 = os.loadavg()[0];
    let loss = 0;
    nat.convCounters(true);
    for (let r = 0; r < rounds + 3; r++) {
      for (const e of (r % 2 ? ['blas', 'dnnl'] : ['dnnl', 'blas']) as Array<'blas' | 'dnnl'>) {
        nat.setConvEngine(e === 'dnnl');
        const t0 = performance.now();
        loss = await stepper.step(x, y);
        if (r >= 3) ts[e].push(performance.now() - t0);
      }
    }
    const c = nat.convCounters(true);
    stepper.dispose();
    tf.dispose([x, y, ...model.params.values()]);
    const stat = (v: number[]) => {
      const s = [...v].sort((a, b) => a - b);
      return { min: s[0], median: s[s.length >> 1] };
    };
    const b = stat(ts.blas), d = stat(ts.dnnl);
    const pct = (o: number, n: number) => `${(100 * (n - o) / o).toFixed(0)}%`;
    console.log(`${id.padEnd(12)} OpenBLAS min ${b.min.toFixed(1)} median ${b.median.toFixed(1)} ms | oneDNN min ${d.min.toFixed(1)} (${pct(b.min, d.min)}) ` +
      `median ${d.median.toFixed(1)} (${pct(b.median, d.median)}) ms | load ${load0.toFixed(1)} -> ${os.loadavg()[0].toFixed(1)} | last loss ${loss.toFixed(5)} | ` +
      `oneDNN calls ${c.dnnl.forward}/${c.dnnl.backwardData}/${c.dnnl.backwardWeights}, fallbacks ${c.dnnlFallbacks}`);
    console.log(JSON.stringify({ net: id, blasMs: ts.blas, dnnlMs: ts.dnnl, load: [load0, os.loadavg()[0]] }));
  }
  nat.setConvEngine(wasOn);
}

main().catch((e) => {
  console.error(e instanceof Error ? e.stack : e);
  process.exit(1);
});
