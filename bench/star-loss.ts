/**
 * STAR loss forward+backward on [2,64,64,98] (NHWC) on the selected tfjs backend, next to a PyTorch
 * implementation written from the same formulas (bench/star_loss_torch.py, torch.linalg.eigh on CPU as the
 * official code), in the same invocation. Also times heatmap MSE fwd+bwd (the STAR share of a training step) and
 * a naive broadcast-multiply variant of the moment stage (the design alternative we measured against).
 *
 *   node --import tsx bench/star-loss.ts            # STAR_BACKEND=wasm|wasm-single|cpu (default wasm), REPS=15,
 *                                                   # SHAPE=B,H,W,N (default 2,64,64,98)
 * Times both STAR implementations on CPU backends: 'host' (plain-loop kernels, the default there) and 'fused' (tfjs ops).
 *
 * Medians of REPS runs after 3 warm-up runs. The machine's CPU may be shared: numbers are indicative.
 */
import { spawnSync } from 'child_process';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend, formatBackendInfo, type BackendChoice } from 'tfjs-wasm-train';
import { starLoss } from '../src/loss/star';
import { settle } from './settle';
import { heatmapMse } from '../src/loss/baselines';
import { gridAxis } from '../src/geometry/coords';
import { symEigen2x2 } from '../src/geometry/eigen2x2';

const [B, H, W, N] = (process.env.SHAPE ?? '2,64,64,98').split(',').map(Number);
const REPS = Number(process.env.REPS ?? 15);

function medianMs(fn: () => void, reps = REPS, warmup = 3): number {
  for (let i = 0; i < warmup; i++) fn();
  const ts: number[] = [];
  for (let i = 0; i < reps; i++) {
    const t0 = performance.now();
    fn();
    ts.push(performance.now() - t0);
  }
  ts.sort((a, b) => a - b);
  return ts[Math.floor(ts.length / 2)];
}

/** The straightforward alternative: normalise, then full-size broadcast multiplies for every moment (autodiff). */
function naiveStar(h: tf.Tensor4D, gt: tf.Tensor3D): tf.Scalar {
  return tf.tidy(() => {
    const x = tf.reshape(tf.tensor1d(gridAxis(W)), [1, 1, W, 1]);
    const y = tf.reshape(tf.tensor1d(gridAxis(H)), [1, H, 1, 1]);
    const hn = tf.div(h, tf.maximum(tf.sum(h, [1, 2], true), 1e-6));
    const mx = tf.sum(tf.mul(hn, x), [1, 2], true);
    const my = tf.sum(tf.mul(hn, y), [1, 2], true);
    const dx = tf.sub(x, mx);
    const dy = tf.sub(y, my);
    const v1 = tf.add(tf.sum(hn, [1, 2]), 1e-5);
    const v2 = tf.add(tf.sum(tf.square(hn), [1, 2]), 1e-5);
    const den = tf.sub(v1, tf.div(v2, v1));
    const a = tf.div(tf.sum(tf.mul(hn, tf.square(dx)), [1, 2]), den);
    const b = tf.div(tf.sum(tf.mul(tf.mul(hn, dx), dy), [1, 2]), den);
    const c = tf.div(tf.sum(tf.mul(hn, tf.square(dy)), [1, 2]), den);
    const { lambdaMin, lambdaMax, theta } = symEigen2x2(a, b, c);
    const [tx, ty] = tf.unstack(gt, 2);
    const ex = tf.sub(tx, tf.reshape(mx, [B, N]));
    const ey = tf.sub(ty, tf.reshape(my, [B, N]));
    const cs = tf.cos(theta), sn = tf.sin(theta);
    const pMax = tf.add(tf.mul(cs, ex), tf.mul(sn, ey));
    const pMin = tf.sub(tf.mul(cs, ey), tf.mul(sn, ex));
    const sl = (e: tf.Tensor) => {
      const sq = tf.square(e);
      const m = tf.step(tf.sub(1e-4, sq));
      return tf.add(tf.mul(m, tf.mul(sq, 50)), tf.mul(tf.sub(1, m), tf.sub(tf.sqrt(tf.maximum(sq, 1e-6)), 0.005)));
    };
    const l = tf.add(tf.div(sl(pMin), tf.sqrt(tf.add(tf.relu(lambdaMin), 1e-5))), tf.div(sl(pMax), tf.sqrt(tf.add(tf.relu(lambdaMax), 1e-5))));
    return tf.mean(tf.add(l, tf.add(tf.abs(lambdaMin), tf.abs(lambdaMax)))) as tf.Scalar;
  });
}

async function main() {
  const info = await initBackend({ backend: (process.env.STAR_BACKEND ?? 'wasm') as BackendChoice, quiet: true });
  console.log(formatBackendInfo(info));
  const h = tf.tidy(() => tf.relu(tf.sub(tf.randomUniform([B, H, W, N], 0, 1, 'float32', 1), 0.9))) as tf.Tensor4D;
  const gt = tf.randomUniform([B, N, 2], -1, 1, 'float32', 2) as tf.Tensor3D;
  const target = tf.randomUniform([B, H, W, N], 0, 1, 'float32', 3) as tf.Tensor4D;
  const step = (f: (x: tf.Tensor4D) => tf.Scalar) => () => {
    const { value, grads } = tf.valueAndGrads((x: tf.Tensor) => f(x as tf.Tensor4D))([h]);
    settle(value, grads);
    tf.dispose([value, ...grads]);
  };
  const fwd = (f: (x: tf.Tensor4D) => tf.Scalar) => () => { const v = f(h); v.dataSync(); v.dispose(); };
  const before = tf.memory().numTensors;
  const res = {
    backend: tf.getBackend(),
    star_fwd_ms: medianMs(fwd((x) => starLoss(x, gt))),
    star_fwd_bwd_ms: medianMs(step((x) => starLoss(x, gt))),
    star_host_fwd_bwd_ms: medianMs(step((x) => starLoss(x, gt, { implementation: 'host' }))),
    star_fused_fwd_bwd_ms: medianMs(step((x) => starLoss(x, gt, { implementation: 'fused' }))),
    naive_star_fwd_bwd_ms: medianMs(step((x) => naiveStar(x, gt))),
    mse_fwd_bwd_ms: medianMs(step((x) => heatmapMse(x, target))),
    star_loss_value: starLoss(h, gt).dataSync()[0],
    naive_loss_value: naiveStar(h, gt).dataSync()[0],
  };
  const leaked = tf.memory().numTensors - before - 2; // the two value tensors above
  const py = spawnSync('/usr/bin/python3', [path.join(__dirname, 'star_loss_torch.py'), `${B}`, `${H}`, `${W}`, `${N}`, `${REPS}`], { encoding: 'utf8' });
  const torch = py.status === 0 ? JSON.parse(py.stdout.trim().split('\n').pop()!) : { error: py.stderr || py.error?.message };
  console.log(`shape [B,H,W,N] = [${B},${H},${W},${N}], median of ${REPS} after 3 warm-up runs (CPU possibly shared)`);
  console.log(`tfjs ${res.backend}: STAR fwd ${res.star_fwd_ms.toFixed(2)} ms, fwd+bwd ${res.star_fwd_bwd_ms.toFixed(2)} ms ` +
    `[host kernels ${res.star_host_fwd_bwd_ms.toFixed(2)} ms, tfjs-op kernels ${res.star_fused_fwd_bwd_ms.toFixed(2)} ms, ` +
    `naive broadcast moments ${res.naive_star_fwd_bwd_ms.toFixed(2)} ms]; heatmap MSE fwd+bwd ${res.mse_fwd_bwd_ms.toFixed(2)} ms`);
  if ('star_fwd_bwd_ms' in torch) {
    console.log(`PyTorch ${torch.torch} (${torch.threads} thread(s)): STAR fwd+bwd ${torch.star_fwd_bwd_ms.toFixed(2)} ms; MSE fwd+bwd ${torch.mse_fwd_bwd_ms.toFixed(2)} ms`);
    console.log(`ratio ours/PyTorch (STAR fwd+bwd): ${(res.star_fwd_bwd_ms / torch.star_fwd_bwd_ms).toFixed(2)}  (target <= 1)`);
  } else {
    console.log(`PyTorch comparison unavailable: ${torch.error}`);
  }
  console.log(JSON.stringify({ tfjs: res, torch, leaked_tensors: leaked }));
}

main().catch((e) => { console.error(e); process.exit(1); });
