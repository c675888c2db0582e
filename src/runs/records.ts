/**
 * The records of a run folder `results/runs/<experiment>/<arm>-s<seed>/`, one type per file. Only src/runs/folder.ts
 * reads and writes them; everything else passes these typed records in and gets them back.
 */
import type { AugmentConfig } from '../data/augment';
import type { SyntheticConfig } from '../data/synthetic/config';
import type { EvalResult, LandmarkDistributionStats } from '../eval/evaluate';
import type { HourglassConfig } from '../model/config';
import type { Profile } from '../config/profile';
import type { PredictionRecords } from '../analysis/prediction-records';
import type { Provenance } from './provenance';

/**
 * config.json: what shaped the run, written when it starts. `arm` and `train` hold the experiment's whole arm spec
 * and resolved training config (experiments/spec.ts, train/trainer.ts sit above this module); readers may rely on
 * the fields named here.
 */
export interface RunConfig {
  experiment: string;
  arm: { id: string; label: string };
  seed: number;
  profile: Profile;
  data: SyntheticConfig;
  model: HourglassConfig;
  train: { seed: number; steps: number; batchSize: number };
  /** The loss as a sentence (train/objective.ts describeLoss). */
  loss: string;
  augment: Partial<AugmentConfig>;
}

/**
 * env.json: where the run last started (runs/environment.ts runEnvironment: backend, threads, kernels, versions) and its
 * provenance. Runs recorded before provenance existed carry `gitCommit` (short) instead; readProvenance reads both.
 */
export type RunEnvironment = Record<string, unknown> & { gitCommit?: string; provenance?: Provenance };

/** The Slurm array task a process runs in (from SLURM_* variables). */
export interface SlurmTask {
  jobId: string;
  arrayJobId?: string;
  arrayTaskId?: string;
}

/** Which process, where: in lock files and start records. */
export interface ProcessRecord {
  host: string;
  pid: number;
  slurm?: SlurmTask;
}

/**
 * provenance.jsonl, one line per start of the run: a fresh start, a resume from the checkpoint, or a restart that
 * discarded a checkpoint written by other code or kernels. env.json keeps only the last start; this keeps them all.
 */
export interface RunStartRecord extends ProcessRecord {
  event: 'start' | 'resume' | 'restart';
  /** The step training continues from (0 for start and restart). */
  step: number;
  /** ISO time. */
  time: string;
  provenance: Provenance;
}

/** progress.json: where training is, rewritten at every logged step (for `star experiment --status`). */
export interface ProgressRecord {
  step: number;
  total: number;
  msPerStep: number;
  etaSeconds: number;
  loss?: number;
  valNme?: number;
  /** Wall clock, ms since the epoch. */
  time: number;
}

/** summary.json: the run's final numbers. Its presence marks the run as finished. */
export interface RunSummary {
  experiment: string;
  arm: string;
  armLabel: string;
  loss: string;
  seed: number;
  profile: Profile;
  /** Always 'synthetic benchmark' here: no run of this project trains on the paper's datasets. */
  measuredOn: string;
  steps: number;
  bestStep: number;
  bestValNme: number | null;
  /** Decoder of the headline numbers: soft-argmax (official) for STAR and coordinate losses, argmax for heatmap regression. */
  decoder: 'soft-argmax' | 'argmax-subpixel';
  test: Pick<EvalResult, 'labels' | 'clean' | 'perSubset' | 'perSubsetClean' | 'threshold' | 'normalisation'>;
  /** The same test set decoded by soft-argmax, for every method. */
  testSoftArgmax: Pick<EvalResult, 'labels' | 'clean'>;
  msPerStep: number;
  wallSeconds: number;
  backend: string;
  threads: number;
  finalLoss: number | null;
  /** Set when the run was copied from an identical run of another experiment (path relative to the results root). */
  reusedFrom?: string;
}

/** test-nme.json: per test image NME against the labels and, where the set has it, the clean truth. */
export interface TestNmeRecord {
  ids: string[];
  nme: number[];
  nmeClean?: number[];
}

/** predictions.json: a sample of predicted landmarks. */
export interface PredictionsRecord {
  note: string;
  ids: string[];
  /** Per face, per landmark (x, y) in crop pixels of the evaluation crop. */
  landmarks?: number[][][];
}

/** distribution-stats.json: per-landmark statistics of the predicted distributions on the test set (null: none). */
export type DistributionStatsRecord = LandmarkDistributionStats | null;

/**
 * prediction-records.bin (the first COMMITTED_RECORD_FACES test faces, committed) and prediction-records-full.bin
 * (every test face, local): per face × landmark λmax, λmin, major axis, error of the decoded prediction vs the truth
 * and the true tangent's direction; per face NME, IOD, attributes, generator parameters. Units: RECORD_UNITS
 * (heatmap px). Stored by runs/prediction-records.ts (float16 columns + a JSON header).
 */
export type PredictionRecordsRecord = PredictionRecords;

/** metrics.jsonl, one line per logged step: the mean training loss since the previous line. */
export interface LossRecord {
  step: number;
  loss: number;
  lr: number;
  /** Wall clock, ms since the epoch. */
  time: number;
}

/** metrics.jsonl, one line per validation. */
export interface ValidationRecord {
  step: number;
  val: { nme: number; [metric: string]: number };
}

export type MetricsRecord = LossRecord | ValidationRecord;

/** eigen.jsonl, one line per statistics step: mean predicted eigenvalues per facial part (`<part>.lambdaMin|Max`). */
export interface EigenRecord {
  step: number;
  [stat: string]: number;
}
