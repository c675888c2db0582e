/**
 * Whole training steps with oneDNN convolutions, without touching the package: registerWasmTrainingKernels('all', k)
 * takes the native-kernel object as an argument, so a copy of our addon's object whose conv functions call oneDNN
 * (./build/dnnl_conv.node, `any` weights reordered per call, primitives cached per conv geometry) is registered in
 * turn with the real one, alternating whole steps in one process.
 *   OPENBLAS_CORETYPE=Haswell STAR_THREADS=1 node --import tsx packages/tfjs-wasm-train/bench/dnnl-spike/step-ab.ts \
 *     [hg-cpu-128] [--isa avx2] [--rounds 12] [--check] [--variants ours,split]     (from the project root)
 * Variants: ours; dnnl (all convolutions); mixed (oneDNN for kh·kw > 1, ours for 1×1); with > 1 thread also split
 * (oneDNN single-threaded per batch chunk on a work-stealing pool like ours). Same weights start for all:
 * the model trains on through the alternation (Adam steps), so the loss column only shows that nothing diverges.
 */
import * as os from 'os';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend, registerWasmTrainingKernels, nativeKernels } from 'tfjs-wasm-train';
import type { NativeKernels } from '../../src/native-addon';
import { buildBenchModel } from '../../../../bench/nets';
import { makeStepper } from '../../../../bench/step';

const arg = (name: string, def: string) => { const i = process.argv.indexOf(name); return i > 0 ? process.argv[i + 1] : def; };

async function main(): Promise<void> {
  const id = process.argv[2] && !process.argv[2].startsWith('--') ? process.argv[2] : 'hg-cpu-128';
  const rounds = Number(arg('--rounds', '12'));
  const isa = arg('--isa', '');
  // eslint-disable-next-line @typescript-eslint/no-var-requires
  const dn = require(path.join(__dirname, 'build', 'dnnl_conv.node'));
  const isaSet = isa ? dn.setMaxIsa(isa) : 'default';
  await initBackend({ quiet: true });
  const nat = nativeKernels().kernels;
  if (!nat) throw new Error('our addon is not loaded');
  const threads = nat.getThreads();
  dn.setThreads(threads);
  const handles = new Map<string, unknown>();
  const h = (d: Int32Array) => { const k = d.join(); let v = handles.get(k); if (!v) { v = dn.create(d, 1); handles.set(k, v); } return v; };
  const zeros = new Map<number, Float32Array>();
  const z = (n: number) => { let v = zeros.get(n); if (!v) { v = new Float32Array(n); zeros.set(n, v); } return v; };
  const dbScratch = new Float32Array(4096);  // oneDNN's bias gradient, unused (the graph's own column sum runs)
  const wrap = (useDnnl: (d: Int32Array) => boolean): NativeKernels => {
    const k = Object.create(null) as Record<string, unknown>;
    for (const name of Object.getOwnPropertyNames(nat)) k[name] = (nat as unknown as Record<string, unknown>)[name];
    k.conv2dForward = (x: Float32Array, f: Float32Array, y: Float32Array, d: Int32Array) =>
      useDnnl(d) ? dn.forward(h(d), x, f, z(d[6]), y, true) : nat.conv2dForward(x, f, y, d);
    k.conv2dBiasForward = (x: Float32Array, f: Float32Array, y: Float32Array, d: Int32Array, b: Float32Array) =>
      useDnnl(d) ? dn.forward(h(d), x, f, b, y, true) : nat.conv2dBiasForward(x, f, y, d, b);
    k.conv2dBackpropFilter = (x: Float32Array, dy: Float32Array, df: Float32Array, d: Int32Array) =>
      useDnnl(d) ? dn.backwardWeights(h(d), x, dy, df, dbScratch) : nat.conv2dBackpropFilter(x, dy, df, d);
    k.conv2dBackpropInput = (dy: Float32Array, f: Float32Array, dx: Float32Array, d: Int32Array) =>
      useDnnl(d) ? dn.backwardData(h(d), dy, f, dx, true) : nat.conv2dBackpropInput(dy, f, dx, d);
    return k as unknown as NativeKernels;
  };
  // split (threads > 1): oneDNN single-threaded per sub-batch chunk on the spike's work-stealing pool (dnnl_conv.cc),
  // chunks like our partsFor(): 2 per thread, none below 1.5e5 multiply-adds.
  dn.setSplitThreads(threads);
  const splits = new Map<string, unknown>();
  const sh = (d: Int32Array) => {
    const k = d.join();
    let v = splits.get(k);
    if (!v) {
      const work = d[0] * d[13] * d[14] * d[4] * d[5] * d[3] * d[6];
      const parts = threads > 1 && work >= 1.5e5 && d[0] % (2 * threads) === 0 ? 2 * threads : 1;
      v = dn.createSplit(d, parts);
      splits.set(k, v);
    }
    return v;
  };
  const splitKernels = (() => {
    const k = Object.create(null) as Record<string, unknown>;
    for (const name of Object.getOwnPropertyNames(nat)) k[name] = (nat as unknown as Record<string, unknown>)[name];
    k.conv2dForward = (x: Float32Array, f: Float32Array, y: Float32Array, d: Int32Array) => dn.runSplit(sh(d), 0, x, f, z(d[6]), y);
    k.conv2dBiasForward = (x: Float32Array, f: Float32Array, y: Float32Array, d: Int32Array, b: Float32Array) => dn.runSplit(sh(d), 0, x, f, b, y);
    k.conv2dBackpropFilter = (x: Float32Array, dy: Float32Array, df: Float32Array, d: Int32Array) => dn.runSplit(sh(d), 2, x, dy, dbScratch, df);
    k.conv2dBackpropInput = (dy: Float32Array, f: Float32Array, dx: Float32Array, d: Int32Array) => dn.runSplit(sh(d), 1, dy, f, dbScratch, dx);
    return k as unknown as NativeKernels;
  })();
  const variants: Record<string, NativeKernels> = { ours: nat, dnnl: wrap(() => true), mixed: wrap((d) => d[4] * d[5] > 1) };
  if (threads > 1) variants.split = splitKernels;
  // --variants ours,split: only these (a process that never runs OpenMP's own 2-thread team, whose spinning workers
  // would otherwise take CPU from the other variants).
  const only = arg('--variants', '');
  if (only) for (const n of Object.keys(variants)) if (!only.split(',').includes(n)) delete variants[n];
  if (!('dnnl' in variants) && !('mixed' in variants)) dn.setThreads(1);
  const B = 8;
  // --check: from the same initial weights, 3 steps per variant; the losses should agree to ~1e-6 relative.
  if (process.argv.includes('--check')) {
    for (const [n, k] of Object.entries(variants)) {
      registerWasmTrainingKernels('all', k);
      const m = buildBenchModel(id);
      const xs = tf.randomUniform([B, m.inputSize, m.inputSize, 3], -1, 1, 'float32', 2) as tf.Tensor4D;
      const ys = tf.randomUniform([B, m.heatmapSize, m.heatmapSize, m.numPoints], 0, 1, 'float32', 3) as tf.Tensor4D;
      const st = makeStepper(m, { adam: 'trainer' });
      const ls: number[] = [];
      for (let i = 0; i < 3; i++) ls.push(await st.step(xs, ys));
      console.log(`check ${n.padEnd(6)} losses ${ls.map((l) => l.toPrecision(9)).join(' ')}`);
      st.dispose();
    }
    registerWasmTrainingKernels('all', nat);
  }
  const model = buildBenchModel(id);
  const x = tf.randomUniform([B, model.inputSize, model.inputSize, 3], -1, 1, 'float32', 2) as tf.Tensor4D;
  const y = tf.randomUniform([B, model.heatmapSize, model.heatmapSize, model.numPoints], 0, 1, 'float32', 3) as tf.Tensor4D;
  const stepper = makeStepper(model, { adam: 'trainer' });
  const names = Object.keys(variants);
  const ts: Record<string, number[]> = Object.fromEntries(names.map((n) => [n, []]));
  const losses: Record<string, number[]> = Object.fromEntries(names.map((n) => [n, []]));
  const load0 = os.loadavg();
  for (let r = 0; r < rounds + 3; r++) {
    for (let i = 0; i < names.length; i++) {
      const n = names[(i + r) % names.length];
      registerWasmTrainingKernels('all', variants[n]);
      const t0 = performance.now();
      const loss = await stepper.step(x, y);
      if (r >= 3) { ts[n].push(performance.now() - t0); losses[n].push(loss); }
    }
  }
  registerWasmTrainingKernels('all', nat);
  console.log(JSON.stringify({ net: id, threads, isa: isaSet, effectiveIsa: dn.effectiveIsa(), rounds, loadavgStart: load0, loadavgEnd: os.loadavg() }));
  const med: Record<string, number> = {};
  for (const n of names) {
    const v = [...ts[n]].sort((a, b) => a - b);
    med[n] = v[v.length >> 1];
    console.log(`${id} T${threads} ${n.padEnd(6)} min ${v[0].toFixed(1)} ms  median ${med[n].toFixed(1)} ms  (last loss ${losses[n][losses[n].length - 1].toFixed(5)})`);
  }
  for (const n of names.filter((q) => q !== 'ours')) {
    const mo = Math.min(...ts.ours), mn = Math.min(...ts[n]);
    console.log(`${n} vs ours: min ${(mo - mn).toFixed(1)} ms saved (${(100 * (mo - mn) / mo).toFixed(0)}%), median ${(med.ours - med[n]).toFixed(1)} ms (${(100 * (med.ours - med[n]) / med.ours).toFixed(0)}%)`);
  }
}

main().catch((e) => { console.error(e instanceof Error ? e.stack : e); process.exit(1); });
