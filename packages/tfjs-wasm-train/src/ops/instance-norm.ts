/**
 * Instance norm without affine parameters (PyTorch's F.instance_norm defaults: per sample and channel over H and W,
 * biased variance, eps 1e-5), optionally followed by a ReLU, as one kernel with an analytic gradient:
 *
 *   y = relu((x − μ_bc)/√(σ²_bc + ε)),   dx = r·(dy' − Σdy'/n − x̂·Σ(dy'·x̂)/n)  per sample b and channel c,
 *
 * with dy' = dy masked by y > 0 when the ReLU is fused and n = H·W. Each sample is a training batch norm over its H·W
 * rows with γ = 1, β = 0, so the kernels call the batch-norm loops once per sample (ops/batch-norm.ts: native with the
 * addon, float64 accumulators, threaded over rows; else JS loops). The tf-ops composition it replaces (tf.moments,
 * sub, div, sqrt, relu and their gradients) was ~20 kernels per call on the heatmap head (a step profile of hg-cpu-128:
 * Mean, Sub, RealDiv, Multiply, Cast and SquaredDifference on [8,32,32,98], ~13% of its kernel time).
 * On backends without our kernels the same function runs the composition.
 *
 *   const y = instanceNormTrain(x, 1e-5, { relu: true });
 */
import * as tf from '@tensorflow/tfjs-core';
import type { KernelFunc, NamedAttrMap } from '@tensorflow/tfjs-core';
import type { KernelArgs } from '../kernels/wasm-calls';
import { BACKEND_OF, memoryKindOf, tensorMemory, type MemoryKind } from '../kernels/memory';
import { bnForwardOn, bnGradXOn, nativeBatchNorm } from './batch-norm';

export const IN_TRAIN = 'WasmTrainInstanceNorm';
const IN_GRAD_X = 'WasmTrainInstanceNormGradX';

function shapeOf(x: { shape: number[] }, what: string): { B: number; n: number; C: number } {
  if (x.shape.length !== 4) throw new Error(`${what}: expected [B,H,W,C], got [${x.shape}]`);
  const [B, H, W, C] = x.shape;
  return { B, n: H * W, C };
}

const forward = (mem: MemoryKind) => (args: KernelArgs) => {
  const b = tensorMemory(mem, args.backend);
  const native = nativeBatchNorm(mem);
  const { x } = args.inputs;
  const { eps, relu } = args.attrs as { eps: number; relu: boolean };
  const { B, n, C } = shapeOf(x, IN_TRAIN);
  const y = b.alloc(x.shape);
  const mean = b.alloc([B, C]);
  const variance = b.alloc([B, C]);
  // Views after every allocation (a wasm allocation can move the heap).
  const [xv, yv, mv, vv] = [x, y, mean, variance].map(b.view);
  const ones = new Float32Array(C).fill(1);
  const zeros = new Float32Array(C);
  const len = n * C;
  for (let s = 0; s < B; s++) {
    bnForwardOn(native, xv.subarray(s * len, (s + 1) * len), ones, zeros, yv.subarray(s * len, (s + 1) * len),
      mv.subarray(s * C, (s + 1) * C), vv.subarray(s * C, (s + 1) * C), n, C, eps, relu);
  }
  // The fused ReLU clears negative values by their sign bit, and x86's default NaN is negative: an instance with a
  // NaN or ±Inf would come out as zeros, and training would go on silently. Its statistics are not finite then, so
  // such an instance is made NaN throughout, as tf.relu of the composition leaves it (the loss then turns NaN).
  for (let i = 0; i < B * C; i++) {
    if (Number.isFinite(mv[i]) && Number.isFinite(vv[i])) continue;
    const s = Math.floor(i / C);
    const c = i % C;
    for (let p = s * len + c; p < (s + 1) * len; p += C) yv[p] = NaN;
  }
  return [y, mean, variance];
};

const gradX = (mem: MemoryKind) => (args: KernelArgs) => {
  const b = tensorMemory(mem, args.backend);
  const native = nativeBatchNorm(mem);
  const { x, mean, variance, dy, y } = args.inputs;
  const { eps, relu } = args.attrs as { eps: number; relu: boolean };
  const { B, n, C } = shapeOf(x, IN_GRAD_X);
  const dx = b.alloc(x.shape);
  const [xv, mv, vv, dyv, dxv] = [x, mean, variance, dy, dx].map(b.view);
  const yv = relu ? b.view(y) : undefined;
  const ones = new Float32Array(C).fill(1);
  // The statistics are not outputs of the public op: no gradient reaches them.
  const zeros = new Float32Array(C);
  const len = n * C;
  for (let s = 0; s < B; s++) {
    const rows = (v: Float32Array) => v.subarray(s * len, (s + 1) * len);
    const chans = (v: Float32Array) => v.subarray(s * C, (s + 1) * C);
    bnGradXOn(native, rows(xv), ones, chans(mv), chans(vv), rows(dyv), zeros, zeros, rows(dxv), n, C, eps, yv && rows(yv));
  }
  return dx;
};

const registered = new Set<MemoryKind>();
/** Register the kernels for `mem`'s backend, and the (global) gradient (idempotent). */
export function registerInstanceNormTrain(mem: MemoryKind): void {
  if (registered.has(mem)) return;
  registered.add(mem);
  for (const [kernelName, fn] of [[IN_TRAIN, forward], [IN_GRAD_X, gradX]] as const) {
    if (tf.getKernel(kernelName, BACKEND_OF[mem]) == null) {
      tf.registerKernel({ kernelName, backendName: BACKEND_OF[mem], kernelFunc: fn(mem) as unknown as KernelFunc });
    }
  }
  if (tf.getGradient(IN_TRAIN) != null) return;
  tf.registerGradient({
    kernelName: IN_TRAIN,
    inputsToSave: ['x'],
    // y only for the ReLU mask; the statistics for the gradient.
    outputsToSave: [true, true, true],
    gradFunc: (dys: tf.Tensor | tf.Tensor[], saved: tf.Tensor[], attrs: NamedAttrMap) => {
      const [dy] = dys as tf.Tensor[];
      const [x, y, mean, variance] = saved;
      return { x: () => tf.engine().runKernel(IN_GRAD_X, { x, mean, variance, dy, y }, attrs) as tf.Tensor };
    },
  });
}

/** The tf-ops composition (any backend): relu?((x − mean)/√(var + eps)) with tf.moments over H and W. */
export function instanceNormOps(x: tf.Tensor4D, eps = 1e-5, opts: { relu?: boolean } = {}): tf.Tensor4D {
  return tf.tidy(() => {
    const { mean, variance } = tf.moments(x, [1, 2], true);
    const y = tf.div(tf.sub(x, mean), tf.sqrt(tf.add(variance, eps))) as tf.Tensor4D;
    return opts.relu ? tf.relu(y) : y;
  });
}

/**
 * Instance norm (no affine), with the ReLU fused when `relu`. One kernel on wasm and host (forward in training and
 * inference alike: instance norm has no running statistics); the composition elsewhere.
 */
export function instanceNormTrain(x: tf.Tensor4D, eps = 1e-5, opts: { relu?: boolean } = {}): tf.Tensor4D {
  if (x.rank !== 4) throw new Error(`instanceNormTrain: x must be [B,H,W,C], got [${x.shape}]`);
  if (x.dtype !== 'float32') throw new Error(`instanceNormTrain: x must be float32, got ${x.dtype}`);
  const mem = memoryKindOf(tf.getBackend());
  if (mem == null) return instanceNormOps(x, eps, opts);
  registerInstanceNormTrain(mem);
  const [y, mean, variance] = tf.engine().runKernel(IN_TRAIN, { x }, { eps, relu: opts.relu ?? false }) as tf.Tensor[];
  // The statistics are internal (saved for the gradient); tfjs keeps them alive while the tape needs them.
  tf.dispose([mean, variance]);
  return y as tf.Tensor4D;
}
