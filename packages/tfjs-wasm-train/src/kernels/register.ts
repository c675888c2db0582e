/**
 * Install our wasm training kernels, replacing stock ones where needed, and switch back (the benchmark compares
 * kernel sets in one code base, each in its own process).
 */
import * as tf from '@tensorflow/tfjs-core';
import type { GradConfig, KernelConfig } from '@tensorflow/tfjs-core';
import { makeConv2DBackpropFilter } from './conv2d-backprop-filter';
import { makeConv2DBackpropInput } from './conv2d-backprop-input';
import { makeMaxPoolGrad } from './max-pool-grad';
import { makeUpsampleGrad } from './upsample-grad';
import { makeNativeAdd } from './add';
import { makeTile } from './tile';
import { makeIdentity } from './identity';
import { makeMean, makeSum } from './reduce';
import { CHANNEL_DOT, leanFusedBatchNormGrad, makeChannelDotCentered } from './batch-norm-grad';
import { leanMeanGrad, leanSumGrad } from './reduce-grad';
import { makeNativeConv } from './native-conv';
import { leanReluGrad, makeReluGradKernel, RELU_GRAD } from './relu-grad';
import { nativeKernels, type NativeKernels } from '../native-addon';
import { useNativeBatchNorm } from '../ops/batch-norm';
import { useNativeConvBias } from '../ops/conv-bias';

const NATIVE_NAMES: string[] = [tf.Conv2D, tf.Conv2DBackpropFilter, tf.Conv2DBackpropInput, tf.MaxPoolGrad, tf.ResizeNearestNeighborGrad, tf.Add];

/**
 * - 'all': everything below.
 * - 'conv': Conv2DBackpropFilter (missing in stock), fast Conv2DBackpropInput, correct MaxPoolGrad (the first set;
 *   kept so the benchmark can show what the later kernels add).
 * - 'missing-only': only Conv2DBackpropFilter; the stock (slow) input gradient and (buggy) MaxPoolGrad stay.
 * - 'none': stock kernels only (conv nets cannot train).
 * 'all' adds copy-free Identity, block-copy Tile, transpose-free Sum/Mean over leading/middle axes, and lean
 * gradients for FusedBatchNorm, Mean and Sum (batch-norm-grad.ts, reduce-grad.ts; gradients are global, not per
 * backend, so they are swapped in and out with the set — same partial derivatives, fewer full-size tensors).
 * With the native addon, 'all' also runs in native code: Conv2D and both conv gradients, MaxPoolGrad, the
 * power-of-two nearest up-sampling gradient, same-shape Add, training batch norm, conv + bias and the ReLU gradient.
 */
export type WasmKernelSet = 'all' | 'conv' | 'missing-only' | 'none';
export const WASM_KERNEL_SETS: readonly WasmKernelSet[] = ['all', 'conv', 'missing-only', 'none'];

/** A maker returns our kernel (given the native addon when the set uses it), or undefined to keep the stock one. */
type Maker = (nat: NativeKernels | null) => KernelConfig | undefined;
const MAKERS: Array<[string, Maker]> = [
  [tf.Conv2DBackpropFilter, (nat) => withNative(tf.Conv2DBackpropFilter, makeConv2DBackpropFilter(), nat)],
  [tf.Conv2DBackpropInput, (nat) => withNative(tf.Conv2DBackpropInput, makeConv2DBackpropInput(), nat)],
  [tf.MaxPoolGrad, (nat) => makeMaxPoolGrad(nat)],
  [tf.Identity, makeIdentity],
  [tf.Tile, () => makeTile()],
  [tf.Sum, () => makeSum()],
  [tf.Mean, () => makeMean()],
  [tf.Conv2D, (nat) => (nat ? makeNativeConv(tf.Conv2D, stock.get(tf.Conv2D)!, nat) : undefined)],
  [tf.ResizeNearestNeighborGrad, (nat) => (nat ? makeUpsampleGrad(stock.get(tf.ResizeNearestNeighborGrad)!, nat) : undefined)],
  [tf.Add, (nat) => (nat ? makeNativeAdd(stock.get(tf.Add)!, nat) : undefined)],
];
const COUNT: Record<WasmKernelSet, number> = { all: MAKERS.length, conv: 3, 'missing-only': 1, none: 0 };

function withNative(kind: 'Conv2DBackpropFilter' | 'Conv2DBackpropInput', wasm: KernelConfig, nat: NativeKernels | null): KernelConfig {
  return nat ? makeNativeConv(kind, wasm, nat) : wasm;
}

const stock = new Map<string, KernelConfig | undefined>();
/** Gradients we replace (global registry, not per backend): kernel name -> our version built from the stock one. */
const GRADS: Array<[string, (stock: GradConfig) => GradConfig]> = [
  [tf.FusedBatchNorm, leanFusedBatchNormGrad],
  [tf.Mean, () => leanMeanGrad()],
  [tf.Sum, () => leanSumGrad()],
  [tf.Relu, () => leanReluGrad()],
];
const stockGrads = new Map<string, GradConfig>();

/**
 * Install our lean gradients (`on`) or put tfjs-core's back. Gradients are global, not per backend: the wasm 'all'
 * set and the host backend both install them; another wasm set removes them for every backend (the stock ones compute
 * the same partial derivatives, with more kernels).
 */
export function useLeanGradients(on: boolean): string[] {
  for (const [n, lean] of GRADS) {
    if (!stockGrads.has(n)) {
      const g = tf.getGradient(n);
      if (g == null) throw new Error(`lean gradients: no ${n} gradient registered (import register_all_gradients first)`);
      stockGrads.set(n, g);
    }
    const stockGrad = stockGrads.get(n)!;
    tf.registerGradient(on ? lean(stockGrad) : stockGrad);
  }
  return on ? GRADS.map(([n]) => `${n}(grad)`) : [];
}

function swap(config: KernelConfig | undefined, name: string): void {
  if (tf.getKernel(name, 'wasm') != null) tf.unregisterKernel(name, 'wasm');
  if (config != null) tf.registerKernel(config);
}

/**
 * Returns the names of the kernels now served by our implementations. Idempotent. With `native` (the default when
 * the addon is built, see native-addon.ts) the 'all' set runs convolutions and batch norm in native code.
 */
export function registerWasmTrainingKernels(set: WasmKernelSet = 'all', native: NativeKernels | null = nativeKernels().kernels): string[] {
  if (!(set in COUNT)) throw new Error(`registerWasmTrainingKernels: kernel set "${set}" is not one of ${WASM_KERNEL_SETS.join(', ')}`);
  const names = MAKERS.map(([n]) => n);
  for (const n of names) if (!stock.has(n)) stock.set(n, tf.getKernel(n, 'wasm'));
  // Our kernels are built from (and fall back to) the *stock* kernels: put every stock kernel back first.
  for (const n of names) swap(stock.get(n), n);
  const chosen = MAKERS.slice(0, COUNT[set]);
  const nat = set === 'all' ? native : null;
  // Build all before registering any, so no maker captures one of ours as "stock".
  const configs = chosen.map(([n, make]) => [n, make(nat)] as const).filter(([, c]) => c !== undefined);
  for (const [n, c] of configs) swap(c, n);
  useNativeBatchNorm(nat);
  useNativeConvBias(nat);
  if (tf.getKernel(RELU_GRAD, 'wasm') != null) tf.unregisterKernel(RELU_GRAD, 'wasm');
  tf.registerKernel(makeReluGradKernel(nat));
  if (tf.getKernel(CHANNEL_DOT, 'wasm') == null) tf.registerKernel(makeChannelDotCentered());
  const grads = useLeanGradients(set === 'all');
  const ours = configs.map(([n]) => (nat && NATIVE_NAMES.includes(n) ? `${n}(native)` : n));
  const bn = nat ? ['BatchNormTrain(native)', 'Conv2DBias(native)'] : [];
  return set === 'all' ? [...ours, ...bn, ...grads] : ours;
}
