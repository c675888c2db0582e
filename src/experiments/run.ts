/**
 * One training run = one (experiment, arm, seed): data -> model -> train (validation-selected) -> test evaluation ->
 * `runs/<experiment>/<arm>-s<seed>/` with config, environment, metric logs, eigenvalue trajectories, summary, test
 * per-image NMEs, a sample of predictions, per-landmark distribution statistics and per-prediction records (the
 * first `recordFaces` test faces committed, all of them local). Checkpoints stay git-ignored.
 */
import { createHash } from 'crypto';
import { initBackend, backendInfo, type BackendInfo } from 'tfjs-wasm-train';
import { OFFICIAL_AUGMENT } from '../data/augment';
import type { FaceDataset } from '../data/dataset';
import { resolveSyntheticConfig, type SyntheticConfig, type SyntheticConfigInput } from '../data/synthetic/config';
import { syntheticDataset } from '../data/synthetic/dataset';
import { WFLW98 } from '../data/schemes';
import { modelConfig, type HourglassConfig } from '../model/config';
import { modelWorkload } from '../model/footprint';
import { EVAL_BATCH } from '../eval/evaluate';
import { type TrainConfig, TRAIN_DEFAULTS, type ProgressReporterLike } from '../train/trainer';
import { describeLoss, headFor, canonicalLoss } from '../train/objective';
import { fit } from '../train/fit';
import { kernelSet, runEnvironment } from '../runs/environment';
import { checkpointStep } from '../model/checkpoint';
import {
  copyRun, describeWrittenRecords, discardTrainingState, findFinishedRunByKey, readProvenance, runDirFor, trainingLog, writeRunResults, writeRunStart,
} from '../runs/folder';
import { thisProcess } from '../runs/lock';
import { codeVersion, describeProvenance, provenanceDifferences, sameProvenance, type KernelSet, type Provenance } from '../runs/provenance';
import type { RunStartRecord, RunSummary } from '../runs/records';
import type { ArmSpec, ScaledSpec } from './spec';
import { PROJECT_ROOT, type Profile } from '../config/profile';

/**
 * What determines a run's numbers: resolved data config, model config, training config and loss (not the experiment
 * or arm names). Experiments share arms (e.g. STAR with ω = 1 appears in four ablations); a finished run with the same
 * key is reused instead of retrained.
 */
/** The configs a run trains with; the run key is computed from the same resolution, so the two cannot drift apart. */
function resolveRun(spec: ScaledSpec, arm: ArmSpec, seed: number): { dataCfg: SyntheticConfig; mcfg: HourglassConfig; trainCfg: TrainConfig } {
  return {
    dataCfg: resolveSyntheticConfig({ ...mergeData(spec.data, arm.data), ...(spec.dataSeed === 'run' ? { seed } : {}) }),
    mcfg: modelConfig(spec.model.preset, { heatmapHead: headFor(arm.loss), ...spec.model.overrides, ...arm.model, numPoints: WFLW98.numPoints, numEdges: WFLW98.edges.length }),
    trainCfg: scaleSteps({ ...TRAIN_DEFAULTS, ...spec.train, ...arm.train, seed }, arm.stepsScale),
  };
}

export function runKey(spec: ScaledSpec, arm: ArmSpec, seed: number): string {
  const { dataCfg, mcfg, trainCfg } = resolveRun(spec, arm, seed);
  const text = JSON.stringify({
    dataCfg, mcfg, trainCfg, loss: canonicalLoss(arm.loss), augment: spec.augment ?? null, ...(spec.valFaces === undefined ? {} : { valFaces: spec.valFaces }),
  });
  return createHash('sha256').update(text).digest('hex').slice(0, 16);
}

/** Copy a finished run with the same key from another experiment, if one exists. Returns the folder it was copied from. */
export function reuseEquivalentRun(resultsRoot: string, spec: ScaledSpec, arm: ArmSpec, seed: number, kernels?: KernelSet): string | null {
  const target = runDirFor(resultsRoot, spec, arm, seed);
  // The run key says what a run trains, not which code and kernels trained it: a finished run of the same key is
  // copied only when this process would have trained it with the same code (and the same kernels, when the caller
  // knows them), or a grid from a tagged commit would take in runs of another commit (the pilot's 40,000-step runs
  // share the grid's keys). Runs recorded before provenance existed are never reused.
  const code = codeVersion(PROJECT_ROOT);
  const accept = (dir: string): boolean => {
    const p = readProvenance(dir);
    if (!p || p.code.sourceHash === null || p.code.sourceHash !== code.sourceHash) return false;
    return !kernels || sameProvenance(p, { code, kernels });
  };
  const source = findFinishedRunByKey(resultsRoot, runKey(spec, arm, seed), target, accept);
  if (source) copyRun(resultsRoot, source, target, { experiment: spec.name, arm: arm.id, armLabel: arm.label });
  return source;
}

/**
 * How this start continues the run folder: a fresh start (an earlier attempt's logs without a checkpoint are
 * discarded, or the new logs would continue them), a resume from the checkpoint when it was written with this
 * provenance, or — only when asked — a restart that discards a checkpoint of other code or kernels.
 */
function startEvent(dir: string, now: Provenance, restart: boolean): Pick<RunStartRecord, 'event' | 'step'> {
  const step = checkpointStep(trainingLog(dir).checkpointDir);
  if (step === null) {
    discardTrainingState(dir);
    return { event: 'start', step: 0 };
  }
  const before = readProvenance(dir);
  if (before && sameProvenance(before, now)) return { event: 'resume', step };
  if (restart) {
    discardTrainingState(dir);
    return { event: 'restart', step: 0 };
  }
  const what = before
    ? `it was written by other code or kernels than this process runs (${provenanceDifferences(before, now).join('; ')}):\n  checkpoint:   ${describeProvenance(before)}`
    : 'nothing records which code and kernels wrote it (no env.json):';
  throw new Error(`${dir}: will not resume the checkpoint at step ${step}: ${what}\n  this process: ${describeProvenance(now)}\n`
    + 'Resume it with the code and settings that wrote it (a worktree at that commit, e.g. scripts/run-grid.sh <tag>, and the same '
    + 'STAR_BACKEND / STAR_THREADS / STAR_ENGINES), or pass --restart to discard the checkpoint and train this run from step 0.'
    + (before && provenanceDifferences(before, now).some((x) => /^OpenBLAS kernels|^3x3\/7x7 convs/.test(x))
      ? '\n  The engines differ: STAR_ENGINES=pinned runs AVX2 kernels on every machine (what the grid scripts and Slurm tasks '
        + 'use); fastest, the default, runs this CPU\'s own.'
      : ''));
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
  /** Test faces in the committed per-prediction records (default runs/folder.ts COMMITTED_RECORD_FACES). */
  recordFaces?: number;
  /** Discard a checkpoint written by other code or kernels and train from step 0 (default: refuse to resume it). */
  restart?: boolean;
}

/** The backend a run of this arm trains on (started on first use), sized by its model: the kernels it would record. */
export async function runBackend(spec: ScaledSpec, arm: ArmSpec, seed: number): Promise<BackendInfo> {
  const { mcfg, trainCfg } = resolveRun(spec, arm, seed);
  // A model too big for the wasm heap (e.g. the paper preset) trains on the host backend (tfjs-wasm-train).
  return initBackend({ workload: modelWorkload(mcfg, { trainBatch: trainCfg.batchSize, evalBatch: EVAL_BATCH, label: `${spec.model.preset} preset, training batch ${trainCfg.batchSize}` }) });
}

export async function runOne(spec: ScaledSpec, arm: ArmSpec, seed: number, opts: RunOptions): Promise<RunSummary | null> {
  const dir = runDirFor(opts.resultsRoot, spec, arm, seed);
  const { dataCfg, mcfg, trainCfg } = resolveRun(spec, arm, seed);
  const info = await runBackend(spec, arm, seed);
  if (dataCfg.imageSize < mcfg.inputSize / 2) throw new Error(`${spec.name}: synthetic images of ${dataCfg.imageSize}px are too small for a ${mcfg.inputSize}px model input`);

  const provenance: Provenance = { code: codeVersion(PROJECT_ROOT), kernels: kernelSet(info) };
  const start = startEvent(dir, provenance, opts.restart ?? false);
  writeRunStart(dir, {
    key: runKey(spec, arm, seed),
    config: {
      experiment: spec.name, arm, seed, profile: opts.profile, data: dataCfg, model: mcfg, train: trainCfg, loss: describeLoss(arm.loss), augment: spec.augment ?? OFFICIAL_AUGMENT,
    },
    environment: runEnvironment(info),
    record: { ...start, time: new Date().toISOString(), ...thisProcess(), provenance },
  });

  // Generating the benchmark (minutes, once per data config; cached on disk) is not this run's time: the first arm
  // would carry it alone in its wall time.
  const tData = Date.now();
  const [trainSet, valSet, testSet] = await Promise.all([openSplit(dataCfg, 'train'), openSplit(dataCfg, 'val'), openSplit(dataCfg, 'test')]);
  const dataSeconds = (Date.now() - tData) / 1000;
  if (dataSeconds >= 5) console.error(`data ready in ${dataSeconds.toFixed(0)} s (generated once, cached; not counted in this run's wall time)`);
  const t0 = Date.now();
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
  const written = writeRunResults(dir, {
    testNme: { ids: test.ids, nme: test.nmes, nmeClean: test.nmesClean },
    predictions: { note: 'first 64 test faces, crop pixels of the evaluation crop', ids: test.ids.slice(0, 64), landmarks: test.predictions?.slice(0, 64) },
    distributionStats: test.distributions ?? null,
    records: test.records!,
    summary,
  }, opts.recordFaces);
  console.error(`${spec.name}/${arm.id} s${seed}: ${describeWrittenRecords(written)}`);
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

