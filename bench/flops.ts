/**
 * How close a training step comes to this machine's limit (issue: speed, target 2): the floating-point work of a step
 * counted from the shapes of the kernels that ran, and the machine's measured sgemm rate at the same thread count.
 *
 * Work: the multiply-adds (2 FLOPs each) of every convolution kernel of one profiled training step — forward, input
 * gradient and filter gradient, each as much work as the forward it belongs to, only those the step really runs (the
 * first layer's input gradient is not computed) — and of every matrix product. Element-wise kernels (batch norm, ReLU,
 * adds, pooling) are left out: they are memory-bound and add little arithmetic in these nets.
 *
 * Peak: a 1×1 convolution of [1, 32, 32, K] by [1, 1, K, K] (K = 1024: 2.1 GFLOP) on the backend that trains, so it
 * runs the same sgemm the convolutions run (OpenBLAS through the native kernels when built, else XNNPACK).
 */
import * as tf from '@tensorflow/tfjs-core';
import { settle } from './settle';

/** One kernel as tf.profile records it (only the fields the count needs). */
export interface KernelShapes {
  name: string;
  inputShapes: number[][];
  outputShapes: number[][];
}

const size = (s: number[]) => s.reduce((a, b) => a * b, 1);

/**
 * FLOPs (2 per multiply-add) of the convolutions and matrix products among `kernels`. A convolution is any kernel whose
 * name contains "Conv2D" with a 4-D filter [kh, kw, cin, cout] as its second input (not the backprop kernels: this
 * counts a forward pass); a matrix product (MatMul, BatchMatMul, _FusedMatMul) gets its inner size from its first
 * input and its output, so transposes do not matter.
 */
export function forwardFlops(kernels: KernelShapes[]): number {
  let flops = 0;
  for (const k of kernels) {
    const out = k.outputShapes[0];
    if (!out) continue;
    if (/Conv2D/.test(k.name) && !/Backprop/.test(k.name)) {
      const f = k.inputShapes[1];
      if (f?.length !== 4) continue;
      flops += 2 * size(out) * f[0] * f[1] * f[2];
    } else if (/MatMul/.test(k.name)) {
      const a = k.inputShapes[0];
      if (!a || out.length < 2) continue;
      const rows = size(out.slice(0, -1)); // batch × M
      flops += 2 * size(out) * (size(a) / rows);
    }
  }
  return flops;
}

/**
 * FLOPs of one convolution kernel call, forward or either gradient (each is one forward's multiply-adds): from the
 * forward's output-gradient size and the filter, whichever of the call's inputs and output hold them; 0 for other kernels.
 */
export function convCallFlops(k: KernelShapes): number {
  const out = k.outputShapes[0];
  if (/Conv2DBackpropFilter/.test(k.name)) {
    const [, dy] = k.inputShapes;
    return out?.length === 4 && dy ? 2 * size(dy) * out[0] * out[1] * out[2] : 0;
  }
  if (/Conv2DBackpropInput/.test(k.name)) {
    const [dy, f] = k.inputShapes;
    return f?.length === 4 && dy ? 2 * size(dy) * f[0] * f[1] * f[2] : 0;
  }
  return /Conv2D/.test(k.name) ? forwardFlops([k]) : 0;
}

/** FLOPs of the convolutions (forward and both gradients) and matrix products among `kernels`. */
export function kernelFlops(kernels: KernelShapes[]): number {
  let flops = 0;
  for (const k of kernels) flops += convCallFlops(k) || (/MatMul/.test(k.name) ? forwardFlops([k]) : 0);
  return flops;
}

/** FLOPs of the kernels `run` executes (tf.profile); `run` cleans up after itself (tf.tidy or its own disposal). */
export async function profiledFlops(run: () => tf.TensorContainer | Promise<tf.TensorContainer>): Promise<number> {
  const p = await tf.profile(run);
  return kernelFlops(p.kernels as KernelShapes[]);
}

/** Median GFLOP/s of a K×K by K×K product run as a 1×1 convolution on the active backend (after 2 warm-up runs). */
export async function sgemmGflops(k = 1024, reps = 7): Promise<number> {
  const x = tf.randomUniform([1, 32, 32, k], -1, 1, 'float32', 1) as tf.Tensor4D;
  const f = tf.randomUniform([1, 1, k, k], -1, 1, 'float32', 2) as tf.Tensor4D;
  const times: number[] = [];
  for (let r = 0; r < reps + 2; r++) {
    const t0 = performance.now();
    const y = tf.conv2d(x, f, 1, 'same');
    const total = tf.sum(y);
    settle(total); // a scalar read: a full read would copy 4 MB off the wasm heap into the time
    const ms = performance.now() - t0;
    tf.dispose([y, total]);
    if (r >= 2) times.push(ms);
  }
  tf.dispose([x, f]);
  times.sort((a, b) => a - b);
  const med = times[Math.floor(times.length / 2)];
  return (2 * 32 * 32 * k * k) / (med * 1e6);
}
