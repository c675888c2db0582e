/**
 * Why the host backend recycles its kernels' output buffers (tfjs-wasm-train src/host-pool.ts): the first touch of fresh
 * memory against a reused buffer, for a plain JS loop and for host-backend ops with the pool on and off (limit 0).
 *   node --import tsx bench/host-pool-ab.ts [--reps 12]
 * Median and min ms of writing a product into an [8,64,64,98] float32 array (the paper preset's heatmap size).
 */
import * as os from 'node:os';
import * as tf from '@tensorflow/tfjs-core';
import { selectBackend, setHostPoolLimit, hostPoolStats, HOST_POOL_LIMIT } from 'tfjs-wasm-train';

const n = 8 * 64 * 64 * 98;

function time(reps: number, f: () => void): string {
  const ts: number[] = [];
  for (let i = 0; i < reps; i++) {
    const t0 = performance.now();
    f();
    ts.push(performance.now() - t0);
  }
  ts.sort((p, q) => p - q);
  return `median ${ts[ts.length >> 1].toFixed(1)} ms, min ${ts[0].toFixed(1)} ms`;
}

async function main(): Promise<void> {
  if (process.argv.includes('--help')) {
    console.log('node --import tsx bench/host-pool-ab.ts [--reps 12]: fresh vs reused output buffers, JS loop and host ops');
    return;
  }
  const ri = process.argv.indexOf('--reps');
  const reps = ri > 0 ? Number(process.argv[ri + 1]) : 12;
  await selectBackend({ backend: 'host', quiet: true });
  const a = new Float32Array(n).fill(1);
  const b = new Float32Array(n).fill(2);
  const reuse = new Float32Array(n);
  const mul = (o: Float32Array) => { for (let i = 0; i < n; i++) o[i] = a[i] * b[i]; };
  console.log(`JS loop, fresh output:  ${time(reps, () => mul(new Float32Array(n)))}`);
  console.log(`JS loop, reused output: ${time(reps, () => mul(reuse))}`);
  const x = tf.randomUniform([8, 64, 64, 98]);
  const y = tf.randomUniform([8, 64, 64, 98]);
  for (const [label, limit] of [['pool off', 0], ['pool on', HOST_POOL_LIMIT]] as const) {
    setHostPoolLimit(limit);
    console.log(`host tf.mul, ${label}: ${time(reps, () => tf.mul(x, y).dispose())}`);
    console.log(`host tf.add (native), ${label}: ${time(reps, () => tf.add(x, y).dispose())}`);
  }
  console.log(`pool: ${JSON.stringify(hostPoolStats())}; load average ${os.loadavg()[0].toFixed(2)} (${os.cpus().length} CPUs)`);
}

main().catch((e) => { console.error(e); process.exit(1); });
