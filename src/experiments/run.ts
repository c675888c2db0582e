/**
 * One training run = one (experiment, arm, seed): data -> model -> train (validation-selected) -> test evaluation ->
 * `runs/<experiment>/<arm>-s<seed>/` with config, environment, metric logs, eigenvalue trajectories, summary, test
 * per-image NMEs, a sample of predictions and per-landmark distribution statistics. Checkpoints stay git-ignored.
 */
import * as fs from 'fs';
import * as path from 'path';
import { execSync } from 'child_process';
import { createHash } from 'crypto';
import { initBackend, backendInfo } from '../backend';
import { OFFICIAL_AUGMENT } from '../data/augment';
import type { FaceDataset } from '../data/dataset';
import { resolveSyntheticConfig, type SyntheticConfig, type SyntheticConfigInput } from '../data/synthetic/config';
import { syntheticDataset } from '../data/synthetic/dataset';
import { WFLW98 } from '../data/schemes';
import { modelConfig, type HourglassConfig } from '../model/config';
import type { EvalResult } from '../eval/evaluate';
import { type TrainConfig, TRAIN_DEFAULTS, type ProgressReporterLike } from '../train/trainer';
import { describeLoss, headFor, canonicalLoss } from '../train/objective';
import { fit, runEnvironment } from '../train/fit';
import { writeJsonAtomic } from '../util/files';
import type { ArmSpec, ExperimentSpec } from './spec';
import type { Profile } from '../config/profile';

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
}

export function runDirFor(resultsRoot: string, spec: ExperimentSpec, arm: ArmSpec, seed: number): string {
  return path.join(resultsRoot, 'runs', spec.name, `${arm.id}-s${seed}`);
}

export function isRunComplete(dir: string): boolean {
  return fs.existsSync(path.join(dir, 'summary.json'));
}

/**
 * What determines a run's numbers: resolved data config, model config, training config and loss (not the experiment
 * or arm names). Experiments share arms (e.g. STAR with ω = 1 appears in four ablations); a finished run with the same
 * key is reused instead of retrained.
 */
/** The configs a run trains with; the run key is computed from the same resolution, so the two cannot drift apart. */
function resolveRun(spec: ExperimentSpec, arm: ArmSpec, seed: number): { dataCfg: SyntheticConfig; mcfg: HourglassConfig; trainCfg: TrainConfig } {
  return {
    dataCfg: resolveSyntheticConfig({ ...mergeData(spec.data, arm.data), ...(spec.dataSeed === 'run' ? { seed } : {}) }),
    mcfg: modelConfig(spec.model.preset, { heatmapHead: headFor(arm.loss), ...spec.model.overrides, ...arm.model, numPoints: WFLW98.numPoints, numEdges: WFLW98.edges.length }),
    trainCfg: scaleSteps({ ...TRAIN_DEFAULTS, ...spec.train, ...arm.train, seed }, arm.stepsScale),
  };
}

export function runKey(spec: ExperimentSpec, arm: ArmSpec, seed: number): string {
  const { dataCfg, mcfg, trainCfg } = resolveRun(spec, arm, seed);
  const text = JSON.stringify({
    dataCfg, mcfg, trainCfg, loss: canonicalLoss(arm.loss), augment: spec.augment ?? null, ...(spec.valFaces === undefined ? {} : { valFaces: spec.valFaces }),
  });
  return createHash('sha256').update(text).digest('hex').slice(0, 16);
}

/** Copy a finished run with the same key from another experiment, if one exists. Returns true when reused. */
export function reuseEquivalentRun(resultsRoot: string, spec: ExperimentSpec, arm: ArmSpec, seed: number): string | null {
  const key = runKey(spec, arm, seed);
  const runsRoot = path.join(resultsRoot, 'runs');
  if (!fs.existsSync(runsRoot)) return null;
  const target = runDirFor(resultsRoot, spec, arm, seed);
  for (const exp of fs.readdirSync(runsRoot)) {
    const expDir = path.join(runsRoot, exp);
    if (!fs.statSync(expDir).isDirectory()) continue;
    for (const run of fs.readdirSync(expDir)) {
      const dir = path.join(expDir, run);
      if (dir === target) continue;
      const keyFile = path.join(dir, 'run-key.txt');
      if (!fs.existsSync(keyFile) || !isRunComplete(dir) || fs.readFileSync(keyFile, 'utf8').trim() !== key) continue;
      fs.rmSync(target, { recursive: true, force: true });
      fs.mkdirSync(path.dirname(target), { recursive: true });
      fs.cpSync(dir, target, { recursive: true, filter: (src) => path.basename(src) !== '.lock' });
      const summary = JSON.parse(fs.readFileSync(path.join(target, 'summary.json'), 'utf8')) as RunSummary;
      writeJsonAtomic(path.join(target, 'summary.json'), { ...summary, experiment: spec.name, arm: arm.id, armLabel: arm.label, reusedFrom: path.relative(resultsRoot, dir) });
      return dir;
    }
  }
  return null;
}

function gitCommit(): string {
  try {
    return execSync('git rev-parse --short HEAD', { stdio: ['ignore', 'pipe', 'ignore'], cwd: __dirname }).toString().trim();
  } catch {
    return 'unknown';
  }
}

/** Datasets are cached per resolved config, so arms sharing data share one generation. */
const dataCache = new Map<string, Promise<FaceDataset>>();
export function openSplit(cfg: SyntheticConfig, split: 'train' | 'val' | 'test'): Promise<FaceDataset> {
  const key = JSON.stringify(cfg) + split;
  const cached = dataCache.get(key);
  if (cached) return cached;
  const p = syntheticDataset(cfg, split);
  dataCache.set(key, p);
  return p;
}

export interface RunOptions {
  profile: Profile;
  resultsRoot: string;
  progress?: ProgressReporterLike;
  /** Loader worker threads (default 1: the other core trains). */
  workers?: number;
  /** Stop after this many steps (tests simulate a kill with it). */
  stopAfter?: number;
  handleSignals?: boolean;
}

export async function runOne(spec: ExperimentSpec, arm: ArmSpec, seed: number, opts: RunOptions): Promise<RunSummary | null> {
  const info = await initBackend();
  const dir = runDirFor(opts.resultsRoot, spec, arm, seed);
  const t0 = Date.now();
  const { dataCfg, mcfg, trainCfg } = resolveRun(spec, arm, seed);
  if (dataCfg.imageSize < mcfg.inputSize / 2) throw new Error(`${spec.name}: synthetic images of ${dataCfg.imageSize}px are too small for a ${mcfg.inputSize}px model input`);

  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, 'run-key.txt'), runKey(spec, arm, seed) + '\n');
  writeJsonAtomic(path.join(dir, 'config.json'), {
    experiment: spec.name, arm, seed, profile: opts.profile, data: dataCfg, model: mcfg, train: trainCfg, loss: describeLoss(arm.loss), augment: spec.augment ?? OFFICIAL_AUGMENT,
  });
  writeJsonAtomic(path.join(dir, 'env.json'), { ...runEnvironment(info), gitCommit: gitCommit() });

  const [trainSet, valSet, testSet] = await Promise.all([openSplit(dataCfg, 'train'), openSplit(dataCfg, 'val'), openSplit(dataCfg, 'test')]);
  const fitted = await fit({
    dir, label: `${spec.name}/${arm.id} s${seed}`, scheme: WFLW98, trainSet, valSet, testSet, model: mcfg, train: trainCfg,
    loss: arm.loss, augment: spec.augment ?? OFFICIAL_AUGMENT, workers: opts.workers, progress: opts.progress,
    valLimit: spec.valFaces === 'all' ? valSet.length : spec.valFaces,
    handleSignals: opts.handleSignals, stopAfter: opts.stopAfter,
  });
  if (!fitted) return null;
  const { result, decoder: decode } = fitted;
  const test = fitted.test!;
  const soft = fitted.testSoftArgmax!;
  writeJsonAtomic(path.join(dir, 'test-nme.json'), { ids: test.ids, nme: test.nmes, nmeClean: test.nmesClean });
  writeJsonAtomic(path.join(dir, 'predictions.json'), {
    note: 'first 64 test faces, crop pixels of the evaluation crop', ids: test.ids.slice(0, 64), landmarks: test.predictions?.slice(0, 64),
  });
  writeJsonAtomic(path.join(dir, 'distribution-stats.json'), test.distributions ?? null);
  const summary: RunSummary = {
    experiment: spec.name, arm: arm.id, armLabel: arm.label, loss: describeLoss(arm.loss), seed, profile: opts.profile,
    measuredOn: `synthetic benchmark (${dataCfg.counts.train} train / ${dataCfg.counts.test} test faces, ${dataCfg.imageSize}px, tangent σ ${dataCfg.ambiguity.sigmaTangent})`,
    steps: result.finalStep, bestStep: result.bestStep, bestValNme: result.bestValNme,
    decoder: decode,
    test: { labels: test.labels, clean: test.clean, perSubset: test.perSubset, perSubsetClean: test.perSubsetClean, threshold: test.threshold, normalisation: test.normalisation },
    testSoftArgmax: { labels: soft.labels, clean: soft.clean },
    msPerStep: result.msPerStep, wallSeconds: (Date.now() - t0) / 1000,
    backend: backendInfo()?.name ?? 'unknown', threads: backendInfo()?.threads ?? 0,
    finalLoss: result.lossHistory.length ? result.lossHistory[result.lossHistory.length - 1].loss : null,
  };
  writeJsonAtomic(path.join(dir, 'summary.json'), summary);
  return summary;
}

/** An arm's steps as a multiple of the experiment's; checkpoints keep their count per run. */
function scaleSteps(cfg: TrainConfig, factor: number | undefined): TrainConfig {
  if (factor === undefined || factor === 1) return cfg;
  const steps = Math.round(cfg.steps * factor);
  return { ...cfg, steps, checkpointEvery: Math.max(1, Math.round(cfg.checkpointEvery * factor)) };
}

function mergeData(a: SyntheticConfigInput, b: SyntheticConfigInput | undefined): SyntheticConfigInput {
  if (!b) return a;
  return { ...a, ...b, counts: { ...a.counts, ...b.counts }, pose: { ...a.pose, ...b.pose }, ambiguity: { ...a.ambiguity, ...b.ambiguity } };
}

