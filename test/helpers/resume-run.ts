/**
 * One small deterministic training job shared by a test and its child process (test/helpers/crash-child.ts): the same
 * model, batches, configuration and hooks in both, so an interrupted run can be compared with an uninterrupted one.
 */
import * as tf from '@tensorflow/tfjs-core';
import { buildHourglass, type HourglassModel } from '../../src/model/hourglass';
import { modelConfig } from '../../src/model/config';
import { train, type TrainConfig, type TrainHooks, type TrainResult } from '../../src/train/trainer';
import { quietProgress, randomBatches } from './random-batches';
import { makeObjective } from '../../src/train/objective';

/** A checkpoint every 4 steps, a log line every 3: a checkpoint falls inside a log window. */
export const RESUME_CFG: Partial<TrainConfig> = { steps: 10, batchSize: 2, checkpointEvery: 4, logEvery: 3, statsEvery: 2, evalEvery: 2, ema: { decay: 0.5 } };


/** A number that depends on every weight: the "validation NME" of this job (deterministic, cheap). */
function weightSum(model: HourglassModel): number {
  return tf.tidy(() => tf.addN([...model.params.trainable.values()].map((v) => tf.sum(tf.abs(v)))).dataSync()[0]);
}

/** Train the shared job in `dir` (resuming from its checkpoint when there is one). */
export async function trainResumeJob(dir: string, hooks: TrainHooks = {}): Promise<{ result: TrainResult; model: HourglassModel }> {
  const model = buildHourglass(modelConfig('cpu-tiny'), { seed: 3 });
  const result = await train(model, makeObjective({ kind: 'star' }), randomBatches(21), dir, RESUME_CFG, {
    progress: quietProgress, handleSignals: false,
    validate: async (m) => ({ nme: weightSum(m) }),
    outputStats: (out) => ({ heat: tf.tidy(() => tf.mean(out.heatmaps[out.heatmaps.length - 1]).dataSync()[0]) }),
    ...hooks,
  });
  return { result, model };
}
