/**
 * Training-mode batch norm as one op with an analytic gradient, in place of the tf.moments + tf.batchNorm4d
 * composition a model's training batch norm is otherwise made of. The composition costs ~25 small kernels per layer and step on
 * wasm (moments, broadcasts, FusedBatchNorm's gradient with Tile/Sum, the gradient through moments); here the
 * forward is 3 passes over the activations and the backward 3 passes, in float64 accumulators:
 *
 *   y = γ·(x − μ)/√(σ² + ε) + β,   μ, σ² = per-channel mean and biased variance over [B, H, W]
 *   dβ = Σ dy,  dγ = Σ dy·x̂,  dx = γ/√(σ²+ε) · (dy − Σdy/n − x̂·Σ(dy·x̂)/n) + dμ/n + dσ²·2(x − μ)/n
 *
 * (dμ, dσ² are the gradients reaching the returned statistics; zero in training, where they only feed the running
 * averages.) On wasm and host this is our kernel (native with the addon, else JS loops); on other backends the same
 * function falls back to the tf-ops composition.
 *
 *   const { y, mean, variance } = batchNormTrain(x, gamma, beta, 1e-5);
 */
import * as tf from '@tensorflow/tfjs-core';
import type { KernelFunc, NamedAttrMap, TensorInfo } from '@tensorflow/tfjs-core';
import type { NativeKernels } from '../native-addon';
import type { KernelArgs } from '../kernels/wasm-calls';
import { BACKEND_OF, memoryKindOf, tensorMemory, type MemoryKind } from '../kernels/memory';

export const BN_TRAIN = 'WasmTrainBatchNorm';
const BN_GRAD_X = 'WasmTrainBatchNormGradX';
const BN_GRAD_PARAMS = 'WasmTrainBatchNormGradParams';
/** dx, dγ and dβ from one kernel: one pass over x and dy fewer than GradParams + GradX (their sums are shared). */
const BN_GRAD = 'WasmTrainBatchNormGrad';

function dims(x: TensorInfo, C: number, what: string): number {
  if (x.shape.length !== 4 || x.shape[3] !== C) throw new Error(`${what}: expected [B,H,W,${C}], got [${x.shape}]`);
  return x.shape[0] * x.shape[1] * x.shape[2];
}

/**
 * Native loops (native/tfjs_wasm_train.cc, same formulas) on the backends whose registration passed the addon; else
 * the JS loops below. Per backend name: the wasm kernel set and the host backend choose independently.
 */
const nativeOn = new Map<string, NativeKernels | null>();
export function useNativeBatchNorm(nat: NativeKernels | null, mem: MemoryKind = 'wasm'): void {
  nativeOn.set(BACKEND_OF[mem], nat);
}

/** The addon the batch-norm kernels of `mem`'s backend use (null: the JS loops). Instance norm shares the choice. */
export function nativeBatchNorm(mem: MemoryKind): NativeKernels | null {
  return nativeOn.get(BACKEND_OF[mem]) ?? null;
}

const forward = (mem: MemoryKind) => (args: KernelArgs) => {
  const b = tensorMemory(mem, args.backend);
  const native = nativeOn.get(BACKEND_OF[mem]) ?? null;
  const { x, gamma, beta } = args.inputs;
  const { eps, relu } = args.attrs as { eps: number; relu?: boolean };
  const C = gamma.shape[0];
  const n = dims(x, C, BN_TRAIN);
  const y = b.alloc(x.shape);
  const mean = b.alloc([C]);
  const variance = b.alloc([C]);
  const [xv, g, be, yv, mv, vv] = [x, gamma, beta, y, mean, variance].map(b.view);
  bnForwardOn(native, xv, g, be, yv, mv, vv, n, C, eps, relu ?? false);
  return [y, mean, variance];
};

/**
 * Training batch norm over n rows of C channels on plain arrays (native when given, else JS loops): y, and the
 * per-channel mean and biased variance. Instance norm calls it once per sample.
 */
export function bnForwardOn(native: NativeKernels | null, xv: Float32Array, g: Float32Array, be: Float32Array, yv: Float32Array,
  mv: Float32Array, vv: Float32Array, n: number, C: number, eps: number, relu: boolean): void {
  if (native) {
    native.bnForward(xv, g, be, yv, mv, vv, n, C, eps, relu ? 1 : 0);
    return;
  }
  const s = new Float64Array(C);
  for (let p = 0; p < n * C; p += C) for (let c = 0; c < C; c++) s[c] += xv[p + c];
  for (let c = 0; c < C; c++) s[c] /= n;
  const q = new Float64Array(C);
  for (let p = 0; p < n * C; p += C) for (let c = 0; c < C; c++) { const d = xv[p + c] - s[c]; q[c] += d * d; }
  const scale = new Float64Array(C);
  const shift = new Float64Array(C);
  for (let c = 0; c < C; c++) {
    const v = q[c] / n;
    mv[c] = s[c];
    vv[c] = v;
    scale[c] = g[c] / Math.sqrt(v + eps);
    shift[c] = be[c] - s[c] * scale[c];
  }
  for (let p = 0; p < n * C; p += C) for (let c = 0; c < C; c++) yv[p + c] = xv[p + c] * scale[c] + shift[c];
  if (relu) for (let p = 0; p < n * C; p++) if (!(yv[p] > 0)) yv[p] = 0;
}

/** With the fused ReLU, the gradient reaching the batch norm is dy where the output is positive, else 0. */
function maskedDy(dyv: Float32Array, yv: Float32Array | undefined): Float32Array {
  if (!yv) return dyv;
  const out = new Float32Array(dyv.length);
  for (let p = 0; p < dyv.length; p++) out[p] = yv[p] > 0 ? dyv[p] : 0;
  return out;
}

/** Σdy and Σdy·x̂ per channel (float64). */
function sums(xv: Float32Array, dyv: Float32Array, mv: Float32Array, rstd: Float64Array, n: number, C: number) {
  const sdy = new Float64Array(C);
  const sdyx = new Float64Array(C);
  for (let p = 0; p < n * C; p += C) {
    for (let c = 0; c < C; c++) {
      const d = dyv[p + c];
      sdy[c] += d;
      sdyx[c] += d * (xv[p + c] - mv[c]) * rstd[c];
    }
  }
  return { sdy, sdyx };
}

const gradParams = (mem: MemoryKind) => (args: KernelArgs) => {
  const b = tensorMemory(mem, args.backend);
  const native = nativeOn.get(BACKEND_OF[mem]) ?? null;
  const { x, mean, variance, dy, y } = args.inputs;
  const { eps, relu } = args.attrs as { eps: number; relu?: boolean };
  const C = mean.shape[0];
  const n = dims(x, C, BN_GRAD_PARAMS);
  const dg = b.alloc([C]);
  const db = b.alloc([C]);
  const [xv, mv, vv, dyv, dgv, dbv] = [x, mean, variance, dy, dg, db].map(b.view);
  const yv = relu ? b.view(y) : undefined;
  bnGradParamsOn(native, xv, mv, vv, dyv, dgv, dbv, n, C, eps, yv);
  return [dg, db];
};

/** dγ = Σdy·x̂ and dβ = Σdy on plain arrays (native when given, else JS loops); `yv`: the ReLU's output when fused. */
function bnGradParamsOn(native: NativeKernels | null, xv: Float32Array, mv: Float32Array, vv: Float32Array, dyv: Float32Array,
  dgv: Float32Array, dbv: Float32Array, n: number, C: number, eps: number, yv: Float32Array | undefined): void {
  if (native) {
    native.bnGradParams(xv, mv, vv, dyv, dgv, dbv, n, C, eps, yv ?? null);
    return;
  }
  const rstd = Float64Array.from(vv, (v) => 1 / Math.sqrt(v + eps));
  const { sdy, sdyx } = sums(xv, maskedDy(dyv, yv), mv, rstd, n, C);
  for (let c = 0; c < C; c++) { dgv[c] = sdyx[c]; dbv[c] = sdy[c]; }
}

const gradX = (mem: MemoryKind) => (args: KernelArgs) => {
  const b = tensorMemory(mem, args.backend);
  const native = nativeOn.get(BACKEND_OF[mem]) ?? null;
  const { x, gamma, mean, variance, dy, dmean, dvariance, y } = args.inputs;
  const { eps, relu } = args.attrs as { eps: number; relu?: boolean };
  const C = mean.shape[0];
  const n = dims(x, C, BN_GRAD_X);
  const dx = b.alloc(x.shape);
  const [xv, g, mv, vv, dyRaw, dmv, dvv, dxv] = [x, gamma, mean, variance, dy, dmean, dvariance, dx].map(b.view);
  const yv = relu ? b.view(y) : undefined;
  bnGradXOn(native, xv, g, mv, vv, dyRaw, dmv, dvv, dxv, n, C, eps, yv);
  return dx;
};

/** dx of the training batch norm on plain arrays (native when given, else JS loops); `yv`: the ReLU's output when fused. */
export function bnGradXOn(native: NativeKernels | null, xv: Float32Array, g: Float32Array, mv: Float32Array, vv: Float32Array,
  dyRaw: Float32Array, dmv: Float32Array, dvv: Float32Array, dxv: Float32Array, n: number, C: number, eps: number, yv: Float32Array | undefined): void {
  if (native) {
    native.bnGradX(xv, g, mv, vv, dyRaw, dmv, dvv, dxv, n, C, eps, yv ?? null);
    return;
  }
  const dyv = maskedDy(dyRaw, yv);
  const rstd = Float64Array.from(vv, (v) => 1 / Math.sqrt(v + eps));
  const { sdy, sdyx } = sums(xv, dyv, mv, rstd, n, C);
  // dx = k·dy + a·(x − μ) + c0, per channel.
  const k = new Float64Array(C);
  const a = new Float64Array(C);
  const c0 = new Float64Array(C);
  for (let c = 0; c < C; c++) {
    k[c] = g[c] * rstd[c];
    a[c] = -k[c] * rstd[c] * sdyx[c] / n + (2 * dvv[c]) / n;
    c0[c] = -k[c] * sdy[c] / n + dmv[c] / n;
  }
  for (let p = 0; p < n * C; p += C) {
    for (let c = 0; c < C; c++) dxv[p + c] = k[c] * dyv[p + c] + a[c] * (xv[p + c] - mv[c]) + c0[c];
  }
}

const gradAll = (mem: MemoryKind) => (args: KernelArgs) => {
  const b = tensorMemory(mem, args.backend);
  const native = nativeOn.get(BACKEND_OF[mem]) ?? null;
  const { x, gamma, mean, variance, dy, dmean, dvariance, y } = args.inputs;
  const { eps, relu } = args.attrs as { eps: number; relu?: boolean };
  const C = mean.shape[0];
  const n = dims(x, C, BN_GRAD);
  const dx = b.alloc(x.shape);
  const dg = b.alloc([C]);
  const db = b.alloc([C]);
  const [xv, g, mv, vv, dyRaw, dmv, dvv, dxv, dgv, dbv] = [x, gamma, mean, variance, dy, dmean, dvariance, dx, dg, db].map(b.view);
  const yv = relu ? b.view(y) : undefined;
  if (native) {
    native.bnGrad(xv, g, mv, vv, dyRaw, dmv, dvv, dxv, n, C, eps, yv ?? null, dgv, dbv);
    return [dx, dg, db];
  }
  bnGradParamsOn(null, xv, mv, vv, dyRaw, dgv, dbv, n, C, eps, yv);
  bnGradXOn(null, xv, g, mv, vv, dyRaw, dmv, dvv, dxv, n, C, eps, yv);
  return [dx, dg, db];
};

const registered = new Set<MemoryKind>();
/** Register the kernels for `mem`'s backend, and the (global) gradient (idempotent). */
export function registerBatchNormTrain(mem: MemoryKind = 'wasm'): void {
  if (registered.has(mem)) return;
  registered.add(mem);
  for (const [kernelName, fn] of [[BN_TRAIN, forward], [BN_GRAD_X, gradX], [BN_GRAD_PARAMS, gradParams], [BN_GRAD, gradAll]] as const) {
    tf.registerKernel({ kernelName, backendName: BACKEND_OF[mem], kernelFunc: fn(mem) as unknown as KernelFunc });
  }
  if (tf.getGradient(BN_TRAIN) != null) return;
  tf.registerGradient({
    kernelName: BN_TRAIN,
    inputsToSave: ['x', 'gamma'],
    // y only matters with the fused ReLU (its mask); saving it is a copy-free clone on wasm.
    outputsToSave: [true, true, true],
    gradFunc: (dys: tf.Tensor | tf.Tensor[], saved: tf.Tensor[], attrs: NamedAttrMap) => {
      const [dy, dmean, dvariance] = dys as tf.Tensor[];
      const [x, gamma, y, mean, variance] = saved;
      // dx, dγ and dβ from one kernel (the ReLU mask applied to dy), computed once outside the per-input closures: x
      // is an activation and always needs its gradient in a network. (GradParams and GradX stay registered: the
      // instance norm calls the dx loops alone, and bench/bn-ab.ts compares.)
      const [dx, dgamma, dbeta] = tf.engine().runKernel(BN_GRAD, { x, gamma, mean, variance, dy, dmean, dvariance, y }, attrs) as tf.Tensor[];
      return { x: () => dx, gamma: () => dgamma, beta: () => dbeta };
    },
  });
}

export interface BatchNormTrainResult { y: tf.Tensor4D; mean: tf.Tensor1D; variance: tf.Tensor1D }

/**
 * Training-mode batch norm over [B,H,W] per channel. `variance` is the biased batch variance (as tf.moments).
 * `relu: true` returns relu(y) from the same kernel (every batch norm of the hourglass is followed by a ReLU: one
 * pass and no separate ReLU / step / multiply kernels in the backward pass).
 */
export function batchNormTrain(x: tf.Tensor4D, gamma: tf.Tensor1D, beta: tf.Tensor1D, eps = 1e-5, opts: { relu?: boolean } = {}): BatchNormTrainResult {
  const relu = opts.relu ?? false;
  const C = x.shape[3];
  if (x.rank !== 4 || gamma.shape.join() !== `${C}` || beta.shape.join() !== `${C}`) {
    throw new Error(`batchNormTrain: x must be [B,H,W,C] with gamma and beta [C]; got x [${x.shape}], gamma [${gamma.shape}], beta [${beta.shape}]`);
  }
  const mem = memoryKindOf(tf.getBackend());
  if (mem == null) {
    const { mean, variance } = tf.moments(x, [0, 1, 2]);
    const y = tf.batchNorm4d(x, mean as tf.Tensor1D, variance as tf.Tensor1D, beta, gamma, eps);
    return { y: relu ? tf.relu(y) : y, mean: mean as tf.Tensor1D, variance: variance as tf.Tensor1D };
  }
  registerBatchNormTrain(mem);
  const native = nativeOn.get(BACKEND_OF[mem]) ?? null;
  // The ReLU is fused only into the native kernels; the JS loops would run it with data-dependent branches (measured
  // 1.4-1.7x slower than the JS batch norm followed by wasm's SIMD ReLU, bench/bn-ab.ts with TFJS_WASM_TRAIN_NATIVE=0).
  const fuse = relu && native !== null;
  const [yk, mean, variance] = tf.engine().runKernel(BN_TRAIN, { x, gamma, beta }, { eps, relu: fuse }) as tf.Tensor[];
  const y = relu && !fuse ? tf.relu(yk) : yk;
  return { y: y as tf.Tensor4D, mean: mean as tf.Tensor1D, variance: variance as tf.Tensor1D };
}
