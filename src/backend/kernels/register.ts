/**
 * Install our wasm training kernels, replacing stock ones where needed, and switch back (the benchmark compares
 * "only the missing filter gradient" against "all replacements" in one process).
 */
import * as tf from '@tensorflow/tfjs-core';
import type { KernelConfig } from '@tensorflow/tfjs-core';
import { makeConv2DBackpropFilter } from './conv2d-backprop-filter';
import { makeConv2DBackpropInput } from './conv2d-backprop-input';
import { makeMaxPoolGrad } from './max-pool-grad';

/**
 * - 'all': Conv2DBackpropFilter (missing in stock), fast Conv2DBackpropInput, correct MaxPoolGrad.
 * - 'missing-only': only Conv2DBackpropFilter; the stock (slow) input gradient and (buggy) MaxPoolGrad stay.
 * - 'none': stock kernels only (conv nets cannot train).
 */
export type WasmKernelSet = 'all' | 'missing-only' | 'none';

const stock = new Map<string, KernelConfig | undefined>();

function swap(config: KernelConfig | undefined, name: string): void {
  if (tf.getKernel(name, 'wasm') != null) tf.unregisterKernel(name, 'wasm');
  if (config != null) tf.registerKernel(config);
}

/** Returns the names of the kernels now served by our implementations. Idempotent. */
export function registerWasmTrainingKernels(set: WasmKernelSet = 'all'): string[] {
  const names = [tf.Conv2DBackpropFilter, tf.Conv2DBackpropInput, tf.MaxPoolGrad];
  for (const n of names) if (!stock.has(n)) stock.set(n, tf.getKernel(n, 'wasm'));
  // Our kernels are built from the *stock* Conv2D etc.; make sure nothing of ours is in their place first.
  for (const n of names) swap(stock.get(n), n);
  if (set === 'none') return [];
  swap(makeConv2DBackpropFilter(), tf.Conv2DBackpropFilter);
  if (set === 'missing-only') return [tf.Conv2DBackpropFilter];
  swap(makeConv2DBackpropInput(), tf.Conv2DBackpropInput);
  swap(makeMaxPoolGrad(), tf.MaxPoolGrad);
  return [tf.Conv2DBackpropFilter, tf.Conv2DBackpropInput, tf.MaxPoolGrad];
}
