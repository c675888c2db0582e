/**
 * The networks the training-step benchmark times, behind one interface: the 6-layer conv net (bench/convnet.ts) and
 * the project's stacked hourglass (src/model/hourglass.ts) at its CPU presets. bench/torch_nets.py builds the
 * same networks in PyTorch (same layers, shapes, padding, BN/IN placement), so ms/step compare like for like.
 *
 * A step's objective is the heatmap MSE to the loader's Gaussian targets, summed over stacks with the official
 * stack weights 2^(i - stacks + 1) (the convnet has one "stack" of weight 1).
 */
import * as tf from '@tensorflow/tfjs-core';
import { buildHourglass } from '../src/model/hourglass';
import { modelConfig, type PresetName } from '../src/model/config';
import type { ForwardContext } from '../src/model/layers';
import { heatmapMse } from '../src/loss/baselines';
import { buildConvNet } from './convnet';

export interface BenchModel {
  /** Bench id: 'convnet' | 'hg-cpu-tiny' | 'hg-cpu-128' | 'hg-cpu-small'. */
  id: string;
  /** Trainable parameters by logical name (what Adam updates). */
  params: Map<string, tf.Variable>;
  inputSize: number;
  heatmapSize: number;
  numPoints: number;
  /** Per-stack heatmaps [B,h,w,N] for images [B,S,S,3]; BN running-stat updates go to ctx.bnUpdates. */
  forward(images: tf.Tensor4D, ctx: ForwardContext): tf.Tensor4D[];
  /** Per-stack supervision weights (official 2^(i - stacks + 1)). */
  stackWeights: number[];
}

// hg-cpu-128: the ablation regime's preset (src/experiments/regime.ts), timed beside its PyTorch twin.
export const BENCH_MODEL_IDS = ['convnet', 'hg-cpu-tiny', 'hg-cpu-128', 'hg-cpu-small'] as const;
export type BenchModelId = (typeof BENCH_MODEL_IDS)[number];

export function buildBenchModel(id: string, seed = 1): BenchModel {
  if (id === 'convnet') {
    const net = buildConvNet({ inputSize: 128, seed });
    const params = new Map(net.variables.map((v, i) => [`convnet/${i}`, v] as [string, tf.Variable]));
    return {
      id, params, inputSize: 128, heatmapSize: 32, numPoints: 98, stackWeights: [1],
      forward: (x) => [net.forward(x)],
    };
  }
  const preset = id.startsWith('hg-') ? id.slice(3) : '';
  if (preset !== 'cpu-tiny' && preset !== 'cpu-128' && preset !== 'cpu-small') {
    throw new Error(`bench model "${id}" is unknown (known: ${BENCH_MODEL_IDS.join(', ')})`);
  }
  const cfg = modelConfig(preset as PresetName);
  const m = buildHourglass(cfg, { seed });
  return {
    id, params: m.params.trainable, inputSize: cfg.inputSize, heatmapSize: cfg.heatmapSize, numPoints: cfg.numPoints,
    stackWeights: m.stackWeights,
    forward: (x, ctx) => m.forward(x, ctx).heatmaps,
  };
}

/** The benchmark objective: Σ_i w_i · MSE(stack_i, target). */
export function benchLoss(model: BenchModel, images: tf.Tensor4D, target: tf.Tensor4D, ctx: ForwardContext): tf.Scalar {
  const outs = model.forward(images, ctx);
  let total = tf.mul(heatmapMse(outs[0], target), model.stackWeights[0]) as tf.Scalar;
  for (let i = 1; i < outs.length; i++) total = tf.add(total, tf.mul(heatmapMse(outs[i], target), model.stackWeights[i]));
  return total;
}

export function paramTotal(params: Map<string, tf.Variable>): number {
  let n = 0;
  for (const v of params.values()) n += v.size;
  return n;
}
