/**
 * The training kernels of the host backend (src/host-backend.ts): the same kernels as the wasm 'all' set, written once
 * against tensor memory (src/kernels/memory.ts), on top of the stock cpu kernels the host backend carries, plus
 * broadcasting Add/Sub/Multiply/RealDiv/Pow (src/kernels/broadcast.ts), which only the cpu kernels need, and
 * elementwise unary kernels whose outputs come from recycled buffers (src/kernels/unary.ts). Not ported: wasm's
 * copy-free Identity (the cpu backend's Identity already shares its buffer). What each one saved in a paper-preset
 * step: packages/tfjs-wasm-train/README.md, "host backend".
 */
import * as tf from '@tensorflow/tfjs-core';
import type { KernelConfig } from '@tensorflow/tfjs-core';
import type { NativeKernels } from '../native-addon';
import { makeNativeConv } from './native-conv';
import { makeMaxPoolGrad } from './max-pool-grad';
import { makeNativeMaxPool } from './max-pool';
import { makeNativeUpsample } from './upsample';
import { makeUpsampleGrad } from './upsample-grad';
import { nativeSameShapeAdd } from './add';
import { BROADCAST_OPS, makeBroadcastKernel } from './broadcast';
import { makeTile } from './tile';
import { makeUnaryKernel, UNARY_OPS } from './unary';
import { makeMean, makeSum } from './reduce';
import { CHANNEL_DOT, makeChannelDotCentered } from './batch-norm-grad';
import { makeReluGradKernel, RELU_GRAD } from './relu-grad';
import { useLeanGradients } from './register';
import { registerBatchNormTrain, useNativeBatchNorm } from '../ops/batch-norm';
import { useNativeConvBias } from '../ops/conv-bias';
import { registerAdamKernel } from '../ops/adam-fused';

export const HOST = 'host';

/** The stock (cpu) kernel the host backend carries for `name`, before any of ours replaced it. */
const stock = new Map<string, KernelConfig>();

function replace(name: string, config: KernelConfig): void {
  if (!stock.has(name)) {
    const c = tf.getKernel(name, HOST);
    if (c == null) throw new Error(`host backend: no stock '${name}' kernel to build on (registerHostBackend first)`);
    stock.set(name, c);
  }
  if (tf.getKernel(name, HOST) != null) tf.unregisterKernel(name, HOST);
  tf.registerKernel(config);
}

/**
 * Register our kernels on the host backend, over the addon `nat` (null: the JS loops where we have them, the stock cpu
 * kernels elsewhere). Returns the names of the kernels now ours, as BackendInfo.customKernels. Idempotent; a second
 * call with another `nat` rebuilds every kernel from the stock ones.
 */
export function registerHostTrainingKernels(nat: NativeKernels | null): string[] {
  const ours: string[] = [];
  const base = (name: string) => stock.get(name) ?? tf.getKernel(name, HOST)!;
  const put = (name: string, make: (stockConfig: KernelConfig) => KernelConfig, native: boolean) => {
    replace(name, make(base(name)));
    ours.push(native ? `${name}(native)` : name);
  };
  if (nat) {
    for (const kind of [tf.Conv2D, tf.Conv2DBackpropFilter, tf.Conv2DBackpropInput] as const) put(kind, (s) => makeNativeConv(kind, s, nat, 'host'), true);
  } else {
    // Back to the stock kernels (a later call without the addon).
    for (const name of [tf.Conv2D, tf.Conv2DBackpropFilter, tf.Conv2DBackpropInput]) if (stock.has(name)) replace(name, stock.get(name)!);
  }
  // Add: the native same-shape sum first (with the addon), then the broadcast loops.
  for (const op of BROADCAST_OPS) {
    const first = op === 'Add' && nat ? nativeSameShapeAdd(nat, 'host') : undefined;
    put(op, (s) => makeBroadcastKernel(op, s, 'host', first), first != null);
  }
  for (const op of UNARY_OPS) put(op, (s) => makeUnaryKernel(op, s, 'host'), false);
  put(tf.Tile, (s) => makeTile('host', s), false);
  put(tf.Sum, (s) => makeSum('host', s), false);
  put(tf.Mean, (s) => makeMean('host', s), false);
  put(tf.MaxPoolGrad, () => makeMaxPoolGrad(nat, 'host'), nat != null);
  for (const [name, make] of [[tf.MaxPool, makeNativeMaxPool], [tf.ResizeNearestNeighbor, makeNativeUpsample]] as const) {
    if (nat) put(name, (s) => make(s, nat, 'host'), true);
    else if (stock.has(name)) replace(name, stock.get(name)!);
  }
  put(tf.ResizeNearestNeighborGrad, (s) => makeUpsampleGrad(s, nat, 'host'), nat != null);
  useNativeBatchNorm(nat, 'host');
  registerBatchNormTrain('host');
  useNativeConvBias(nat, 'host');
  if (tf.getKernel(RELU_GRAD, HOST) != null) tf.unregisterKernel(RELU_GRAD, HOST);
  tf.registerKernel(makeReluGradKernel(nat, 'host'));
  if (tf.getKernel(CHANNEL_DOT, HOST) == null) tf.registerKernel(makeChannelDotCentered('host'));
  registerAdamKernel();
  const fused = nat ? ['BatchNormTrain(native)', 'Conv2DBias(native)', 'ReluGrad(native)'] : ['BatchNormTrain'];
  return [...ours, ...fused, 'AdamUpdate', ...useLeanGradients(true)];
}
