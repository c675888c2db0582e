/**
 * Train a model on datasets and evaluate it: the one path shared by experiment runs (synthetic benchmark,
 * src/experiments/run.ts) and `star train` on a user's own data (src/train/own-data.ts). Validation-selected weights
 * (`best/`) give the final numbers; each method is decoded with its stated decoder and also by soft-argmax.
 */
import * as fs from 'fs';
import * as tf from '@tensorflow/tfjs-core';
import type { AugmentConfig } from '../data/augment';
import { createCodec } from '../data/codec';
import type { FaceDataset } from '../data/dataset';
import type { LandmarkScheme } from '../data/schemes';
import { evaluate, type EvalResult } from '../eval/evaluate';
import { heatmapDistributionEigen } from '../geometry/distribution';
import type { HourglassConfig } from '../model/config';
import { buildHourglass, type HourglassOutput } from '../model/hourglass';
import { assignVariables, checkpointExists, loadCheckpoint } from '../model/checkpoint';
import { loaderBatchProvider } from './loader-batches';
import { decoderFor, makeObjective, needsHeatmapTargets, type LossSpec } from './objective';
import { createProgress } from './progress';
import { train, type ProgressReporterLike, type TrainConfig, type TrainResult } from './trainer';
import { trainingLog } from '../runs/folder';

export interface FitJob {
  /** Run folder: the trainer keeps its checkpoints and logs there (runs/folder.ts trainingLog). */
  dir: string;
  /** Shown on the progress line. */
  label: string;
  scheme: LandmarkScheme;
  trainSet: FaceDataset;
  valSet: FaceDataset;
  /** Evaluated with the selected weights when given. */
  testSet?: FaceDataset;
  model: HourglassConfig;
  train: TrainConfig;
  loss: LossSpec;
  augment: Partial<AugmentConfig>;
  /** Validation faces per evaluation (the first N). Default 200. */
  valLimit?: number;
  /** Loader worker threads (default 1: the other core trains). */
  workers?: number;
  progress?: ProgressReporterLike;
  handleSignals?: boolean;
  /** Stop after this many steps (tests simulate a kill with it). */
  stopAfter?: number;
}

export interface FitResult {
  result: TrainResult;
  decoder: 'soft-argmax' | 'argmax-subpixel';
  /** Test set with the method's decoder (with per-landmark distributions, per-prediction records and the predictions). */
  test?: EvalResult;
  /** Test set decoded by soft-argmax (the same object as `test` when that is the method's decoder). */
  testSoftArgmax?: EvalResult;
}

/** Train (resuming from `dir/checkpoint` when present) and evaluate; null when interrupted (checkpoint written). */
export async function fit(job: FitJob): Promise<FitResult | null> {
  const { scheme, model: mcfg } = job;
  if (mcfg.numPoints !== scheme.numPoints) throw new Error(`${job.label}: model has ${mcfg.numPoints} points, scheme ${scheme.name} has ${scheme.numPoints}`);
  fs.mkdirSync(job.dir, { recursive: true });
  // AAM models also learn point maps (the codec's Gaussian point maps) and edge maps (one per scheme edge group).
  const codec = createCodec(scheme, { inputSize: mcfg.inputSize, heatmapSize: mcfg.heatmapSize, edgeMaps: mcfg.aam });
  const model = buildHourglass(mcfg, { seed: job.train.seed, scheme });
  const batches = loaderBatchProvider(job.trainSet, {
    codec, augment: job.augment, seed: job.train.seed, batchSize: job.train.batchSize, heatmaps: needsHeatmapTargets(job.loss),
    aam: mcfg.aam, workers: job.workers ?? 1,
  });
  const progress = job.progress ?? createProgress();
  const valLimit = Math.min(job.valSet.length, job.valLimit ?? 200);
  const decoder = decoderFor(job.loss);
  let result: TrainResult;
  try {
    result = await train(model, makeObjective(job.loss), batches, job.dir, job.train, {
      validate: async (m) => {
        const r = await evaluate(m, job.valSet, { codec, limit: valLimit, decode: decoder });
        return { nme: r.labels.nme, fr: r.labels.fr, auc: r.labels.auc };
      },
      outputStats: (out) => partEigenStats(out, scheme),
      progress: {
        update: (i) => progress.update({ ...i, label: job.label }),
        message: (t) => progress.message(`${job.label}: ${t}`),
        done: () => progress.done(),
      },
      handleSignals: job.handleSignals,
      stopAfter: job.stopAfter,
    });
  } finally {
    await batches.close();
  }
  if (result.interrupted) {
    model.params.dispose();
    return null;
  }
  // Final numbers come from the validation-selected weights (the official code selects on the test set; we do not).
  const bestDir = trainingLog(job.dir).bestDir;
  if (checkpointExists(bestDir)) {
    const best = loadCheckpoint(bestDir);
    assignVariables(model.params.all(), best.model, bestDir);
    best.model.forEach((t) => t.dispose());
  }
  const out: FitResult = { result, decoder };
  try {
    if (job.testSet) {
      out.test = await evaluate(model, job.testSet, { codec, distributions: true, records: true, keepPredictions: true, decode: decoder });
      out.testSoftArgmax = decoder === 'soft-argmax' ? out.test : await evaluate(model, job.testSet, { codec });
    }
  } finally {
    model.params.dispose();
  }
  return out;
}

/** Mean eigenvalues of the last stack's predicted distributions per facial part (for eigenvalue trajectories, eigen.jsonl). */
export function partEigenStats(out: HourglassOutput, scheme: LandmarkScheme): Record<string, number> {
  const heat = out.heatmaps[out.heatmaps.length - 1];
  const [lmin, lmax] = tf.tidy(() => {
    // ReLU, as the evaluation reads a map: a no-op for the official non-negative head; for a linear (heatmap-regression)
    // head it makes the logged moments those of a distribution (raw linear maps have negative mass and λ < 0).
    const d = heatmapDistributionEigen(tf.relu(heat) as tf.Tensor4D);
    return [tf.mean(d.lambdaMin, 0), tf.mean(d.lambdaMax, 0)];
  });
  const a: number[] = Array.from(lmin.dataSync() as Float32Array);
  const b: number[] = Array.from(lmax.dataSync() as Float32Array);
  lmin.dispose();
  lmax.dispose();
  const stats: Record<string, number> = {};
  for (const [part, idx] of Object.entries(scheme.parts)) {
    stats[`${part}.lambdaMin`] = idx.reduce((s, i) => s + a[i], 0) / idx.length;
    stats[`${part}.lambdaMax`] = idx.reduce((s, i) => s + b[i], 0) / idx.length;
  }
  stats['all.lambdaMin'] = a.reduce((s, v) => s + v, 0) / a.length;
  stats['all.lambdaMax'] = b.reduce((s, v) => s + v, 0) / b.length;
  return stats;
}

/** The kernel set of a run's provenance (runs/provenance.ts): what computed its numbers. */
