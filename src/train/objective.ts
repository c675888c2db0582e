/**
 * Training objectives by name: what an experiment arm optimises. The total is the official intermediate supervision
 * Σ_i 2^(i - stacks + 1) · L(stack i), plus, when the model has AAM heads, 10·AWing on point and edge maps per stack
 * (official loss weights [1, 10, 10] per stack).
 */
import * as tf from '@tensorflow/tfjs-core';
import { starLoss, STAR_LOSS_DEFAULTS, type StarLossOptions } from '../loss/star';
import { adaptiveWing, coordLoss, heatmapMse, type CoordDistance } from '../loss/baselines';
import type { HourglassModel, HourglassOutput } from '../model/hourglass';
import type { DeviceBatch, Objective } from './trainer';

export type LossSpec =
  | { kind: 'star'; options?: Omit<StarLossOptions, 'weights' | 'validate'> }
  | { kind: 'heatmap-mse' }
  | { kind: 'awing' }
  | { kind: 'coord'; distance: CoordDistance; /** ω·(λ1+λ2) value term (STAR's, without re-weighting); default 0. */ omega?: number };

/** The loss with every default filled in, so that equal losses written differently compare equal (run keys). */
export function canonicalLoss(spec: LossSpec): LossSpec {
  if (spec.kind === 'coord') return spec.omega ? { kind: 'coord', distance: spec.distance, omega: spec.omega } : { kind: 'coord', distance: spec.distance };
  if (spec.kind !== 'star') return spec;
  const { implementation: _impl, validate: _v, ...defaults } = STAR_LOSS_DEFAULTS;
  void _impl;
  void _v;
  const o = { ...defaults, ...spec.options };
  const options = Object.fromEntries(Object.keys(o).sort().map((k) => [k, (o as Record<string, unknown>)[k]]));
  return { kind: 'star', options: options as typeof spec.options };
}

/** Does this loss need Gaussian heatmap targets from the loader? */
export function needsHeatmapTargets(spec: LossSpec): boolean {
  return spec.kind === 'heatmap-mse' || spec.kind === 'awing';
}

export function describeLoss(spec: LossSpec): string {
  switch (spec.kind) {
    case 'star': {
      const o = spec.options ?? {};
      return `STAR(${o.distance ?? 'smoothl1'}, ω=${o.omega ?? 1}, detach=${o.detach ?? 'none'}${o.variant === 'v1' ? ', v1' : ''})`;
    }
    case 'heatmap-mse': return 'heatmap MSE';
    case 'awing': return 'AWing (heatmap)';
    case 'coord': return `coordinate ${spec.distance}${spec.omega ? ` + ${spec.omega}·(λ1+λ2)` : ''}`;
  }
}

/**
 * The heatmap head a loss needs: fixed-amplitude heatmap targets cannot be fitted through instance norm (the map
 * collapses to zeros), so heatmap-regression losses get a linear head (decoded by argmax); STAR and the coordinate
 * losses keep the official instance-norm + ReLU head (decoded by soft-argmax, as official).
 */
export function headFor(spec: LossSpec): 'in-relu' | 'linear' {
  return needsHeatmapTargets(spec) ? 'linear' : 'in-relu';
}

/** The decoder each method is reported with (soft-argmax is reported for every method too). */
export function decoderFor(spec: LossSpec): 'soft-argmax' | 'argmax-subpixel' {
  return needsHeatmapTargets(spec) ? 'argmax-subpixel' : 'soft-argmax';
}

/** AAM head weight in the official combination. */
export const AAM_HEAD_WEIGHT = 10;

export function makeObjective(spec: LossSpec): Objective {
  const perStack = (heat: tf.Tensor4D, batch: DeviceBatch): tf.Scalar => {
    switch (spec.kind) {
      case 'star':
        return starLoss(heat, batch.targets, { ...spec.options, weights: batch.visible });
      case 'heatmap-mse':
        return heatmapMse(heat, requireHeatmaps(batch));
      case 'awing':
        return adaptiveWing(heat, requireHeatmaps(batch));
      case 'coord':
        return coordLoss(heat, batch.targets, { distance: spec.distance, weights: batch.visible, omega: spec.omega });
    }
  };
  return (out: HourglassOutput, batch: DeviceBatch, model: HourglassModel): tf.Scalar => {
    let total: tf.Scalar = tf.scalar(0);
    out.heatmaps.forEach((heat, i) => {
      let l = tf.mul(perStack(heat, batch), model.stackWeights[i]) as tf.Scalar;
      if (out.pointmaps && out.edgemaps) {
        if (!batch.pointmaps || !batch.edgemaps) throw new Error('AAM model: the loader must provide point-map and edge-map targets');
        const aam = tf.add(adaptiveWing(out.pointmaps[i], batch.pointmaps), adaptiveWing(out.edgemaps[i], batch.edgemaps));
        l = tf.add(l, tf.mul(aam, AAM_HEAD_WEIGHT * model.stackWeights[i])) as tf.Scalar;
      }
      total = tf.add(total, l) as tf.Scalar;
    });
    return total;
  };
}

function requireHeatmaps(batch: DeviceBatch): tf.Tensor4D {
  if (!batch.heatmaps) throw new Error('this loss needs Gaussian heatmap targets: build the loader with heatmaps: true');
  return batch.heatmaps;
}
