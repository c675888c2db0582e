/**
 * Evaluation protocol: plain crop (no augmentation) of every test face, model forward in inference mode, decode on
 * device, NME / FR / AUC / CED overall and per attribute subset, against the labels and (synthetic sets) the clean
 * truth. Optionally the per-landmark statistics of the predicted distributions (μ, Σ, λ) for the anisotropy analysis.
 *
 * NME is computed in crop pixels: the evaluation crop is a similarity transform of the image, so the ratio equals
 * the image-pixel NME (the official evaluate.py) up to float rounding.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { FaceDataset } from '../data/dataset';
import type { HeatmapCodec } from '../data/codec';
import type { DecodeMethod } from '../geometry/decode';
import { prepareSample } from '../data/prepare';
import { NO_AUGMENT } from '../data/augment';
import { cropMatrix, transformPoints } from '../data/crop';
import { flipPermutation, normIndices } from '../data/schemes';
import { loadImage, type RawImage } from '../data/image';
import type { Sample } from '../data/sample';
import { SUBSET_NAMES, subsetsOf, type SubsetName } from '../data/subsets';
import type { HourglassModel } from '../model/hourglass';
import { areaUnderCurve, cedCurve, failureRate, nme } from './metrics';
import { heatmapDistributionEigen } from '../geometry/distribution';
import { recordBuilder, type PredictionRecords } from '../analysis/prediction-records';

export interface EvalOptions {
  codec: HeatmapCodec;
  batchSize?: number;
  /** Normalisation: the scheme's default (WFLW/300W ocular, COFW pupil) unless stated. */
  norm?: 'ocular' | 'pupil' | 'default';
  /** FR/AUC threshold; default the scheme's (0.1; 300W 0.05). */
  threshold?: number;
  /** Host decoder for the reported landmarks; default soft-argmax (official). */
  decode?: DecodeMethod;
  /** Collect per-landmark distribution statistics of the predicted heatmaps. */
  distributions?: boolean;
  /** Collect per-prediction records (analysis/prediction-records.ts): every face × landmark. */
  records?: boolean;
  /** Evaluate only the first n faces (quick checks). */
  limit?: number;
  /** Keep per-image predictions (crop px) in the result. */
  keepPredictions?: boolean;
}

export interface MetricSet {
  n: number;
  nme: number;
  fr: number;
  auc: number;
}

export interface LandmarkDistributionStats {
  /** Per landmark index, means over test faces (STAR grid units): λ_min, λ_max, λ_max/λ_min. */
  lambdaMin: number[];
  lambdaMax: number[];
  ratio: number[];
  /** Per landmark: mean |cos| between the λ_max direction and the true curve tangent (synthetic; NaN where unknown). */
  tangentAlignment: number[];
  /**
   * Per landmark: RMS error (crop px) of the decoded prediction (the evaluation's decoder) along the true tangent and
   * normal, vs the clean truth (synthetic only).
   */
  errTangent: number[];
  errNormal: number[];
  /** Per image: mean λ_max/λ_min over landmarks (for easy-vs-hard splits). */
  imageRatio: number[];
}

export interface EvalResult {
  dataset: string;
  threshold: number;
  normalisation: string;
  /** Against the labels the set carries (for synthetic train-like sets: noisy, annotator-like labels). */
  labels: MetricSet;
  /** Against the noise-free truth, where the set has it (synthetic). */
  clean?: MetricSet;
  /** Per evaluation subset (WFLW attributes; 300W common/challenge/full): src/data/subsets.ts. */
  perSubset: Partial<Record<SubsetName, MetricSet>>;
  perSubsetClean?: Partial<Record<SubsetName, MetricSet>>;
  ced: { x: number[]; y: number[] };
  nmes: number[];
  nmesClean?: number[];
  ids: string[];
  predictions?: number[][][];
  distributions?: LandmarkDistributionStats;
  /** Per-prediction records of every evaluated face (with `records: true`). */
  records?: PredictionRecords;
}

function metricSet(nmes: number[], thr: number): MetricSet {
  const finite = nmes.filter(Number.isFinite);
  if (finite.length === 0) throw new Error(`evaluate: none of ${nmes.length} NME values is finite (the predictions are NaN or infinite)`);
  return { n: finite.length, nme: finite.reduce((a, b) => a + b, 0) / Math.max(1, finite.length), fr: failureRate(finite, thr), auc: areaUnderCurve(finite, thr) };
}

async function imageOf(s: Sample): Promise<RawImage> {
  if (s.pixels) return s.pixels;
  if (s.imagePath) return loadImage(s.imagePath);
  throw new Error(`${s.source ?? s.id}: sample has neither pixels nor an image path`);
}

const toPairs = (flat: ArrayLike<number>, n: number): number[][] => Array.from({ length: n }, (_, i) => [flat[2 * i], flat[2 * i + 1]]);

/** Faces per forward pass unless EvalOptions.batchSize says otherwise (what the backend's workload estimate assumes). */
export const EVAL_BATCH = 16;

export async function evaluate(model: HourglassModel, data: FaceDataset, opts: EvalOptions): Promise<EvalResult> {
  const { codec } = opts;
  const S = model.config.inputSize;
  const N = data.scheme.numPoints;
  if (codec.options.inputSize !== S || codec.options.heatmapSize !== model.config.heatmapSize || codec.numPoints !== N || model.config.numPoints !== N) {
    throw new Error(`evaluate: codec (${codec.options.inputSize}px -> ${codec.options.heatmapSize}, ${codec.numPoints} pts), model (${S}px -> ${model.config.heatmapSize}, ${model.config.numPoints} pts) and dataset ${data.name} (${N} pts) disagree`);
  }
  const B = opts.batchSize ?? EVAL_BATCH;
  const norm = normIndices(data.scheme, opts.norm ?? 'default');
  const thr = opts.threshold ?? data.scheme.frThreshold;
  const flipPerm = flipPermutation(data.scheme);
  const total = Math.min(data.length, opts.limit ?? Infinity);
  if (!(total >= 1)) throw new Error(`evaluate: ${data.name} gives no face to evaluate (${data.length} faces${opts.limit !== undefined ? `, limit ${opts.limit}` : ''})`);
  const nmes: number[] = [];
  const nmesClean: number[] = [];
  const ids: string[] = [];
  const predictions: number[][][] = [];
  const groups: SubsetName[][] = [];
  const hasClean = total > 0 && !!data.get(0).cleanLandmarks;
  const dist = opts.distributions
    ? { lmin: new Float64Array(N), lmax: new Float64Array(N), ratio: new Float64Array(N), align: new Float64Array(N), alignN: new Float64Array(N), errT: new Float64Array(N), errN: new Float64Array(N), errCount: new Float64Array(N), imageRatio: [] as number[], count: 0 }
    : undefined;
  const H = model.config.heatmapSize;
  const ocular = normIndices(data.scheme, 'ocular');
  const records = opts.records
    ? recordBuilder({ dataset: data.name, scheme: data.scheme.name, decoder: opts.decode ?? 'soft-argmax', truth: hasClean ? 'clean' : 'labels', inputSize: S, heatmapSize: H, landmarks: N })
    : undefined;

  for (let start = 0; start < total; start += B) {
    const n = Math.min(B, total - start);
    const images = new Float32Array(n * S * S * 3);
    const samples: Sample[] = [];
    const cropLabels: Float32Array[] = [];
    for (let k = 0; k < n; k++) {
      const s = data.get(start + k);
      samples.push(s);
      const prep = prepareSample(s, await imageOf(s), start + k, { codec, augment: NO_AUGMENT, flipPerm, seed: 0, epoch: 0, heatmaps: false }, { image: images.subarray(k * S * S * 3, (k + 1) * S * S * 3) });
      cropLabels.push(prep.cropLandmarks);
    }
    const wantStats = !!dist || !!records;
    const { coords, stats } = tf.tidy(() => {
      const x = tf.tensor4d(images, [n, S, S, 3]);
      const out = model.forward(x, { training: false, bnUpdates: [] });
      // ReLU: a no-op for the official non-negative head; the distribution view of a linear (regression) head.
      const heat = tf.relu(out.heatmaps[out.heatmaps.length - 1]) as tf.Tensor4D;
      const c = codec.decodeTensor(heat);
      if (!wantStats) return { coords: c, stats: undefined };
      const d = heatmapDistributionEigen(heat);
      return { coords: c, stats: tf.stack([d.lambdaMin, d.lambdaMax, d.theta, d.meanX, d.meanY]) };
    });
    const predFlat = await coords.data();
    coords.dispose();
    const st = stats ? await stats.data() : undefined;
    stats?.dispose();
    let predHost = predFlat as Float32Array;
    if (opts.decode && opts.decode !== 'soft-argmax') {
      // Host decoders need the heatmaps; recompute (evaluation only, rare).
      const heat = tf.tidy(() => {
        const out = model.forward(tf.tensor4d(images, [n, S, S, 3]), { training: false, bnUpdates: [] });
        return out.heatmaps[out.heatmaps.length - 1];
      });
      predHost = codec.decode((await heat.data()) as Float32Array, opts.decode);
      heat.dispose();
    }
    for (let k = 0; k < n; k++) {
      const s = samples[k];
      const predK = predHost.subarray(k * N * 2, (k + 1) * N * 2);
      const pred = toPairs(predK, N);
      const gt = toPairs(cropLabels[k], N);
      const faceNme = nme(pred, gt, norm, s.visible);
      nmes.push(faceNme);
      ids.push(s.id);
      groups.push(subsetsOf(s));
      if (opts.keepPredictions) predictions.push(pred.map(([x, y]) => [Math.round(x * 100) / 100, Math.round(y * 100) / 100]));
      const m = cropMatrix(s.box, S);
      let cleanFlat: Float32Array | undefined;
      let faceNmeClean: number | undefined;
      if (hasClean) {
        const flat = new Float32Array(2 * N);
        s.cleanLandmarks!.forEach(([x, y], i) => { flat[2 * i] = x; flat[2 * i + 1] = y; });
        cleanFlat = transformPoints(m, flat);
        faceNmeClean = nme(pred, toPairs(cleanFlat, N), norm, s.visible);
        nmesClean.push(faceNmeClean);
      }
      if (!st) continue;
      const o = (q: number, i: number) => st[q * n * N + k * N + i];
      const tangents = s.tangents ? cropTangents(s.tangents, m) : undefined;
      if (dist) {
        let rsum = 0;
        for (let i = 0; i < N; i++) {
          const lmin = Math.max(o(0, i), 1e-12);
          const lmax = o(1, i);
          const theta = o(2, i);
          dist.lmin[i] += lmin;
          dist.lmax[i] += lmax;
          dist.ratio[i] += lmax / lmin;
          rsum += lmax / lmin;
          const tx = tangents?.[2 * i] ?? 0;
          const ty = tangents?.[2 * i + 1] ?? 0;
          if (tx !== 0 || ty !== 0) {
            dist.align[i] += Math.abs(Math.cos(theta) * tx + Math.sin(theta) * ty);
            dist.alignN[i] += 1;
            if (cleanFlat) {
              // The decoded prediction, as the method is scored (argmax for heatmap regression, soft-argmax otherwise).
              const ex = predK[2 * i] - cleanFlat[2 * i];
              const ey = predK[2 * i + 1] - cleanFlat[2 * i + 1];
              const et = ex * tx + ey * ty;
              const en = -ex * ty + ey * tx;
              dist.errT[i] += et * et;
              dist.errN[i] += en * en;
              dist.errCount[i] += 1;
            }
          }
        }
        dist.imageRatio.push(rsum / N);
        dist.count += 1;
      }
      if (records) {
        const truth = cleanFlat ?? cropLabels[k];
        const stat = (q: number) => st.subarray(q * n * N + k * N, q * n * N + (k + 1) * N);
        records.add({
          id: s.id, lambdaMin: stat(0), lambdaMax: stat(1), theta: stat(2), meanX: stat(3), meanY: stat(4),
          prediction: predK, truth, tangents, visible: s.visible,
          nme: faceNmeClean ?? faceNme, nmeLabels: faceNmeClean === undefined ? undefined : faceNme,
          iod: normDistance(truth, ocular), attributes: s.attributes, meta: s.meta,
        });
      }
    }
  }

  const subsets = (vals: number[]): Partial<Record<SubsetName, MetricSet>> => {
    const out: Partial<Record<SubsetName, MetricSet>> = {};
    for (const a of SUBSET_NAMES) {
      const sel = vals.filter((_, i) => groups[i].includes(a));
      if (sel.length > 0) out[a] = metricSet(sel, thr);
    }
    return out;
  };
  const r: EvalResult = {
    dataset: data.name,
    threshold: thr,
    normalisation: `${opts.norm ?? 'default'} (${data.scheme.name}: left ${norm.left.join('+')}, right ${norm.right.join('+')})`,
    labels: metricSet(nmes, thr),
    perSubset: subsets(nmes),
    ced: cedCurve(nmes.filter(Number.isFinite), thr),
    nmes,
    ids,
  };
  if (hasClean) {
    r.clean = metricSet(nmesClean, thr);
    r.perSubsetClean = subsets(nmesClean);
    r.nmesClean = nmesClean;
  }
  if (opts.keepPredictions) r.predictions = predictions;
  if (records) r.records = records.finish();
  if (dist && dist.count > 0) {
    const per = (a: Float64Array, d: number | Float64Array) => Array.from(a, (v, i) => v / (typeof d === 'number' ? d : d[i]));
    r.distributions = {
      lambdaMin: per(dist.lmin, dist.count),
      lambdaMax: per(dist.lmax, dist.count),
      ratio: per(dist.ratio, dist.count),
      tangentAlignment: per(dist.align, dist.alignN),
      errTangent: per(dist.errT, dist.errCount).map(Math.sqrt),
      errNormal: per(dist.errN, dist.errCount).map(Math.sqrt),
      imageRatio: dist.imageRatio,
    };
  }
  return r;
}

/** Unit tangents (image frame, [0, 0] = none) mapped into the crop frame by the crop's linear part, flat [N*2]. */
function cropTangents(tangents: [number, number][], m: { a: number; b: number; c: number; d: number }): Float64Array {
  const out = new Float64Array(2 * tangents.length);
  tangents.forEach(([tx, ty], i) => {
    if (tx === 0 && ty === 0) return;
    const x = m.a * tx + m.b * ty;
    const y = m.c * tx + m.d * ty;
    const len = Math.hypot(x, y);
    out[2 * i] = x / len;
    out[2 * i + 1] = y / len;
  });
  return out;
}

/** Distance between the centroids of a normalisation's two point groups (flat points). */
function normDistance(flat: ArrayLike<number>, idx: { left: number[]; right: number[] }): number {
  const c = (g: number[]) => [g.reduce((a, i) => a + flat[2 * i], 0) / g.length, g.reduce((a, i) => a + flat[2 * i + 1], 0) / g.length];
  const [l, r] = [c(idx.left), c(idx.right)];
  return Math.hypot(l[0] - r[0], l[1] - r[1]);
}
