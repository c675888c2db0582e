/** `star predict`: find every face in an image, landmark each one, and write JSON and an overlay PNG. */
import * as path from 'path';
import { numberList, numberOption, parseOptions, required, UsageError, type Command } from './args';
import { existingPath } from './paths';
import { checkpointOption, outputBesideCheckpoint } from './project-args';

const OPTIONS = {
  checkpoint: { type: 'string' }, image: { type: 'string' }, box: { type: 'string' }, out: { type: 'string' }, 'min-score': { type: 'string' }, ellipses: { type: 'boolean' },
} as const;

export const predict: Command = {
  summary: 'find every face in an image, landmark each one, write JSON (boxes, landmarks, ellipses) and an overlay PNG',
  usage: `usage: star predict --checkpoint <run dir|checkpoint dir> --image <file> [--box x1,y1,x2,y2] [--min-score S] [--ellipses] [--out <path without extension>]
  Finds every face with BlazeFace (weights from the npm package @vladmandic/human, nothing downloaded), crops each
  the official way (centre = box midpoint, scale = min(w, h) / 200 x 1.05), landmarks it, and writes per face: box,
  score, landmarks and each landmark's predicted distribution (mean, eigenvalues, angle). No face found: says so and
  exits with code 1 (then give the face with --box).
  --box x1,y1,x2,y2   the face, in image pixels, inside the image: skips detection (e.g. a pre-cropped face: the whole
                      image, 0,0,<width>,<height>)
  --min-score S       detector score threshold in (0, 1) (default 0.5)
  --ellipses          also draw each landmark's predicted 1σ ellipse on the overlay (always in the JSON)
  --out <stem>        writes <stem>.json and <stem>.png; default <run dir>/predict/<image name>, where <run dir> is
                      the --checkpoint folder (its parent for a run's best/ or checkpoint/)
  The project's models are trained on synthetic faces: their landmarks on real photos are labelled so.`,
  async run(argv) {
    const a = parseOptions(argv, OPTIONS);
    const v = a.values;
    const { checkpoint, runDir } = await checkpointOption(required(v.checkpoint, 'checkpoint'));
    const image = existingPath(required(v.image, 'image'), 'image', 'file');
    const minScore = numberOption(v['min-score'], 'min-score', { above: 0, below: 1 });
    if (minScore !== undefined && v.box !== undefined) throw new UsageError('--min-score applies to the face detector; --box skips it');
    const img = await decodeImage(image);
    const box = boxOption(v.box, img);
    const out = outputBesideCheckpoint(v.out, path.join(runDir, 'predict', path.basename(image).replace(/\.[^.]+$/, '')));
    const { initBackend } = await import('tfjs-wasm-train');
    await initBackend();
    const { loadTrainedModel } = await import('../model/load');
    const { readSummary } = await import('../runs/folder');
    const { predictImage } = await import('../predict');
    const { modelProvenance, writePrediction } = await import('../predict/write');
    const model = loadTrainedModel(checkpoint);
    const decode = readSummary(runDir)?.decoder;
    const r = await predictImage(model, img, { box, decode, detect: minScore === undefined ? {} : { minScore } });
    if (r.faces.length === 0) {
      throw new Error(`no face found in ${image} (${img.width}x${img.height}; BlazeFace, score >= ${r.detection?.options.minScore}, ${r.detection?.ms} ms): ` +
        'give the face with --box x1,y1,x2,y2, or lower --min-score');
    }
    const provenance = modelProvenance(checkpoint, runDir);
    const files = await writePrediction(r, img, out, { image, model: provenance }, { ellipses: v.ellipses });
    const found = r.detection ? `${r.faces.length} face${r.faces.length > 1 ? 's' : ''} found (BlazeFace, ${r.detection.ms} ms)` : '1 face (--box)';
    console.log(`${found}; ${provenance.note}\nlandmarks: ${files.json}\noverlay: ${files.png}`);
  },
};

/** The image decoded as predict sees it (EXIF orientation applied; PPM/PGM too), or a usage error naming --image. */
async function decodeImage(file: string) {
  const { loadImage } = await import('../data/image');
  try {
    return await loadImage(file, { orient: true });
  } catch (e) {
    throw new UsageError(`--image: cannot read ${file} as an image (${(e as Error).message.replace(`${file}: `, '')})`);
  }
}

/** `--box x1,y1,x2,y2`: four numbers, a non-empty box, inside the image. */
function boxOption(raw: string | undefined, size: { width: number; height: number }): [number, number, number, number] | undefined {
  const v = numberList(raw, 'box');
  if (v === undefined) return undefined;
  if (v.length !== 4) throw new UsageError(`--box: expected x1,y1,x2,y2 (four numbers), got "${raw}"`);
  const [x1, y1, x2, y2] = v;
  if (!(x1 < x2 && y1 < y2)) throw new UsageError(`--box: expected x1 < x2 and y1 < y2, got "${raw}"`);
  if (x1 < 0 || y1 < 0 || x2 > size.width || y2 > size.height) {
    throw new UsageError(`--box ${raw} is not inside the ${size.width}x${size.height} image (expected 0 <= x1 < x2 <= ${size.width}, 0 <= y1 < y2 <= ${size.height})`);
  }
  return [x1, y1, x2, y2];
}
