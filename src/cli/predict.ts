/** `star predict`: landmarks (JSON) and an overlay PNG for one image, from a trained model. */
import * as path from 'path';
import { numberList, parseOptions, required, UsageError, type Command } from './args';
import { existingPath } from './paths';
import { checkpointOption, outputBesideCheckpoint } from './project-args';

const OPTIONS = { checkpoint: { type: 'string' }, image: { type: 'string' }, box: { type: 'string' }, out: { type: 'string' } } as const;

export const predict: Command = {
  summary: 'run a trained model on an image and write landmarks (JSON) and an overlay PNG',
  usage: `usage: star predict --checkpoint <run dir|checkpoint dir> --image <file> [--box x1,y1,x2,y2] [--out <path without extension>]
  --box x1,y1,x2,y2   the face, in image pixels, inside the image; without it the whole image is the face box
                      (for pre-cropped faces)
  --out <stem>        writes <stem>.json and <stem>.png; default <run dir>/predict/<image name>, where <run dir> is
                      the --checkpoint folder (its parent for a run's best/ or checkpoint/)`,
  async run(argv) {
    const a = parseOptions(argv, OPTIONS);
    const v = a.values;
    const { checkpoint, runDir } = await checkpointOption(required(v.checkpoint, 'checkpoint'));
    const image = existingPath(required(v.image, 'image'), 'image', 'file');
    const size = await imageSize(image);
    const rect = boxOption(v.box, size);
    const out = outputBesideCheckpoint(v.out, path.join(runDir, 'predict', path.basename(image).replace(/\.[^.]+$/, '')));
    const { initBackend } = await import('tfjs-wasm-train');
    await initBackend();
    const { loadTrainedModel } = await import('../model/load');
    const { predictImage, writePrediction } = await import('../predict');
    const model = loadTrainedModel(checkpoint);
    const r = await predictImage(model, image, rect);
    const files = await writePrediction(r, out);
    console.log(`landmarks: ${files.json}\noverlay: ${files.png}`);
  },
};

/** Width and height from the image header (what predict's overlay reads with sharp too). */
async function imageSize(file: string): Promise<{ width: number; height: number }> {
  const { default: sharp } = await import('sharp');
  try {
    const m = await sharp(file).metadata();
    if (m.width && m.height) return { width: m.width, height: m.height };
    throw new Error('no width/height in its header');
  } catch (e) {
    throw new UsageError(`--image: cannot read ${file} as an image (${(e as Error).message})`);
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
