/**
 * One training step exactly as the trainer runs it: src/train/step.ts (gradients w.r.t. all trainable parameters,
 * optimizer update, batch-norm running statistics) on the benchmark objective. The loss is read back every step
 * (the benchmark must time finished work: wasm runs synchronously, but the read makes it explicit).
 */
import * as tf from '@tensorflow/tfjs-core';
import { Adam } from '../src/train/adam';
import { makeGradientStep } from '../src/train/step';
import { benchLoss, type BenchModel } from './nets';

export interface Stepper {
  /** One step on device tensors; resolves to the loss value. Leaves no tensors behind. */
  step(images: tf.Tensor4D, target: tf.Tensor4D): Promise<number>;
  dispose(): void;
}

/**
 * 'trainer': what src/train/adam.ts picks by itself, i.e. what training runs (the fused kernel where the backend has it);
 * 'ops': the op-by-op update; 'fused': the fused kernel (packages/tfjs-wasm-train/src/ops/adam-fused.ts), required.
 */
export type AdamKind = 'trainer' | 'ops' | 'fused';

export function makeStepper(model: BenchModel, opts: { lr?: number; adam?: AdamKind } = {}): Stepper {
  const lr = opts.lr ?? 1e-3;
  const adam = new Adam(model.params, undefined, { fused: opts.adam === 'ops' ? false : opts.adam === 'fused' ? true : undefined });
  const gradientStep = makeGradientStep(model.params, adam);
  return {
    async step(images, target) {
      const value = gradientStep((ctx) => benchLoss(model, images, target, ctx), lr);
      const loss = (await value.data())[0];
      value.dispose();
      if (!Number.isFinite(loss)) throw new Error(`${model.id}: loss is ${loss}`);
      return loss;
    },
    dispose: () => adam.dispose(),
  };
}
