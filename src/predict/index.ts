/**
 * A trained model on a user's image: every face (found by BlazeFace, ./detect.ts, or given as a box) -> the official
 * crop (centre = box midpoint, scale = min(w, h) / 200 · 1.05, as the official demo crops dlib's box) -> landmarks and
 * the predicted distribution of each landmark (mean, eigenvalues, principal angle), mapped back to image pixels ->
 * JSON + an overlay PNG whose markers scale with each face.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { HourglassModel } from '../model/hourglass';
import { normaliseInPlace, type RawImage } from '../data/image';
import { cropMatrix, invertAffine, transformPoints, warpAffine, type Affine } from '../data/crop';
import { createCodec } from '../data/codec';
import { COFW29, W300_68, WFLW98 } from '../data/schemes';
import type { FaceBox } from '../data/sample';
import type { DecodeMethod } from '../geometry/decode';
import { decoderForHead } from '../model/config';
import { heatmapDistributionEigen } from '../geometry/distribution';
import { symEigen2x2Scalar } from '../geometry/eigen2x2';
import { DETECT_DEFAULTS, FaceDetector, type DetectOptions, type Rect } from './detect';

/** One landmark's predicted distribution in a pixel frame: mean, covariance eigenvalues (px²), λmax direction. */
export interface LandmarkDistribution {
  meanX: number;
  meanY: number;
  lambdaMin: number;
  lambdaMax: number;
  /** Angle of the λmax eigenvector from +x towards +y (radians; clockwise on screen, y points down). */
  theta: number;
}

/** The model's output for one crop: landmarks and distributions in crop pixels, eigenvalues also in STAR grid units². */
export interface CropPrediction {
  landmarks: Float32Array;
  distributions: LandmarkDistribution[];
  /** [λmin, λmax] per landmark on the STAR grid of the heatmap (what the loss sees). */
  gridEigenvalues: [number, number][];
}

/**
 * Run the model on normalised S×S×3 crops (one batch) and read the last stack's heatmaps: landmarks by `decode`, the
 * official distribution per landmark (geometry/distribution.ts) with its covariance mapped from the STAR grid to crop
 * pixels (one grid unit = S/H·(H−1)/2 crop px for the `consistent` codec).
 */
export async function predictCrops(model: HourglassModel, crops: Float32Array[], decode: DecodeMethod = 'soft-argmax'): Promise<CropPrediction[]> {
  if (crops.length === 0) return [];
  const { inputSize: S, heatmapSize: H, numPoints: N } = model.config;
  const scheme = [WFLW98, W300_68, COFW29].find((s) => s.numPoints === N);
  if (!scheme) throw new Error(`predict: no built-in landmark scheme has ${N} points`);
  const codec = createCodec(scheme, { inputSize: S, heatmapSize: H });
  const batch = new Float32Array(crops.length * S * S * 3);
  crops.forEach((c, i) => batch.set(c, i * S * S * 3));
  const [hm, st] = tf.tidy(() => {
    const out = model.forward(tf.tensor4d(batch, [crops.length, S, S, 3]), { training: false, bnUpdates: [] });
    const last = out.heatmaps[out.heatmaps.length - 1];
    const d = heatmapDistributionEigen(last);
    return [last, tf.stack([d.meanX, d.meanY, d.lambdaMin, d.lambdaMax, d.theta])];
  });
  const [heat, stats] = await Promise.all([hm.data() as Promise<Float32Array>, st.data() as Promise<Float32Array>]);
  tf.dispose([hm, st]);
  const landmarks = codec.decode(heat, decode);
  const px = codec.targetToCrop(1) - codec.targetToCrop(0); // crop pixels per grid unit
  const F = crops.length;
  const at = (k: number, f: number, n: number) => stats[(k * F + f) * N + n];
  return crops.map((_, f) => ({
    landmarks: landmarks.slice(f * N * 2, (f + 1) * N * 2),
    distributions: Array.from({ length: N }, (_, n) => ({
      meanX: codec.targetToCrop(at(0, f, n)), meanY: codec.targetToCrop(at(1, f, n)),
      lambdaMin: Math.max(0, at(2, f, n)) * px * px, lambdaMax: Math.max(0, at(3, f, n)) * px * px, theta: at(4, f, n),
    })),
    gridEigenvalues: Array.from({ length: N }, (_, n): [number, number] => [at(2, f, n), at(3, f, n)]),
  }));
}

/** A distribution through an affine map: the mean mapped, the covariance J·Σ·Jᵀ with J the map's linear part. */
function mapDistribution(d: LandmarkDistribution, m: Affine): LandmarkDistribution {
  const [c, s] = [Math.cos(d.theta), Math.sin(d.theta)];
  // Σ = λmax·v·vᵀ + λmin·u·uᵀ with v = (c, s), u = (−s, c).
  const sxx = d.lambdaMax * c * c + d.lambdaMin * s * s;
  const syy = d.lambdaMax * s * s + d.lambdaMin * c * c;
  const sxy = (d.lambdaMax - d.lambdaMin) * c * s;
  const { a, b, c: mc, d: md } = m;
  const txx = a * a * sxx + 2 * a * b * sxy + b * b * syy;
  const tyy = mc * mc * sxx + 2 * mc * md * sxy + md * md * syy;
  const txy = a * mc * sxx + (a * md + b * mc) * sxy + b * md * syy;
  const e = symEigen2x2Scalar(txx, txy, tyy);
  return { meanX: a * d.meanX + b * d.meanY + m.tx, meanY: mc * d.meanX + md * d.meanY + m.ty, lambdaMin: Math.max(0, e.lambdaMin), lambdaMax: e.lambdaMax, theta: e.theta };
}

/** Official box convention: `[x1, y1, x2, y2]` -> centre = midpoint, scale = min side / 200 × 1.05 (the official demo). */
export function boxFromRect(r: Rect): FaceBox {
  const [x1, y1, x2, y2] = r;
  if (!(x2 > x1 && y2 > y1)) throw new Error(`box [${r.join(', ')}]: expected x1 < x2 and y1 < y2`);
  return { center: [(x1 + x2) / 2, (y1 + y2) / 2], scale: (Math.min(x2 - x1, y2 - y1) / 200) * 1.05 };
}

/** One face of a prediction, everything in image pixels of the (EXIF-oriented) image. */
export interface PredictedFace {
  /** The face box `[x1, y1, x2, y2]` the crop was made from (the same form as `--box`). */
  box: Rect;
  /** 'detector' (BlazeFace) or 'given' (`--box`). */
  boxFrom: 'detector' | 'given';
  /** The detector's score in 0..1; null for a given box. */
  score: number | null;
  /** The official crop made from the box. */
  crop: FaceBox;
  /** Landmarks, in the model's scheme order (WFLW-98 for the project's models). */
  landmarks: [number, number][];
  /**
   * Per landmark: the predicted distribution's mean, eigenvalues [λmax, λmin] (px²; √λ is the 1σ semi-axis of its
   * ellipse), the λmax axis angle in degrees (from +x towards +y, i.e. clockwise on screen), and the eigenvalues on
   * the model's STAR grid (grid units², what the STAR loss weighs by 1/√λ).
   */
  distributions: { mean: [number, number]; eigenvalues: [number, number]; angleDeg: number; eigenvaluesGrid: [number, number] }[];
}

export interface PredictOptions {
  /** Landmark the face in this box instead of detecting faces. */
  box?: Rect;
  /** Host decoder of the landmarks: default the model's own (model/config.ts decoderForHead). */
  decode?: DecodeMethod;
  detect?: Partial<DetectOptions>;
}

export interface PredictResult {
  width: number;
  height: number;
  faces: PredictedFace[];
  /** How the faces were found: null for a given box. */
  detection: { model: string; options: DetectOptions; ms: number } | null;
}

const round = (v: number, k = 2) => Math.round(v * 10 ** k) / 10 ** k;

/** Find every face (or take the given box), crop each the official way and landmark all of them in one batch. */
export async function predictImage(model: HourglassModel, img: RawImage, options: PredictOptions = {}): Promise<PredictResult> {
  let found: { box: Rect; score: number | null }[];
  let detection: PredictResult['detection'] = null;
  if (options.box) {
    found = [{ box: options.box, score: null }];
  } else {
    const detector = await FaceDetector.load();
    try {
      const t0 = performance.now();
      const opts = { ...DETECT_DEFAULTS, ...options.detect };
      found = await detector.detect(img, opts);
      detection = { model: 'BlazeFace (MediaPipe, back model), weights from @vladmandic/human', options: opts, ms: round(performance.now() - t0, 0) };
    } finally {
      detector.dispose();
    }
  }
  const S = model.config.inputSize;
  const crops = found.map((f) => {
    const crop = boxFromRect(f.box);
    const m = cropMatrix(crop, S);
    return { ...f, crop, m, pixels: normaliseInPlace(warpAffine(img, m, S)) };
  });
  // The model's own decoder unless told: argmax for a heatmap-regression (linear) head, as it is scored.
  const predicted = await predictCrops(model, crops.map((c) => c.pixels), options.decode ?? decoderForHead(model.config.heatmapHead));
  const faces = crops.map((c, i): PredictedFace => {
    const back = invertAffine(c.m);
    const pts = transformPoints(back, predicted[i].landmarks);
    return {
      box: c.box.map((v) => round(v)) as Rect, boxFrom: options.box ? 'given' : 'detector', score: c.score === null ? null : round(c.score, 4),
      crop: { center: [round(c.crop.center[0]), round(c.crop.center[1])], scale: round(c.crop.scale, 5) },
      landmarks: Array.from({ length: pts.length / 2 }, (_, n): [number, number] => [round(pts[2 * n]), round(pts[2 * n + 1])]),
      distributions: predicted[i].distributions.map((d, n) => {
        const e = mapDistribution(d, back);
        return {
          mean: [round(e.meanX), round(e.meanY)], eigenvalues: [round(e.lambdaMax, 3), round(e.lambdaMin, 3)], angleDeg: round((e.theta * 180) / Math.PI, 1),
          eigenvaluesGrid: [Number(predicted[i].gridEigenvalues[n][1].toPrecision(4)), Number(predicted[i].gridEigenvalues[n][0].toPrecision(4))],
        };
      }),
    };
  });
  return { width: img.width, height: img.height, faces, detection };
}
