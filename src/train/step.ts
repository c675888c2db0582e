/**
 * One optimisation step, shared by the trainer and the benchmarks so that what is timed is what trains: gradients of
 * the objective w.r.t. every trainable parameter, the optimizer update, then the batch-norm running-statistics
 * updates collected during the forward pass. Returns the loss tensor (the caller decides when to read it).
 */
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-core/dist/register_all_gradients';
import { applyBatchNormUpdates, type ForwardContext } from '../model/layers';

export interface Optimizer {
  apply(grads: Map<string, tf.Tensor>, lr: number): void;
}

export interface StepFunction {
  (loss: (ctx: ForwardContext) => tf.Scalar, lr: number): tf.Scalar;
}

/** Build a step function over a named parameter map (logical name -> variable). */
export function makeGradientStep(params: Map<string, tf.Variable>, optimizer: Optimizer): StepFunction {
  const byTfName = new Map<string, string>();
  for (const [name, v] of params) byTfName.set(v.name, name);
  const varList = [...params.values()];
  return (loss, lr) => {
    const ctx: ForwardContext = { training: true, bnUpdates: [] };
    const { value, grads } = tf.variableGrads(() => loss(ctx), varList);
    const named = new Map<string, tf.Tensor>();
    for (const [tfName, g] of Object.entries(grads)) named.set(byTfName.get(tfName)!, g);
    optimizer.apply(named, lr);
    for (const g of Object.values(grads)) g.dispose();
    applyBatchNormUpdates(ctx.bnUpdates);
    return value;
  };
}
