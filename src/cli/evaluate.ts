/** `star evaluate`: a trained model on the synthetic test split or a real dataset; metrics to stdout and a JSON file. */
import * as path from 'path';
import type { FaceDataset } from '../data/dataset';
import type { RealFormat } from '../data/real';
import { numberOption, oneOf, parseOptions, required, UsageError, type Command } from './args';
import { existingPath, withImageHint } from './paths';
import { checkpointOption, formatOption, outputBesideCheckpoint, runConfigData, schemeOption } from './project-args';

const OPTIONS = {
  checkpoint: { type: 'string' }, data: { type: 'string' }, format: { type: 'string' }, scheme: { type: 'string' }, split: { type: 'string' },
  limit: { type: 'string' }, out: { type: 'string' }, 'image-root': { type: 'string' }, 'record-faces': { type: 'string' },
} as const;

export const evaluate: Command = {
  summary: 'evaluate a trained model on a dataset (synthetic test split or a real dataset folder/file)',
  usage: `usage: star evaluate --checkpoint <run dir|checkpoint dir> --data <path|synthetic> [options]
  --checkpoint <dir>   a run folder (uses its best/, else checkpoint/) or a folder holding model.json
  --data <path|synthetic>   a dataset file or folder (format detected, see README "Your own data"), or the synthetic
                       benchmark the run was trained on (needs the run folder's config.json)
  --format wflw|wflw-attributes|tsv|coco|pts|cofw   --scheme wflw98|300w68|cofw29   (when detection cannot tell)
  --image-root <dir>   folder the dataset's image names are relative to (default: the annotation file's folder; for
                       WFLW lists a WFLW_images folder beside or above them)
  --split train|test   which split of a folder holding both (default test; synthetic: train|val|test)
  --limit N            evaluate the first N faces only
  --out <file.json>    default <run dir>/eval/<data name>[-<split>].json, where <run dir> is the --checkpoint folder
                       (its parent for a run's best/ or checkpoint/)
  --record-faces N     test faces in the run's committed records (default 250; see below)
  The decoder is the model's own: argmax for a heatmap-regression (linear) head, soft-argmax otherwise.
  Per-prediction records go beside the JSON (<out>.records.bin). Evaluating a run folder's best/ on its own whole
  synthetic test split (--data synthetic, no --limit/--out) regenerates the run's records instead:
  <run dir>/prediction-records.bin (the first N faces) and prediction-records-full.bin (all faces).
  Real data must use the model's landmark scheme (the released presets are WFLW-98).`,
  async run(argv) {
    const a = parseOptions(argv, OPTIONS);
    const v = a.values;
    const { checkpoint, runDir } = await checkpointOption(required(v.checkpoint, 'checkpoint'));
    const data = required(v.data, 'data');
    const format = formatOption(v.format);
    const scheme = schemeOption(v.scheme);
    const imageRoot = v['image-root'] === undefined ? undefined : existingPath(v['image-root'], 'image-root', 'folder');
    const limit = numberOption(v.limit, 'limit', { integer: true, min: 1 });
    const recordFaces = numberOption(v['record-faces'], 'record-faces', { integer: true, min: 1 });
    const wholeOwnTestSplit = data === 'synthetic' && (v.split === undefined || v.split === 'test') && limit === undefined && v.out === undefined;
    if (recordFaces !== undefined && !wholeOwnTestSplit) throw new UsageError('--record-faces applies when a run\'s own records are regenerated (--data synthetic on the whole test split, no --out)');
    const source = data === 'synthetic' ? syntheticSource(runDir, v.split, { format, scheme, imageRoot }) : realSource(data, v.split, { format, scheme, imageRoot });
    const out = outputBesideCheckpoint(v.out, path.join(runDir, 'eval', `${source.name}.json`));
    // A real dataset opens in moments, and its annotation and image errors belong before the backend starts; the
    // synthetic one may have to be generated, which waits until the model has loaded.
    const opened = source.generated ? undefined : await source.load();

    const { initBackend } = await import('tfjs-wasm-train');
    const { checkpointModelConfig, loadTrainedModel } = await import('../model/load');
    const { modelWorkload } = await import('../model/footprint');
    const { EVAL_BATCH } = await import('../eval/evaluate');
    // A model too big for the wasm heap at the evaluation batch (the paper preset) runs on the host backend.
    const cfg = checkpointModelConfig(checkpoint);
    await initBackend({ workload: modelWorkload(cfg, { evalBatch: EVAL_BATCH, label: `evaluating a ${cfg.stacks}-stack ${cfg.channels}-channel ${cfg.inputSize} px model, batch ${EVAL_BATCH}` }) });
    const { evaluate: evaluateModel } = await import('../eval/evaluate');
    const { createCodec } = await import('../data/codec');
    const { decoderForHead } = await import('../model/config');
    const { resolveCheckpointDir } = await import('../model/load');
    const model = loadTrainedModel(checkpoint);
    const decode = decoderForHead(model.config.heatmapHead);
    const dataset = opened ?? (await source.load());
    const codec = createCodec(dataset.scheme, { inputSize: model.config.inputSize, heatmapSize: model.config.heatmapSize });
    const r = await evaluateModel(model, dataset, { codec, limit, distributions: true, records: true, decode });
    model.params.dispose();
    const { writeJsonAtomic } = await import('../util/files');
    const { records, ...result } = r;
    writeJsonAtomic(out, { ...result, decoder: decode });
    // The run's own records are a function of its selected weights and its test split: re-evaluating regenerates them.
    const ownRecords = wholeOwnTestSplit && path.resolve(resolveCheckpointDir(checkpoint)) === path.join(runDir, 'best');
    const folder = await import('../runs/folder');
    const written = ownRecords
      ? folder.describeWrittenRecords(folder.writePredictionRecords(runDir, records!, recordFaces))
      : `records: ${path.relative(process.cwd(), folder.writePredictionRecordsFile(out.replace(/\.json$/i, '') + '.records.bin', records!).file)}`;
    const p = (x: number) => (100 * x).toFixed(2);
    console.log(`${r.dataset}: n=${r.labels.n} NME ${p(r.labels.nme)}% FR@${r.threshold} ${p(r.labels.fr)}% AUC@${r.threshold} ${r.labels.auc.toFixed(4)} (${r.normalisation}; ${decode})`);
    if (r.clean) console.log(`  vs clean truth: NME ${p(r.clean.nme)}% FR ${p(r.clean.fr)}% AUC ${r.clean.auc.toFixed(4)}`);
    for (const [k, m] of Object.entries(r.perSubset)) if (m) console.log(`  ${k}: n=${m.n} NME ${p(m.nme)}%`);
    console.log(`written ${out}; ${written}`);
  },
};

interface DataOptions {
  format?: RealFormat;
  scheme?: string;
  imageRoot?: string;
}

/** A dataset whose options are checked, loaded later; `name` names its results file. */
interface DataSource {
  name: string;
  /** Generated on load (slow), rather than read from annotation files. */
  generated: boolean;
  load(): Promise<FaceDataset>;
}

function realSource(data: string, rawSplit: string | undefined, o: DataOptions): DataSource {
  existingPath(data, 'data');
  const split = oneOf(rawSplit, 'split', ['train', 'test'] as const, 'split');
  return {
    name: path.basename(path.resolve(data)).replace(/\.[^.]+$/, '') + (split ? `-${split}` : ''),
    generated: false,
    async load() {
      const { openDataset } = await import('../data/real');
      try {
        return openDataset(data, { ...o, split });
      } catch (e) {
        throw withImageHint(e, 'pass --image-root <folder the image names are relative to>');
      }
    },
  };
}

/** The synthetic split of the run's own benchmark (from its config.json), generated (or read from the cache) when loaded. */
function syntheticSource(runDir: string, rawSplit: string | undefined, o: DataOptions): DataSource {
  const misplaced = o.format ? 'format' : o.scheme ? 'scheme' : o.imageRoot ? 'image-root' : undefined;
  if (misplaced) throw new UsageError(`--${misplaced} applies to a dataset path, not --data synthetic`);
  const split = oneOf(rawSplit, 'split', ['train', 'val', 'test'] as const, 'split') ?? 'test';
  const config = runConfigData(runDir);
  return {
    name: `synthetic-${split}`,
    generated: true,
    load: async () => (await import('../data/synthetic/dataset')).syntheticDataset(config, split),
  };
}
