/**
 * The Adam update of a bench net's parameters: one kernel per parameter (ADAM_UPDATE_KERNEL, what src/train/adam.ts
 * ran before 2026-12-03) vs every parameter in one kernel (ADAM_UPDATE_ALL_KERNEL, what it runs now), alternating in
 * one process, assigns included; min and median ms of 50 updates each.
 *   node --import tsx bench/adam-all-ab.ts [hg-cpu-128]
 */
import * as tf from '@tensorflow/tfjs-core';
import { ADAM_UPDATE_KERNEL, initBackend } from 'tfjs-wasm-train';
import { Adam } from '../src/train/adam';
import { buildBenchModel } from './nets';

(async () => {
  await initBackend({ backend: 'wasm', quiet: true });
  const net = process.argv[2] ?? 'hg-cpu-128';
  const model = buildBenchModel(net);
  const params = model.params;
  const grads = new Map([...params].map(([k, p]) => [k, tf.randomNormal(p.shape, 0, 1e-3, 'float32', 3)]));
  const adam = new Adam(params);
  const m = new Map([...params].map(([k, p]) => [k, tf.variable(tf.zerosLike(p))]));
  const v = new Map([...params].map(([k, p]) => [k, tf.variable(tf.zerosLike(p))]));
  const perParam = () => {
    const attrs = { beta1: 0.9, beta2: 0.999, eps: 1e-8, stepSize: 1e-3, sqrtBc2: 0.5 } as unknown as tf.NamedAttrMap;
    for (const [k, p] of params) {
      const [p1, m1, v1] = tf.engine().runKernel(ADAM_UPDATE_KERNEL, { p, m: m.get(k)!, v: v.get(k)!, g: grads.get(k)! }, attrs) as tf.Tensor[];
      p.assign(p1); m.get(k)!.assign(m1); v.get(k)!.assign(v1);
      tf.dispose([p1, m1, v1]);
    }
  };
  const all = () => adam.apply(grads, 1e-3);
  const t: Record<string, number[]> = { 'per parameter': [], 'all in one': [] };
  for (let r = 0; r < 60; r++) {
    for (const [k, f] of [['per parameter', perParam], ['all in one', all]] as const) {
      const t0 = performance.now();
      f();
      if (r >= 10) t[k].push(performance.now() - t0);
    }
  }
  const med = (a: number[]) => [...a].sort((x, y) => x - y)[a.length >> 1];
  console.log(`${net}: ${params.size} parameters, ${[...params.values()].reduce((s, p) => s + p.size, 0)} values; ` +
    Object.entries(t).map(([k, a]) => `${k} ${Math.min(...a).toFixed(2)} / ${med(a).toFixed(2)} ms (min / median)`).join(', '));
})();
