/**
 * `star train`: train on your own annotated faces (any supported format: WFLW lists, STAR/ADNet tsv, COCO keypoint
 * JSON, iBUG .pts folders, COFW; see src/data/real.ts) or on the synthetic benchmark, with the same trainer, loss
 * choices, validation selection, checkpoints and resume as the experiments. Writes `<out>/`: config.json, env.json,
 * metrics.jsonl, eigen.jsonl, checkpoint/ (resume: run the same command again), best/ (the validation-selected
 * weights, loadable by `star predict` / `star evaluate`), and with a test set summary.json, test-nme.json and the
 * per-prediction records (src/runs/folder.ts writePredictionRecords).
 *
 * Validation: `--val <path>`, else a seeded hold-out of the training faces (`valFraction`, default 5%, at least 8); on
 * the synthetic benchmark its own validation split (and its test split unless `--test` is given).
 */
import * as fs from 'fs';
import * as path from 'path';
import { initBackend, wasmFits } from 'tfjs-wasm-train';
import { modelWorkload } from '../model/footprint';
import { EVAL_BATCH } from '../eval/evaluate';
import { CPU_AUGMENT, NO_AUGMENT, OFFICIAL_AUGMENT, sampleRng, type AugmentConfig } from '../data/augment';
import type { FaceDataset } from '../data/dataset';
import { openDataset, type RealFormat } from '../data/real';
import { resolveSyntheticConfig } from '../data/synthetic/config';
import { syntheticDataset } from '../data/synthetic/dataset';
import type { EvalResult } from '../eval/evaluate';
import { modelConfig, type PresetName } from '../model/config';
import { resolveOptions } from '../loss/star-options';
import { writeJsonAtomic } from '../util/files';
import { writePredictionRecords } from '../runs/folder';
import { fit } from './fit';
import { runEnvironment } from '../runs/environment';
import { describeLoss, headFor, type LossSpec } from './objective';
import { OFFICIAL_SCHEDULE } from './schedule';
import { TRAIN_DEFAULTS, type ProgressReporterLike, type TrainConfig } from './trainer';

export interface OwnDataOptions {
  /** Dataset file/folder, or 'synthetic' (the benchmark at `syntheticCounts` faces). */
  data: string;
  format?: RealFormat;
  scheme?: string;
  /** Validation set path; default a hold-out of the training faces. */
  val?: string;
  valFraction: number;
  /** Test set path; evaluated with the selected weights. */
  test?: string;
  loss: LossSpec;
  preset: PresetName;
  steps: number;
  batchSize: number;
  seed: number;
  lr: number;
  augment: 'official' | 'cpu' | 'none';
  ema: TrainConfig['ema'];
  out: string;
  workers: number;
  /** The synthetic benchmark's faces per split (the CLI passes the profile's). */
  syntheticCounts: { train: number; val: number; test: number };
  progress?: ProgressReporterLike;
  handleSignals?: boolean;
  stopAfter?: number;
  /** Test faces in the committed-size records file (default runs/folder.ts COMMITTED_RECORD_FACES); all go to the full one. */
  recordFaces?: number;
}

export const OWN_DATA_DEFAULTS = {
  valFraction: 0.05, preset: 'cpu-small' as PresetName, steps: 2000, batchSize: 8, seed: 1, lr: 3e-3, augment: 'cpu' as const,
  ema: null, workers: 1, syntheticCounts: { train: 2000, val: 200, test: 500 },
};

/** Loss names accepted by `--loss`. */
export const LOSS_NAMES = ['star', 'heatmap-mse', 'awing', 'coord-smoothl1', 'coord-l1', 'coord-l2'] as const;

export function lossFromName(name: string, star: { omega?: number; distance?: string } = {}): LossSpec {
  if (!(LOSS_NAMES as readonly string[]).includes(name)) throw new Error(`--loss: expected one of ${LOSS_NAMES.join(', ')}, got "${name}"`);
  if (name === 'star') {
    const options = { ...(star.omega !== undefined ? { omega: star.omega } : {}), ...(star.distance ? { distance: star.distance } : {}) } as Extract<LossSpec, { kind: 'star' }>['options'];
    resolveOptions(options ?? {});
    return { kind: 'star', options };
  }
  if (name.startsWith('coord-')) return { kind: 'coord', distance: name.slice(6) as 'smoothl1' | 'l1' | 'l2' };
  return { kind: name as 'heatmap-mse' | 'awing' };
}

/** Deterministic train/validation split of a dataset's indices (seeded Fisher-Yates). */
export function holdOut(n: number, fraction: number, seed: number): { train: number[]; val: number[] } {
  if (!(fraction > 0 && fraction < 1)) throw new Error(`valFraction must be in (0, 1), got ${fraction}`);
  const idx = Array.from({ length: n }, (_, i) => i);
  const rnd = sampleRng(seed, -1, 0); // the project's seeded generator (epoch −1: a stream no training epoch uses)
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(rnd() * (i + 1));
    [idx[i], idx[j]] = [idx[j], idx[i]];
  }
  const k = Math.min(n - 1, Math.max(8, Math.round(n * fraction)));
  return { val: idx.slice(0, k).sort((a, b) => a - b), train: idx.slice(k).sort((a, b) => a - b) };
}

function subset(ds: FaceDataset, indices: number[], what: string): FaceDataset {
  return { name: `${ds.name} [${what}: ${indices.length} faces]`, scheme: ds.scheme, length: indices.length, get: (i) => ds.get(indices[i]) };
}

export interface OwnDataResult {
  dir: string;
  trainFaces: number;
  valFaces: number;
  test?: EvalResult;
  /** The per-prediction records written for the test set. */
  records?: ReturnType<typeof writePredictionRecords>;
  bestValNme: number | null;
  interrupted: boolean;
}

export async function trainOnOwnData(input: Partial<OwnDataOptions> & Pick<OwnDataOptions, 'data' | 'out' | 'loss'>): Promise<OwnDataResult> {
  const o: OwnDataOptions = { ...OWN_DATA_DEFAULTS, ...input } as OwnDataOptions;
  // The scheme (and so the head sizes) is known only once the data is open; the preset's own sizes are close enough to
  // choose a backend by (src/model/footprint.ts).
  const workload = modelWorkload(modelConfig(o.preset), { trainBatch: o.batchSize, evalBatch: EVAL_BATCH, label: `${o.preset} preset, training batch ${o.batchSize}` });
  const info = await initBackend({ workload });
  if (info.name === 'wasm' && !wasmFits(workload)) {
    // Measured with the paper preset on wasm: one batch-1 training step took 4.6 s, then evaluation died inside the
    // wasm module with "memory access out of bounds" (its activations exceed what the 32-bit heap can address).
    throw new Error(`--preset ${o.preset} does not fit the WebAssembly heap (≈ ${(workload.peakBytes / 2 ** 30).toFixed(1)} GiB of tensors): ` +
      'let the backend ladder choose (STAR_BACKEND unset or auto: the host backend), or set STAR_BACKEND=host');
  }
  let full: FaceDataset;
  let testSet: FaceDataset | undefined;
  let syntheticVal: FaceDataset | undefined;
  if (o.data === 'synthetic') {
    const cfg = resolveSyntheticConfig({ seed: o.seed, counts: o.syntheticCounts });
    full = await syntheticDataset(cfg, 'train');
    syntheticVal = o.val ? undefined : await syntheticDataset(cfg, 'val');
    testSet = o.test ? undefined : await syntheticDataset(cfg, 'test');
  } else {
    full = openDataset(o.data, { format: o.format, scheme: o.scheme, split: 'train' });
  }
  if (o.test) testSet = openDataset(o.test, { format: o.format, scheme: o.scheme, split: 'test' });
  let trainSet: FaceDataset;
  let valSet: FaceDataset;
  if (o.val || syntheticVal) {
    trainSet = full;
    valSet = syntheticVal ?? openDataset(o.val!, { format: o.format, scheme: o.scheme, split: 'test' });
  } else {
    if (full.length < 9) throw new Error(`${full.name}: ${full.length} faces are too few to hold out a validation set; pass --val <path>`);
    const split = holdOut(full.length, o.valFraction, o.seed);
    trainSet = subset(full, split.train, 'train');
    valSet = subset(full, split.val, 'validation hold-out');
  }
  for (const [what, ds] of [['validation', valSet], ['test', testSet]] as const) {
    if (ds && ds.scheme.numPoints !== full.scheme.numPoints) {
      throw new Error(`${ds.name}: ${what} set has ${ds.scheme.numPoints} points (${ds.scheme.name}), training set ${full.scheme.numPoints} (${full.scheme.name})`);
    }
  }
  if (trainSet.length < o.batchSize) throw new Error(`${trainSet.name}: ${trainSet.length} training faces are fewer than one batch of ${o.batchSize}`);
  const scheme = full.scheme;
  const mcfg = modelConfig(o.preset, { heatmapHead: headFor(o.loss), numPoints: scheme.numPoints, numEdges: scheme.edges.length });
  const trainCfg: TrainConfig = {
    ...TRAIN_DEFAULTS, seed: o.seed, steps: o.steps, batchSize: o.batchSize, ema: o.ema,
    evalEvery: Math.max(1, Math.round(o.steps / 8)), checkpointEvery: Math.max(5, Math.round(o.steps / 10)),
    schedule: { ...OFFICIAL_SCHEDULE, lr: o.lr },
  };
  const augment: Partial<AugmentConfig> = o.augment === 'official' ? OFFICIAL_AUGMENT : o.augment === 'none' ? NO_AUGMENT : CPU_AUGMENT;
  const dir = path.resolve(o.out);
  const config = {
    data: full.name, val: valSet.name, test: testSet?.name ?? null, scheme: scheme.name, model: mcfg, train: trainCfg,
    loss: o.loss, lossLabel: describeLoss(o.loss), augment: o.augment,
  };
  // A resumed run must be the same run: refuse to continue a checkpoint trained with another configuration.
  const cfgFile = path.join(dir, 'config.json');
  if (fs.existsSync(path.join(dir, 'checkpoint')) && fs.existsSync(cfgFile)) {
    const before = fs.readFileSync(cfgFile, 'utf8');
    if (before.trim() !== JSON.stringify(config, null, 1).trim()) {
      throw new Error(`${dir}: holds a checkpoint of a different configuration (see its config.json); choose another --out or delete it`);
    }
  }
  fs.mkdirSync(dir, { recursive: true });
  writeJsonAtomic(cfgFile, config);
  writeJsonAtomic(path.join(dir, 'env.json'), runEnvironment(info));
  const r = await fit({
    dir, label: `train ${path.basename(dir)}`, scheme, trainSet, valSet, testSet, model: mcfg, train: trainCfg, loss: o.loss, augment,
    workers: o.workers, progress: o.progress, handleSignals: o.handleSignals, stopAfter: o.stopAfter,
  });
  if (!r) return { dir, trainFaces: trainSet.length, valFaces: valSet.length, bestValNme: null, interrupted: true };
  let records: OwnDataResult['records'];
  if (r.test) {
    writeJsonAtomic(path.join(dir, 'test-nme.json'), { ids: r.test.ids, nme: r.test.nmes });
    records = writePredictionRecords(dir, r.test.records!, o.recordFaces);
    writeJsonAtomic(path.join(dir, 'summary.json'), {
      measuredOn: testSet!.name, decoder: r.decoder, steps: r.result.finalStep, bestStep: r.result.bestStep, bestValNme: r.result.bestValNme,
      test: { labels: r.test.labels, clean: r.test.clean, perSubset: r.test.perSubset, threshold: r.test.threshold, normalisation: r.test.normalisation },
      testSoftArgmax: { labels: r.testSoftArgmax!.labels }, msPerStep: r.result.msPerStep,
    });
  }
  return { dir, trainFaces: trainSet.length, valFaces: valSet.length, test: r.test, records, bestValNme: r.result.bestValNme, interrupted: false };
}
