/**
 * Adaptive Wing with the official weight map, forward + gradient on one map: the tfjs-op version (implementation
 * 'ops', what training ran before 2026-12-03) vs the fused kernel (src/loss/awing-host.ts, what 'auto' takes on the
 * CPU backends), alternating in one process; min and median ms of the rounds.
 *   node --import tsx bench/awing-ab.ts [--backend host|wasm|cpu] [--shape 8,64,64,98] [--rounds 12]
 * The paper preset's AAM heads take it on [8,64,64,98] point maps and [8,64,64,E] edge maps per stack.
 */
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from 'tfjs-wasm-train';
import { adaptiveWing } from '../src/loss/baselines';

const arg = (name: string, dflt: string) => {
  const i = process.argv.indexOf(name);
  return i > 0 ? process.argv[i + 1] : dflt;
};

(async () => {
  await initBackend({ backend: arg('--backend', 'host') as 'host', quiet: true });
  const shape = arg('--shape', '8,64,64,98').split(',').map(Number) as [number, number, number, number];
  const rounds = Number(arg('--rounds', '12'));
  // Targets as the loader makes them: mostly 0, a Gaussian bump per channel; predictions near them.
  const y = tf.tidy(() => tf.minimum(tf.mul(tf.relu(tf.sub(tf.randomUniform(shape, 0, 1, 'float32', 1), 0.97)), 30), 1)) as tf.Tensor4D;
  const p = tf.tidy(() => tf.add(y, tf.randomNormal(shape, 0, 0.2, 'float32', 2))) as tf.Tensor4D;
  const step = (implementation: 'ops' | 'host') => () => {
    const { value, grad } = tf.valueAndGrad((x: tf.Tensor) => adaptiveWing(x as tf.Tensor4D, y, { implementation }))(p);
    grad.dataSync();
    tf.dispose([value, grad]);
  };
  const t: Record<string, number[]> = { ops: [], fused: [] };
  for (let r = 0; r < rounds + 2; r++) {
    for (const [k, f] of [['ops', step('ops')], ['fused', step('host')]] as const) {
      const t0 = performance.now();
      f();
      if (r >= 2) t[k].push(performance.now() - t0);
    }
  }
  const med = (a: number[]) => [...a].sort((u, v) => u - v)[a.length >> 1];
  console.log(`Adaptive Wing [${shape}] on ${tf.getBackend()}, forward + gradient: ` +
    Object.entries(t).map(([k, a]) => `${k} ${Math.min(...a).toFixed(1)} / ${med(a).toFixed(1)} ms (min / median)`).join(', ') +
    `; ops / fused ${(med(t.ops) / med(t.fused)).toFixed(2)}`);
})();
