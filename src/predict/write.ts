/**
 * `star predict`'s outputs: `<stem>.json` (every face: box, score, crop, landmarks and the predicted distribution per
 * landmark, with the units and where the model was trained) and `<stem>.png` (the image with each face's box and
 * landmarks, optionally 1σ ellipses, drawn at a size that follows the face, so markers stay apart on a 100-px face).
 */
import * as fs from 'fs';
import * as path from 'path';
import sharp from 'sharp';
import type { RawImage } from '../data/image';
import { readRunConfig } from '../runs/folder';
import { writeFileAtomic, writeJsonAtomic } from '../util/files';
import type { PredictResult } from './index';

/** Where the model's weights were trained, as a label for its landmarks. */
export interface ModelProvenance {
  checkpoint: string;
  trainedOn: string;
  /** True when the training faces were the synthetic benchmark's. */
  synthetic: boolean;
  note: string;
}

/** Read the run folder's config.json (experiment runs and `star train` both write one). */
export function modelProvenance(checkpoint: string, runDir: string): ModelProvenance {
  const data = (readRunConfig(runDir) as { data?: unknown } | null)?.data;
  // Experiment runs record the synthetic config (an object); `star train` records the dataset's name.
  const synthetic = (data !== null && typeof data === 'object') || (typeof data === 'string' && data.startsWith('synthetic('));
  const trainedOn = data === undefined ? 'unknown (no config.json in the run folder)' : synthetic ? 'the synthetic face benchmark' : String(data);
  const note = synthetic
    ? 'Landmarks from a model trained only on synthetic faces: their accuracy on real photos is not measured here; the face detection and the crops are.'
    : `Landmarks from a model trained on ${trainedOn}.`;
  return { checkpoint, trainedOn, synthetic, note };
}

const UNITS = {
  coordinates: 'image pixels of the EXIF-oriented image, x to the right, y down, pixel centres at integers',
  box: '[x1, y1, x2, y2] (the form of --box); the crop is centre = box midpoint, scale = min(w, h) / 200 × 1.05',
  eigenvalues: '[λmax, λmin] of the predicted covariance in px² (√λ = 1σ semi-axis); angleDeg: λmax axis from +x towards +y',
  eigenvaluesGrid: '[λmax, λmin] on the model heatmap\'s STAR grid (units², what the STAR loss weighs by 1/√λ)',
};

export async function writePrediction(
  r: PredictResult, img: RawImage, outStem: string, meta: { image: string; model: ModelProvenance }, overlay: OverlayOptions = {},
): Promise<{ json: string; png: string }> {
  const json = `${outStem}.json`;
  const png = `${outStem}.png`;
  writeJsonAtomic(json, { image: meta.image, width: r.width, height: r.height, model: meta.model, detection: r.detection, units: UNITS, faces: r.faces });
  const buf = await sharp(Buffer.from(img.data.buffer, img.data.byteOffset, img.data.length), { raw: { width: img.width, height: img.height, channels: 3 } })
    .composite([{ input: Buffer.from(overlaySvg(r, overlay)), top: 0, left: 0 }]).png().toBuffer();
  fs.mkdirSync(path.dirname(path.resolve(png)), { recursive: true });
  writeFileAtomic(png, buf);
  return { json, png };
}

export interface OverlayOptions {
  /** Draw each landmark's 1σ ellipse (off by default: a synthetic-trained model's broad ellipses hide a real face). */
  ellipses?: boolean;
}

/** Box, landmarks and optionally 1σ ellipses of every face; sizes are fractions of the face's side. */
export function overlaySvg(r: PredictResult, options: OverlayOptions = {}): string {
  const f = (v: number) => v.toFixed(1);
  const parts: string[] = [];
  for (const face of r.faces) {
    const [x1, y1, x2, y2] = face.box;
    const side = Math.min(x2 - x1, y2 - y1);
    const dot = Math.max(1, side / 120);
    const line = Math.max(0.5, side / 300);
    parts.push(`<rect x="${f(x1)}" y="${f(y1)}" width="${f(x2 - x1)}" height="${f(y2 - y1)}" fill="none" stroke="#ffd600" stroke-width="${f(2 * line)}"/>`);
    if (options.ellipses) for (const d of face.distributions) {
      const [rx, ry] = [Math.sqrt(d.eigenvalues[0]), Math.sqrt(d.eigenvalues[1])];
      parts.push(`<ellipse cx="${f(d.mean[0])}" cy="${f(d.mean[1])}" rx="${f(rx)}" ry="${f(ry)}" transform="rotate(${d.angleDeg} ${f(d.mean[0])} ${f(d.mean[1])})" fill="none" stroke="#00e5ff" stroke-opacity="0.6" stroke-width="${f(line)}"/>`);
    }
    for (const [x, y] of face.landmarks) parts.push(`<circle cx="${f(x)}" cy="${f(y)}" r="${f(dot)}" fill="#00e676" stroke="#003300" stroke-width="${f(dot / 3)}"/>`);
  }
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${r.width}" height="${r.height}">${parts.join('')}</svg>`;
}
