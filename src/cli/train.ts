/** `star train`: train on your own data or the synthetic benchmark (src/train/own-data.ts); resumable, validation-selected. */
import * as path from 'path';
import { PRESETS, type PresetName } from '../model/config';
import { numberOption, oneOf, parseOptions, required, UsageError, type Command } from './args';
import { existingPath, outputFolder, withImageHint } from './paths';
import { formatOption, profileOption, schemeOption } from './project-args';

const OPTIONS = {
  data: { type: 'string' }, out: { type: 'string' }, loss: { type: 'string' }, omega: { type: 'string' }, distance: { type: 'string' },
  format: { type: 'string' }, scheme: { type: 'string' }, val: { type: 'string' }, 'val-fraction': { type: 'string' }, test: { type: 'string' },
  preset: { type: 'string' }, steps: { type: 'string' }, batch: { type: 'string' }, seed: { type: 'string' }, lr: { type: 'string' },
  augment: { type: 'string' }, 'ema-horizon': { type: 'string' }, workers: { type: 'string' }, profile: { type: 'string' },
} as const;

const DISTANCES = ['smoothl1', 'l1', 'l2'] as const;
const AUGMENTS = ['official', 'cpu', 'none'] as const;

// The defaults below are OWN_DATA_DEFAULTS (src/train/own-data.ts) and, for --data synthetic, PROFILE_SCALE
// (src/experiments/spec.ts), written out so that --help does not load the trainer; test/cli.test.ts checks that they agree.
export const train: Command = {
  summary: 'train on your own data (any supported format) or the synthetic benchmark; resumable, validation-selected',
  usage: `usage: star train --data <path|synthetic> --out <dir> [options]
  --data <path|synthetic>  training set: a dataset file or folder (see README "Your own data"), or the synthetic benchmark
                           at the profile's size, with its own validation and test splits
  --profile smoke|quick|full   for --data synthetic (default $STAR_PROFILE, else quick): the faces per split and the
                           defaults of --preset, --steps, --batch and --lr, as the experiments use them:
                           smoke 32/16/16 faces, 6 steps of batch 4; quick 2,000/200/500, 1,200 steps of batch 8;
                           full 4,000/300/1,000, 2,000 steps of batch 8; all cpu-tiny, lr 3e-3
  --out <dir>              run folder: config, metrics, checkpoint/, best/; run the same command again to resume
  --loss star|heatmap-mse|awing|coord-smoothl1|coord-l1|coord-l2   (default star)
  --omega W                STAR value restriction weight, >= 0 (default 1)
  --distance smoothl1|l1|l2   STAR distance (default smoothl1)
  --format wflw|wflw-attributes|tsv|coco|pts|cofw   format of --data, and of --val and --test too (one format for
                           all three; without --format each path's format is detected on its own)
  --scheme wflw98|300w68|cofw29   landmark scheme where the format does not say (tsv, pts)
  --val <path>             validation set (default: a seeded hold-out of --data, see --val-fraction)
  --val-fraction F         hold-out fraction in (0, 1) (default 0.05, at least 8 faces)
  --test <path>            test set, evaluated with the selected weights at the end
  --preset cpu-small|cpu-128|cpu-tiny|paper   model size (default cpu-small for your own data, the profile's for
                           --data synthetic; paper trains on the CPU's host backend, ≈ 16 s per step on 2 cores (npm run bench:paper); star model --preset P describes each)
  --steps N (default 2000)  --batch N (default 8)  --seed N (default 1)  --lr LR (default 3e-3, the peak Adam rate)
                           (--steps, --batch: the profile's for --data synthetic)
  --augment official|cpu|none   (default cpu)
  --ema-horizon F          keep an exponential moving average of the weights over this fraction of the run, in (0, 1]
                           (default: no EMA)
  --workers N              data-loader worker threads (default 1; 0 = load in the training thread)
  Then: star evaluate --checkpoint <out> --data <path>   |   star predict --checkpoint <out> --image <file>`,
  async run(argv) {
    const a = parseOptions(argv, OPTIONS);
    const v = a.values;
    const data = required(v.data, 'data');
    if (data !== 'synthetic') existingPath(data, 'data');
    const out = outputFolder(required(v.out, 'out'), 'out');
    const format = formatOption(v.format);
    const scheme = schemeOption(v.scheme);
    const val = v.val === undefined ? undefined : existingPath(v.val, 'val');
    const test = v.test === undefined ? undefined : existingPath(v.test, 'test');
    if (data === 'synthetic' && (format || scheme)) throw new UsageError(`--${format ? 'format' : 'scheme'} applies to a dataset path, not --data synthetic`);
    if (data !== 'synthetic' && v.profile !== undefined) throw new UsageError('--profile sizes the synthetic benchmark (--data synthetic); your own data is trained with --steps, --batch and --preset');
    const profile = profileOption(v.profile);
    if (val !== undefined && v['val-fraction'] !== undefined) throw new UsageError('--val-fraction applies to the hold-out; it cannot be combined with --val');
    const preset = oneOf(v.preset, 'preset', Object.keys(PRESETS) as PresetName[], 'preset');
    const distance = oneOf(v.distance, 'distance', DISTANCES, 'distance');
    const omega = numberOption(v.omega, 'omega', { min: 0 });
    const augment = oneOf(v.augment, 'augment', AUGMENTS, 'augmentation');
    const valFraction = numberOption(v['val-fraction'], 'val-fraction', { above: 0, below: 1 });
    if (data === 'synthetic' && valFraction !== undefined) throw new UsageError('--val-fraction sets the hold-out of your own data; the synthetic benchmark has its own validation split');
    const steps = numberOption(v.steps, 'steps', { integer: true, min: 1 });
    const batchSize = numberOption(v.batch, 'batch', { integer: true, min: 1 });
    const seed = numberOption(v.seed, 'seed', { integer: true, min: 0 });
    const lr = numberOption(v.lr, 'lr', { above: 0 });
    const horizon = numberOption(v['ema-horizon'], 'ema-horizon', { above: 0, max: 1 });
    const workers = numberOption(v.workers, 'workers', { integer: true, min: 0 });
    if (format) await checkOneFormat(format, { val, test });

    const { trainOnOwnData, lossFromName, LOSS_NAMES, OWN_DATA_DEFAULTS } = await import('../train/own-data');
    const { PROFILE_SCALE } = await import('../experiments/spec');
    // The synthetic benchmark is sized by the profile, as in the experiments; your own data by the trainer's defaults.
    const P = PROFILE_SCALE[profile];
    const D = data === 'synthetic'
      ? { ...OWN_DATA_DEFAULTS, preset: P.preset, steps: P.steps, batchSize: P.batchSize, lr: P.lr, syntheticCounts: P.counts }
      : OWN_DATA_DEFAULTS;
    const { describeWrittenRecords } = await import('../runs/folder');
    const lossName = oneOf(v.loss, 'loss', LOSS_NAMES, 'loss') ?? 'star';
    if (lossName !== 'star' && (omega !== undefined || distance !== undefined)) {
      throw new UsageError(`--${omega !== undefined ? 'omega' : 'distance'} applies to --loss star only`);
    }
    const loss = lossFromName(lossName, { omega, distance });
    const c = D.syntheticCounts;
    console.error(`training on ${data === 'synthetic' ? `the synthetic benchmark (${profile} profile: ${c.train}/${c.val}/${c.test} train/val/test faces)` : data}: `
      + `${preset ?? D.preset} model, ${steps ?? D.steps} steps of batch ${batchSize ?? D.batchSize}, lr ${lr ?? D.lr}`);
    let r;
    try {
      r = await trainOnOwnData({
        data, out, loss, format, scheme, val, test, valFraction: valFraction ?? D.valFraction, preset: preset ?? D.preset,
        steps: steps ?? D.steps, batchSize: batchSize ?? D.batchSize, seed: seed ?? D.seed, lr: lr ?? D.lr, augment: augment ?? D.augment,
        workers: workers ?? D.workers, ema: horizon === undefined ? null : { horizon }, syntheticCounts: D.syntheticCounts,
      });
    } catch (e) {
      throw withImageHint(e, "image names are resolved against the annotation file's folder, or a WFLW_images folder beside or above a WFLW list");
    }
    if (r.interrupted) {
      console.error(`stopped; run the same command again to resume (${r.dir})`);
      process.exitCode = 130;
      return;
    }
    const p = (x: number) => (100 * x).toFixed(2);
    console.log(`trained on ${r.trainFaces} faces, selected on ${r.valFaces} (best validation NME ${r.bestValNme === null ? 'n/a' : p(r.bestValNme) + '%'}); weights: ${path.join(r.dir, 'best')}`);
    if (r.test) {
      console.log(`${r.test.dataset}: n=${r.test.labels.n} NME ${p(r.test.labels.nme)}% FR@${r.test.threshold} ${p(r.test.labels.fr)}% AUC ${r.test.labels.auc.toFixed(4)} (${r.test.normalisation})`);
      for (const [k, m] of Object.entries(r.test.perSubset)) if (m) console.log(`  ${k}: n=${m.n} NME ${p(m.nme)}%`);
    }
    if (r.records) console.log(describeWrittenRecords(r.records));
  },
};

/** One --format reads --data, --val and --test: refuse it when --val or --test plainly has another format. */
async function checkOneFormat(format: string, paths: { val?: string; test?: string }): Promise<void> {
  const { detectFormat } = await import('../data/real');
  for (const [option, p] of Object.entries(paths)) {
    if (p === undefined) continue;
    let detected: string;
    try {
      detected = detectFormat(p).format;
    } catch {
      continue; // a layout the detector cannot tell: --format is the only word on it
    }
    if (detected !== format) throw new UsageError(`--format ${format} applies to --${option} too, but ${p} looks like ${detected}; leave --format out to detect each path's format`);
  }
}
