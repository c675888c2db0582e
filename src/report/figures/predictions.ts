/**
 * Predicted distributions of a trained model drawn over its input crops (notebook 06: synthetic faces only;
 * notebook 08: real faces only when STAR_SHOW_REAL_PIXELS=1 and never in committed outputs). The crop is the
 * evaluation crop (plain, no augmentation); μ and Σ come from the last stack's heatmaps in crop pixels
 * (src/predict predictCrops, the model pass `star predict` makes too).
 */
import sharp from 'sharp';
import type { HourglassModel } from '../../model/hourglass';
import type { FaceDataset } from '../../data/dataset';
import { cropMatrix, transformPoints, warpAffine } from '../../data/crop';
import { loadImage, normaliseInPlace, type RawImage } from '../../data/image';
import { predictCrops } from '../../predict';
import { ellipsePath, type EllipseSpec } from './ellipse';

export interface FacePrediction {
  id: string;
  /** Crop pixels, uint8 RGB interleaved, S x S. */
  crop: Uint8Array;
  size: number;
  /** Predicted distributions per landmark in crop pixels (μ, λ in px², θ). */
  ellipses: EllipseSpec[];
  /** Labels in crop pixels. */
  labels: [number, number][];
}

/** Run the model on faces `indices` of `data` and return crops + predicted ellipses (crop px). */
export async function predictFaces(model: HourglassModel, data: FaceDataset, indices: number[]): Promise<FacePrediction[]> {
  const S = model.config.inputSize;
  const out: FacePrediction[] = [];
  for (const i of indices) {
    if (!(Number.isInteger(i) && i >= 0 && i < data.length)) throw new Error(`predictFaces: index ${i} outside 0..${data.length - 1} of ${data.name}`);
    const s = data.get(i);
    const img: RawImage = s.pixels ?? (s.imagePath ? await loadImage(s.imagePath) : (() => { throw new Error(`${s.source ?? s.id}: no pixels and no image path`); })());
    const m = cropMatrix(s.box, S);
    const raw = warpAffine(img, m, S);
    const crop = Uint8Array.from(raw, (v) => Math.max(0, Math.min(255, Math.round(v))));
    const [p] = await predictCrops(model, [normaliseInPlace(Float32Array.from(raw))]);
    const flat = transformPoints(m, Float32Array.from(s.landmarks.flat()));
    const labels = Array.from({ length: model.config.numPoints }, (_, n): [number, number] => [flat[2 * n], flat[2 * n + 1]]);
    out.push({ id: s.id, crop, size: S, ellipses: p.distributions, labels });
  }
  return out;
}

/** SVG overlay (no pixels) of ellipses, means and labels on an S x S crop drawn at `scale` x. */
export interface OverlayOptions {
  /** Ellipse radius in standard deviations (default 1). Small models on small crops predict broad maps: 0.5 stays readable. */
  k?: number;
  /** Draw only these landmark indices (default all). */
  only?: number[];
}

export function ellipseOverlaySvg(
  p: Pick<FacePrediction, 'ellipses' | 'labels' | 'size'>, scale = 3, colourOf: (n: number) => string = () => '#00e5ff', opts: OverlayOptions = {},
): string {
  const W = p.size * scale;
  const f = (v: number) => ((v + 0.5) * scale).toFixed(1);
  const parts: string[] = [];
  p.ellipses.forEach((e, n) => {
    if (opts.only && !opts.only.includes(n)) return;
    const path = ellipsePath(e, { points: 32, k: opts.k ?? 1 });
    parts.push(`<polyline fill="none" stroke="${colourOf(n)}" stroke-width="1" points="${path.x.map((x, k) => `${f(x)},${f(path.y[k])}`).join(' ')}"/>`);
    parts.push(`<circle cx="${f(e.meanX)}" cy="${f(e.meanY)}" r="1.5" fill="${colourOf(n)}"/>`);
  });
  p.labels.forEach(([x, y]) => parts.push(`<circle cx="${f(x)}" cy="${f(y)}" r="1.2" fill="#ff2020"/>`));
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${W}">${parts.join('')}</svg>`;
}

/** PNG of the crop with the overlay, and a self-contained SVG (crop embedded as PNG) for the static export. */
export async function renderOverlay(p: FacePrediction, scale = 3, colourOf?: (n: number) => string, opts: OverlayOptions = {}): Promise<{ png: Buffer; svg: string }> {
  const W = p.size * scale;
  const overlay = ellipseOverlaySvg(p, scale, colourOf, opts);
  const base = await sharp(Buffer.from(p.crop), { raw: { width: p.size, height: p.size, channels: 3 } }).resize(W, W, { kernel: 'nearest' }).png().toBuffer();
  const png = await sharp(base).composite([{ input: Buffer.from(overlay), top: 0, left: 0 }]).png().toBuffer();
  const svg = overlay.replace(/^(<svg[^>]*>)/, `$1<image width="${W}" height="${W}" href="data:image/png;base64,${base.toString('base64')}"/>`);
  return { png, svg };
}
