/**
 * One small deterministic training job shared by a test and its child process (test/helpers/crash-child.ts): the same
 * model, batches, configuration and hooks in both, so an interrupted run can be compared with an uninterrupted one.
 */
import * as tf from '@tensorflow/tfjs-core';
import { buildHourglass, type HourglassModel } from '../../src/model/hourglass';
import { modelConfig } from '../../src/model/config';
import { train, type BatchProvider, type TrainConfig, type TrainHooks, type TrainResult } from '../../src/train/trainer';
import type { Batch } from '../../src/data/loader';
import { makeObjective } from '../../src/train/objective';
import { Rng } from '../../src/util/random';

/** A checkpoint every 4 steps, a log line every 3: a checkpoint falls inside a log window. */
export const RESUME_CFG: Partial<TrainConfig> = { steps: 10, batchSize: 2, checkpointEvery: 4, logEvery: 3, statsEvery: 2, evalEvery: 2, ema: { decay: 0.5 } };

function batches(): BatchProvider {
  const S = 64, N = 98, B = 2;
  return {
    async get(step: number): Promise<Batch> {
      const r = Rng.derive(21, step);
      const images = Float32Array.from({ length: B * S * S * 3 }, () => r.uniform(-1, 1));
      const targets = Float32Array.from({ length: B * N * 2 }, () => r.uniform(-0.6, 0.6));
      return { size: B, indices: new Int32Array(B), images, targets, visible: new Float32Array(B * N).fill(1) };
    },
    async close() {},
  };
}

const quiet = { update() {}, message() {}, done() {} };

/** A number that depends on every weight: the "validation NME" of this job (deterministic, cheap). */
function weightSum(model: HourglassModel): number {
  return tf.tidy(() => tf.addN([...model.params.trainable.values()].map((v) => tf.sum(tf.abs(v)))).dataSync()[0]);
}

/** Train the shared job in `dir` (resuming from its checkpoint when there is one). */
export async function trainResumeJob(dir: string, hooks: TrainHooks = {}): Promise<{ result: TrainResult; model: HourglassModel }> {
  const model = buildHourglass(modelConfig('cpu-tiny'), { seed: 3 });
  const result = await train(model, makeObjective({ kind: 'star' }), batches(), dir, RESUME_CFG, {
    progress: quiet, handleSignals: false,
    validate: async (m) => ({ nme: weightSum(m) }),
    outputStats: (out) => ({ heat: tf.tidy(() => tf.mean(out.heatmaps[out.heatmaps.length - 1]).dataSync()[0]) }),
    ...hooks,
  });
  return { result, model };
}
