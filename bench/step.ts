/**
 * One training step as the trainer does it (src/train/trainer.ts): gradients of the objective w.r.t. all trainable
 * parameters, the project's PyTorch-exact Adam, then the batch-norm running-statistics updates. The loss is read
 * back every step (the benchmark must time finished work: wasm runs synchronously, but the read makes it explicit).
 */
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-core/dist/register_all_gradients';
import { Adam } from '../src/train/adam';
import { FusedAdam } from '../src/backend/ops/adam-fused';
import type { ForwardContext } from '../src/model/layers';
import { benchLoss, type BenchModel } from './nets';

export interface Stepper {
  /** One step on device tensors; resolves to the loss value. Leaves no tensors behind. */
  step(images: tf.Tensor4D, target: tf.Tensor4D): Promise<number>;
  dispose(): void;
}

/** 'project': src/train/adam.ts (what training uses today); 'fused': src/backend/ops/adam-fused.ts (proposed). */
export type AdamKind = 'project' | 'fused';

export function makeStepper(model: BenchModel, opts: { lr?: number; adam?: AdamKind } = {}): Stepper {
  const lr = opts.lr ?? 1e-3;
  const adam = opts.adam === 'fused' ? new FusedAdam(model.params) : new Adam(model.params);
  const byTfName = new Map<string, string>();
  for (const [name, v] of model.params) byTfName.set(v.name, name);
  const varList = [...model.params.values()];
  return {
    async step(images, target) {
      const ctx: ForwardContext = { training: true, bnUpdates: [] };
      const { value, grads } = tf.variableGrads(() => benchLoss(model, images, target, ctx), varList);
      const named = new Map<string, tf.Tensor>();
      for (const [tfName, g] of Object.entries(grads)) named.set(byTfName.get(tfName)!, g);
      adam.apply(named, lr);
      for (const g of Object.values(grads)) g.dispose();
      for (const [v, t] of ctx.bnUpdates) {
        v.assign(t);
        t.dispose();
      }
      const loss = (await value.data())[0];
      value.dispose();
      if (!Number.isFinite(loss)) throw new Error(`${model.id}: loss is ${loss}`);
      return loss;
    },
    dispose: () => adam.dispose(),
  };
}
