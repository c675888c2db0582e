/**
 * Run a trained model on a user's image: whole image or a given face box -> landmarks (image pixels, JSON) and an
 * overlay PNG drawn with sharp.
 */
import * as fs from 'fs';
import * as path from 'path';
import sharp from 'sharp';
import * as tf from '@tensorflow/tfjs-core';
import type { HourglassModel } from './model/hourglass';
import { loadImage } from './data/image';
import { cropMatrix, invertAffine, transformPoints, warpAffine } from './data/crop';
import { normaliseInPlace } from './data/image';
import { createCodec } from './data/codec';
import { WFLW98 } from './data/schemes';
import { decoderForHead } from './model/config';
import type { FaceBox } from './data/sample';
import { writeFileAtomic, writeJsonAtomic } from './util/files';

export interface PredictResult {
  image: string;
  box: FaceBox;
  /** Landmarks in image pixels, WFLW-98 order. */
  landmarks: [number, number][];
}

/** Official box convention: scale = side / 200; `[x1, y1, x2, y2]` -> centre + scale (min side, ×1.05 as the official demo). */
export function boxFromRect(r: [number, number, number, number]): FaceBox {
  const [x1, y1, x2, y2] = r;
  if (!(x2 > x1 && y2 > y1)) throw new Error(`box [${r.join(', ')}]: expected x1 < x2 and y1 < y2`);
  return { center: [(x1 + x2) / 2, (y1 + y2) / 2], scale: (Math.min(x2 - x1, y2 - y1) / 200) * 1.05 };
}

export async function predictImage(model: HourglassModel, imagePath: string, rect?: [number, number, number, number]): Promise<PredictResult> {
  if (!fs.existsSync(imagePath)) throw new Error(`image not found: ${imagePath}`);
  const img = await loadImage(imagePath);
  const box = rect ? boxFromRect(rect) : { center: [(img.width - 1) / 2, (img.height - 1) / 2] as [number, number], scale: Math.min(img.width, img.height) / 200 };
  const S = model.config.inputSize;
  const m = cropMatrix(box, S);
  const crop = normaliseInPlace(warpAffine(img, m, S));
  const codec = createCodec(WFLW98, { inputSize: S, heatmapSize: model.config.heatmapSize });
  // The model's own decoder: argmax for a heatmap-regression (linear) head, as it is scored.
  const decode = decoderForHead(model.config.heatmapHead);
  const heat = tf.tidy(() => model.forward(tf.tensor4d(crop, [1, S, S, 3]), { training: false, bnUpdates: [] }).heatmaps.at(-1)!);
  let cropPts: Float32Array;
  if (decode === 'soft-argmax') {
    const coords = codec.decodeTensor(heat);
    cropPts = (await coords.data()) as Float32Array;
    coords.dispose();
  } else {
    cropPts = codec.decode((await heat.data()) as Float32Array, decode);
  }
  heat.dispose();
  const imgPts = transformPoints(invertAffine(m), cropPts);
  const landmarks = Array.from({ length: imgPts.length / 2 }, (_, i): [number, number] => [imgPts[2 * i], imgPts[2 * i + 1]]);
  return { image: imagePath, box, landmarks };
}

/** Write `<out>.json` and `<out>.png` (the image with the landmarks drawn). */
export async function writePrediction(r: PredictResult, outBase: string): Promise<{ json: string; png: string }> {
  const json = `${outBase}.json`;
  const png = `${outBase}.png`;
  writeJsonAtomic(json, r);
  const meta = await sharp(r.image).metadata();
  const w = meta.width ?? 0;
  const h = meta.height ?? 0;
  const rad = Math.max(1.5, Math.min(w, h) / 200);
  const dots = r.landmarks.map(([x, y]) => `<circle cx="${x.toFixed(1)}" cy="${y.toFixed(1)}" r="${rad.toFixed(1)}" fill="#00e676" stroke="#003300" stroke-width="${(rad / 3).toFixed(1)}"/>`).join('');
  const svg = Buffer.from(`<svg xmlns="http://www.w3.org/2000/svg" width="${w}" height="${h}">${dots}</svg>`);
  const buf = await sharp(r.image).composite([{ input: svg, top: 0, left: 0 }]).png().toBuffer();
  fs.mkdirSync(path.dirname(path.resolve(png)), { recursive: true });
  writeFileAtomic(png, buf);
  return { json, png };
}
