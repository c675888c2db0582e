/**
 * The paper preset as the trainer trains it, for the benches (bench/paper-step.ts, bench/step-profile.ts paper): the
 * hourglass with AAM heads, the trainer's objective for it (src/train/objective.ts) and its optimisation step
 * (src/train/step.ts), fed by the project's loader (point and edge maps) over random-noise faces.
 */
import { createCodec } from '../src/data/codec';
import { OFFICIAL_AUGMENT } from '../src/data/augment';
import { WFLW98 } from '../src/data/schemes';
import { modelConfig, type HourglassConfig } from '../src/model/config';
import { buildHourglass, type HourglassModel } from '../src/model/hourglass';
import { Adam } from '../src/train/adam';
import { makeGradientStep } from '../src/train/step';
import { headFor, makeObjective, needsHeatmapTargets, type LossSpec } from '../src/train/objective';
import { loaderBatchProvider } from '../src/train/loader-batches';
import { toDevice, type BatchProvider } from '../src/train/trainer';
import { randomFaces } from './random-faces';

export type PaperLoss = 'star' | 'heatmap-mse';

export interface PaperStepper {
  cfg: HourglassConfig;
  model: HourglassModel;
  batches: BatchProvider;
  /** One training step on loader batch `k`; resolves to the loss and the ms spent waiting for the batch. */
  step(k: number): Promise<{ loss: number; loaderWaitMs: number }>;
  dispose(): Promise<void>;
}

export function paperConfig(loss: PaperLoss): HourglassConfig {
  return modelConfig('paper', { heatmapHead: headFor({ kind: loss } as LossSpec) });
}

export function makePaperStepper(batch: number, loss: PaperLoss, lr = 1e-4): PaperStepper {
  const cfg = paperConfig(loss);
  const spec: LossSpec = loss === 'star' ? { kind: 'star' } : { kind: 'heatmap-mse' };
  const model = buildHourglass(cfg, { seed: 1, scheme: WFLW98 });
  const adam = new Adam(model.params.trainable);
  const gradientStep = makeGradientStep(model.params.trainable, adam);
  const objective = makeObjective(spec);
  const codec = createCodec(WFLW98, { inputSize: cfg.inputSize, heatmapSize: cfg.heatmapSize, edgeMaps: true });
  const batches = loaderBatchProvider(randomFaces(4 * batch, cfg.inputSize), {
    codec, augment: OFFICIAL_AUGMENT, seed: 1, batchSize: batch, heatmaps: needsHeatmapTargets(spec), aam: true, workers: 1,
  });
  return {
    cfg, model, batches,
    async step(k) {
      const t0 = performance.now();
      const host = await batches.get(k);
      const loaderWaitMs = performance.now() - t0;
      const b = toDevice(host, model);
      const value = gradientStep((ctx) => objective(model.forward(b.images, ctx), b, model), lr);
      const v = (await value.data())[0];
      value.dispose();
      for (const t of [b.images, b.targets, b.heatmaps, b.edgemaps, b.visible]) t?.dispose();
      return { loss: v, loaderWaitMs };
    },
    async dispose() {
      await batches.close();
      adam.dispose();
      model.params.dispose();
    },
  };
}
