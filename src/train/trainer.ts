/**
 * The training loop: short and visible (nanoGPT style). Deterministic given the seed: batch k depends only on (seed, k),
 * so an interrupted run resumed from its last checkpoint reaches the same weights as an uninterrupted one.
 *
 * No per-step host syncs: the loss is accumulated on the backend and read every `logEvery` steps.
 */
import * as fs from 'fs';
import * as tf from '@tensorflow/tfjs-core';
// tfjs-core alone registers no gradients; every module that trains imports this once.
import '@tensorflow/tfjs-core/dist/register_all_gradients';
import type { HourglassModel, HourglassOutput } from '../model/hourglass';
import { Adam } from './adam';
import { makeGradientStep } from './step';
import { learningRate, OFFICIAL_SCHEDULE, ScheduleConfig } from './schedule';
import { assignVariables, checkpointExists, loadCheckpoint, saveCheckpoint } from '../model/checkpoint';
import { createProgress, EtaEstimator, ProgressReporter } from './progress';
import { trainingLog } from '../runs/folder';
import type { Batch } from '../data/loader';

/** A loader batch (src/data/loader-core.ts, the one owner of the batch layout) uploaded to the backend. */
export interface DeviceBatch {
  images: tf.Tensor4D;
  targets: tf.Tensor3D;
  /** Gaussian point maps: the heatmap losses' targets and the AAM point heads' targets. */
  heatmaps?: tf.Tensor4D;
  edgemaps?: tf.Tensor4D;
  visible: tf.Tensor2D;
}

/** Deterministic batches by step index; implementations prefetch off the training thread. */
export interface BatchProvider {
  get(step: number): Promise<Batch>;
  /** Batches per epoch, when the provider has epochs (for progress display). */
  batchesPerEpoch?: number;
  close(): Promise<void>;
}

/** The training objective: model outputs + batch -> scalar loss. Pure tensor function (called inside a gradient tape). */
export type Objective = (out: HourglassOutput, batch: DeviceBatch, model: HourglassModel) => tf.Scalar;

export interface TrainConfig {
  seed: number;
  steps: number;
  batchSize: number;
  schedule: ScheduleConfig;
  /**
   * EMA of the weights (and batch-norm statistics, as official), used for validation, model selection and the final
   * numbers. Off by default: the official 0.5^(bs/10000) per step (0.9996 at bs 8) averages over ~2,500 steps, longer
   * than a CPU run, which would leave the average near the initial weights. `{ horizon: f }` derives the decay from the
   * run length instead: time constant f·steps, decay = exp(−1/(f·steps)) (e.g. f = 0.1 at 2,000 steps: 0.995).
   */
  ema: { decay: number } | { horizon: number } | null;
  /** Validate every K steps (and at the end); 0 = only at the end. */
  evalEvery: number;
  /** Checkpoint every K steps (and at the end and on SIGINT/SIGTERM). */
  checkpointEvery: number;
  /** Record eigenvalue statistics of the training batch every K steps (0 = never). */
  statsEvery: number;
  /** Read the loss back every K steps (the only regular host sync). */
  logEvery: number;
}

/** The per-step EMA decay a config asks for (null: no EMA); throws a clear error for values outside their range. */
export function emaDecay(cfg: Pick<TrainConfig, 'ema' | 'steps'>): number | null {
  const e = cfg.ema;
  if (e == null) return null;
  if ('decay' in e) {
    if (!(e.decay >= 0 && e.decay < 1)) throw new Error(`train config: ema.decay must be in [0, 1), got ${e.decay}`);
    return e.decay;
  }
  if ('horizon' in e) {
    if (!(e.horizon > 0 && e.horizon <= 1)) throw new Error(`train config: ema.horizon must be in (0, 1] (a fraction of the run), got ${e.horizon}`);
    return Math.exp(-1 / Math.max(1, e.horizon * cfg.steps));
  }
  throw new Error(`train config: ema must be { decay } or { horizon }, got ${JSON.stringify(e)}`);
}

export const TRAIN_DEFAULTS: TrainConfig = {
  seed: 1, steps: 1000, batchSize: 8, schedule: OFFICIAL_SCHEDULE, ema: null,
  evalEvery: 0, checkpointEvery: 200, statsEvery: 50, logEvery: 10,
};

export interface ValidationResult {
  nme: number;
  [k: string]: number;
}

export type ProgressReporterLike = ProgressReporter;

export interface TrainHooks {
  /** Validation on the held-out split; the best step's weights are kept for the final test. */
  validate?: (model: HourglassModel) => Promise<ValidationResult>;
  /** Statistics of the current outputs (e.g. mean eigenvalues per facial part), written to eigen.jsonl. */
  outputStats?: (out: HourglassOutput, batch: DeviceBatch) => Record<string, number>;
  progress?: ProgressReporter;
  /** Install SIGINT/SIGTERM handlers that checkpoint and stop (default true outside notebooks). */
  handleSignals?: boolean;
  /** Stop after this many steps in this call (tests use it to simulate a kill). */
  stopAfter?: number;
}

export interface TrainResult {
  finalStep: number;
  interrupted: boolean;
  bestStep: number;
  bestValNme: number | null;
  lossHistory: { step: number; loss: number }[];
  msPerStep: number;
}

export function toDevice(b: Batch, model: HourglassModel): DeviceBatch {
  const { inputSize: S, heatmapSize: H, numPoints: N, numEdges: E } = model.config;
  const B = b.size;
  const check = (name: string, arr: Float32Array | undefined, n: number) => {
    if (arr && arr.length !== n) throw new Error(`batch field "${name}" has ${arr.length} values, expected ${n} for batch ${B} and model ${S}px/${H}px/${N} points`);
  };
  check('images', b.images, B * S * S * 3);
  check('targets', b.targets, B * N * 2);
  check('heatmaps', b.heatmaps, B * H * H * N);
  check('visible', b.visible, B * N);
  check('edgemaps', b.edgemaps, B * H * H * E);
  return {
    images: tf.tensor4d(b.images, [B, S, S, 3]),
    targets: tf.tensor3d(b.targets, [B, N, 2]),
    heatmaps: b.heatmaps ? tf.tensor4d(b.heatmaps, [B, H, H, N]) : undefined,
    edgemaps: b.edgemaps ? tf.tensor4d(b.edgemaps, [B, H, H, E]) : undefined,
    visible: tf.tensor2d(b.visible, [B, N]),
  };
}

function disposeBatch(b: DeviceBatch): void {
  for (const t of [b.images, b.targets, b.heatmaps, b.edgemaps, b.visible]) t?.dispose();
}

export async function train(
  model: HourglassModel, objective: Objective, batches: BatchProvider, runDir: string, cfgIn: Partial<TrainConfig>, hooks: TrainHooks = {},
): Promise<TrainResult> {
  const cfg: TrainConfig = { ...TRAIN_DEFAULTS, ...cfgIn };
  const progress = hooks.progress ?? createProgress();
  const log = trainingLog(runDir);
  const ckptDir = log.checkpointDir;
  const bestDir = log.bestDir;
  fs.mkdirSync(runDir, { recursive: true });

  const decay = emaDecay(cfg);
  const trainable = model.params.trainable;
  const adam = new Adam(trainable);
  const gradientStep = makeGradientStep(trainable, adam);
  const ema = decay !== null ? new Map([...model.params.all()].map(([n, v]) => [n, shadowVariable(v)] as [string, tf.Variable])) : undefined;

  let step = 0;
  let bestStep = -1;
  let bestValNme: number | null = null;
  const lossHistory: { step: number; loss: number }[] = [];
  // The loss summed since the last log line, on the backend (no per-step host sync); a checkpoint stores it so that
  // the first line after a resume averages the same window as an uninterrupted run's.
  let lossSum: tf.Scalar | null = null;
  let lossCount = 0;
  let interrupted = false;
  let startStep = 0;
  let t0 = Date.now();
  let stopRequested = false;
  const onSignal = () => {
    if (stopRequested) process.exit(130);
    stopRequested = true;
    progress.message('interrupt received: finishing this step and writing a checkpoint (Ctrl-C again to abort)');
  };
  const handle = hooks.handleSignals ?? true;
  let lastLoss: number | undefined;
  const eta = new EtaEstimator();
  // Evaluations after step s: every evalEvery steps, and at the last step.
  const evalsAfter = (s: number): number => {
    if (!hooks.validate || s >= cfg.steps) return 0;
    if (cfg.evalEvery <= 0) return 1;
    return Math.floor(cfg.steps / cfg.evalEvery) - Math.floor(s / cfg.evalEvery) + (cfg.steps % cfg.evalEvery === 0 ? 0 : 1);
  };
  // Training time since the last report, without evaluations and checkpoints (the ETA's step rate).
  let windowStart = Date.now();
  let windowSteps = 0;
  // Everything after the optimizer and EMA state exist runs inside try: the finally disposes them on every path.
  try {
    if (checkpointExists(ckptDir)) {
      const c = loadCheckpoint(ckptDir);
      try {
        assignVariables(model.params.all(), c.model, ckptDir);
        if (!c.optimizer) throw new Error(`${ckptDir}: no optimizer state; cannot resume training`);
        adam.load(c.optimizer, Number(c.state.step));
        if (ema && c.ema) assignVariables(ema, c.ema, `${ckptDir} (ema)`);
      } finally {
        for (const m of [c.model, c.optimizer, c.ema]) m?.forEach((t) => t.dispose());
      }
      step = Number(c.state.step);
      bestStep = Number(c.state.bestStep ?? -1);
      bestValNme = (c.state.bestValNme as number | null) ?? null;
      lossHistory.push(...((c.state.lossHistory as { step: number; loss: number }[]) ?? []));
      const window = c.state.lossWindow as { sum: number; count: number } | undefined;
      if (window && window.count > 0) {
        lossSum = tf.scalar(window.sum);
        lossCount = window.count;
      }
      progress.message(`resumed ${runDir} at step ${step}/${cfg.steps}`);
    }
    log.truncateAfter(step);

    const saveState = async () => {
      const lossWindow = { sum: lossSum ? (await lossSum.data())[0] : 0, count: lossCount };
      await saveCheckpoint(ckptDir, {
        model: model.params.all(), optimizer: adam.state(), ema,
        state: { step, bestStep, bestValNme, lossHistory, lossWindow, modelConfig: model.config, seed: cfg.seed },
      });
    };

    if (handle) {
      process.on('SIGINT', onSignal);
      process.on('SIGTERM', onSignal);
    }

    const stepsPerEpochHint = Math.max(1, batches.batchesPerEpoch ?? cfg.steps);
    let lastVal: number | undefined = bestValNme ?? undefined;
    t0 = Date.now();
    startStep = step;
    windowStart = t0;
    while (step < cfg.steps) {
      if (hooks.stopAfter !== undefined && step - startStep >= hooks.stopAfter) {
        interrupted = true;
        break;
      }
      // Let the event loop turn once per step: a prefetched batch resolves as a microtask only, and signal handlers
      // (SIGINT/SIGTERM -> checkpoint and stop) run only when the loop turns.
      await new Promise<void>((resolve) => setImmediate(resolve));
      const host = await batches.get(step);
      const batch = toDevice(host, model);
      const lr = learningRate(cfg.schedule, step, cfg.steps);
      const wantStats = !!hooks.outputStats && cfg.statsEvery > 0 && step % cfg.statsEvery === 0;
      let stats: Record<string, number> | undefined;
      const value = gradientStep((ctx) => {
        const out = model.forward(batch.images, ctx);
        if (wantStats) stats = hooks.outputStats!(out, batch);
        return objective(out, batch, model);
      }, lr);
      if (ema) {
        const d = decay!;
        tf.tidy(() => {
          for (const [n, v] of model.params.all()) ema.get(n)!.assign(tf.add(tf.mul(ema.get(n)!, d), tf.mul(v, 1 - d)));
        });
      }
      const prevSum: tf.Scalar | null = lossSum;
      lossSum = prevSum ? (tf.add(prevSum, value) as tf.Scalar) : tf.clone(value);
      prevSum?.dispose();
      value.dispose();
      lossCount += 1;
      disposeBatch(batch);
      step += 1;
      windowSteps += 1;
      if (step - startStep === 1) {
        // The first step waits for the loader workers to start (seconds): not a step rate to extrapolate.
        windowStart = Date.now();
        windowSteps = 0;
      }

      if (stats) log.appendEigen({ step, ...stats });
      const logNow = step % cfg.logEvery === 0 || step === cfg.steps;
      if (logNow) {
        const loss = (await lossSum!.data())[0] / lossCount;
        lossSum!.dispose();
        lossSum = null;
        lossCount = 0;
        if (!Number.isFinite(loss)) {
          throw new Error(`training diverged at step ${step}: mean loss over the last ${cfg.logEvery} steps is ${loss} (lr ${lr}); see ${log.metricsFile}`);
        }
        lossHistory.push({ step, loss });
        log.appendMetrics({ step, loss, lr, time: Date.now() });
        lastLoss = loss;
        eta.recordSteps(windowSteps, Date.now() - windowStart);
      }
      const evalNow = hooks.validate && ((cfg.evalEvery > 0 && step % cfg.evalEvery === 0) || step === cfg.steps);
      if (evalNow) {
        const evalModel = ema ? swapIn(model, ema) : undefined;
        const te = Date.now();
        const r = await hooks.validate!(model);
        eta.recordEvaluation(Date.now() - te);
        windowStart += Date.now() - te;
        evalModel?.restore();
        lastVal = r.nme;
        log.appendMetrics({ step, val: r });
        if (bestValNme === null || r.nme < bestValNme) {
          bestValNme = r.nme;
          bestStep = step;
          await saveCheckpoint(bestDir, { model: ema ?? model.params.all(), state: { step, valNme: r.nme, modelConfig: model.config } });
        }
      }
      // Reported after this step's evaluation, so the validation NME shown is this step's, not the previous one's.
      if (logNow || evalNow) {
        const [msPerStep, etaSeconds] = [eta.msPerStep(), eta.etaSeconds(cfg.steps - step, evalsAfter(step))];
        progress.update({ step, total: cfg.steps, epoch: Math.floor(step / stepsPerEpochHint), loss: lastLoss, valNme: lastVal, msPerStep, etaSeconds });
        log.writeProgress({
          step, total: cfg.steps, msPerStep, etaSeconds, ...(lastLoss === undefined ? {} : { loss: lastLoss }), ...(lastVal === undefined ? {} : { valNme: lastVal }), time: Date.now(),
        });
      }
      if (step % cfg.checkpointEvery === 0 || step === cfg.steps || stopRequested) {
        const tc = Date.now();
        await saveState();
        windowStart += Date.now() - tc;
      }
      if (logNow) {
        windowStart = Date.now();
        windowSteps = 0;
      }
      if (stopRequested) {
        interrupted = true;
        break;
      }
    }
    if (interrupted && !stopRequested) await saveState();
  } finally {
    lossSum?.dispose();
    if (handle) {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    }
    adam.dispose();
    ema?.forEach((v) => v.dispose());
    progress.done();
  }
  const msPerStep = (Date.now() - t0) / Math.max(1, step - startStep);
  return { finalStep: step, interrupted, bestStep, bestValNme, lossHistory, msPerStep };
}

/** A non-trainable copy of `v` (an EMA shadow). tf.variable keeps its initial tensor alive: dispose the clone here. */
function shadowVariable(v: tf.Variable): tf.Variable {
  const init = v.clone();
  const shadow = tf.variable(init, false);
  init.dispose();
  return shadow;
}

/** Temporarily load EMA weights into the model (for validation), returning a restorer. */
function swapIn(model: HourglassModel, ema: Map<string, tf.Variable>): { restore(): void } {
  const saved = new Map<string, tf.Tensor>();
  for (const [n, v] of model.params.all()) {
    saved.set(n, v.clone());
    v.assign(ema.get(n)!);
  }
  return {
    restore() {
      for (const [n, v] of model.params.all()) {
        v.assign(saved.get(n)!);
        saved.get(n)!.dispose();
      }
    },
  };
}
