/**
 * Anisotropy statistics of predicted heatmap distributions (the paper's motivation figures): per landmark the
 * official mean μ and covariance Σ (geometry/distribution.ts), eigenvalues, anisotropy ratio λmax/λmin, principal
 * direction, and the prediction error μ − target decomposed onto the distribution's own axes and, when given,
 * onto the true curve tangent/normal; aggregated per landmark index and per facial part.
 * Pure data out (plain JS numbers), computed in float64 from the float32 statistics.
 */
import * as tf from '@tensorflow/tfjs-core';
import { heatmapDistribution } from '../geometry/distribution';
import { symEigen2x2Scalar } from '../geometry/eigen2x2';

export interface LandmarkAnisotropy {
  b: number;
  n: number;
  /** false for empty (all-zero) channels; their other fields are 0/NaN and aggregations skip them. */
  valid: boolean;
  meanX: number;
  meanY: number;
  covXX: number;
  covXY: number;
  covYY: number;
  lambdaMin: number;
  lambdaMax: number;
  /** λmax/λmin; Infinity when λmin <= 0 (a one-pixel or line-like distribution). */
  ratio: number;
  /** Direction of the λmax eigenvector, radians in (−π/2, π/2], x to the right, y down (image axes). */
  angle: number;
  /** Prediction error μ − target projected on the λmax / λmin axes (signed, STAR grid units); NaN without targets. */
  errMajor: number;
  errMinor: number;
  /** μ − target projected on the true unit tangent t and normal (−t_y, t_x); NaN without tangents. */
  errTangent: number;
  errNormal: number;
}

/** Per-landmark statistics `[B][N]`. targets `[B,N,2]` on the STAR grid; tangents `[B][N]` (x, y), any length. */
export function landmarkAnisotropy(
  heatmaps: tf.Tensor4D,
  targets?: tf.Tensor3D | ArrayLike<ArrayLike<ArrayLike<number>>>,
  tangents?: ArrayLike<ArrayLike<ArrayLike<number>>>,
): LandmarkAnisotropy[][] {
  const [B, , , N] = heatmaps.shape;
  const d = heatmapDistribution(heatmaps);
  const [valid, mx, my, cxx, cxy, cyy] = [d.valid, d.meanX, d.meanY, d.covXX, d.covXY, d.covYY].map((t) => t.dataSync());
  tf.dispose(Object.values(d));
  let tg: ArrayLike<ArrayLike<ArrayLike<number>>> | undefined;
  if (targets instanceof tf.Tensor) {
    if (targets.rank !== 3 || targets.shape[0] !== B || targets.shape[1] !== N || targets.shape[2] !== 2) {
      throw new Error(`landmarkAnisotropy: targets must be [${B}, ${N}, 2] to match heatmaps [${heatmaps.shape}], got [${targets.shape}]`);
    }
    tg = targets.arraySync() as number[][][];
  } else {
    tg = targets;
  }
  const checkNested = (a: ArrayLike<ArrayLike<ArrayLike<number>>> | undefined, what: string) => {
    if (a && (a.length !== B || Array.from(a).some((r) => r.length !== N))) {
      throw new Error(`landmarkAnisotropy: ${what} must be [${B}][${N}][2] to match heatmaps [${heatmaps.shape}]`);
    }
  };
  checkNested(tg, 'targets');
  checkNested(tangents, 'tangents');
  const out: LandmarkAnisotropy[][] = [];
  for (let b = 0; b < B; b++) {
    const row: LandmarkAnisotropy[] = [];
    for (let n = 0; n < N; n++) {
      const k = b * N + n;
      const e = symEigen2x2Scalar(cxx[k], cxy[k], cyy[k]);
      const ok = valid[k] > 0;
      const ex = tg ? mx[k] - tg[b][n][0] : NaN;
      const ey = tg ? my[k] - tg[b][n][1] : NaN;
      const c = Math.cos(e.theta);
      const s = Math.sin(e.theta);
      let errTangent = NaN;
      let errNormal = NaN;
      if (tangents) {
        const tx = tangents[b][n][0];
        const ty = tangents[b][n][1];
        const len = Math.hypot(tx, ty);
        if (len > 0) {
          errTangent = (ex * tx + ey * ty) / len;
          errNormal = (ey * tx - ex * ty) / len; // e·(−t_y, t_x)
        }
      }
      row.push({
        b, n, valid: ok,
        meanX: mx[k], meanY: my[k], covXX: cxx[k], covXY: cxy[k], covYY: cyy[k],
        lambdaMin: e.lambdaMin, lambdaMax: e.lambdaMax,
        ratio: e.lambdaMin > 0 ? e.lambdaMax / e.lambdaMin : Infinity,
        angle: e.theta,
        errMajor: c * ex + s * ey,
        errMinor: -s * ex + c * ey,
        errTangent, errNormal,
      });
    }
    out.push(row);
  }
  return out;
}

/** Summary of a group of landmark statistics (valid channels only). */
export interface AnisotropySummary {
  count: number;
  meanLambdaMin: number;
  meanLambdaMax: number;
  /** Mean and median of λmax/λmin over entries with a finite ratio; `infiniteRatios` counts the others. */
  meanRatio: number;
  medianRatio: number;
  infiniteRatios: number;
  /** Root mean square of the error components (NaN when not available). */
  rmsErrMajor: number;
  rmsErrMinor: number;
  rmsErrTangent: number;
  rmsErrNormal: number;
}

function summarise(items: LandmarkAnisotropy[]): AnisotropySummary {
  const v = items.filter((s) => s.valid);
  const mean = (xs: number[]) => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : NaN);
  const rms = (xs: number[]) => {
    const f = xs.filter((x) => !Number.isNaN(x));
    return f.length ? Math.sqrt(mean(f.map((x) => x * x))) : NaN;
  };
  const finite = v.map((s) => s.ratio).filter(Number.isFinite).sort((a, b) => a - b);
  const median = finite.length === 0 ? NaN
    : finite.length % 2 ? finite[(finite.length - 1) / 2] : (finite[finite.length / 2 - 1] + finite[finite.length / 2]) / 2;
  return {
    count: v.length,
    meanLambdaMin: mean(v.map((s) => s.lambdaMin)),
    meanLambdaMax: mean(v.map((s) => s.lambdaMax)),
    meanRatio: mean(finite),
    medianRatio: median,
    infiniteRatios: v.length - finite.length,
    rmsErrMajor: rms(v.map((s) => s.errMajor)),
    rmsErrMinor: rms(v.map((s) => s.errMinor)),
    rmsErrTangent: rms(v.map((s) => s.errTangent)),
    rmsErrNormal: rms(v.map((s) => s.errNormal)),
  };
}

/** Aggregate over images: one summary per landmark index n (array of length N). */
export function aggregateByLandmark(stats: LandmarkAnisotropy[][]): AnisotropySummary[] {
  const N = stats[0]?.length ?? 0;
  return Array.from({ length: N }, (_, n) => summarise(stats.map((row) => row[n])));
}

/** Aggregate over images and the landmark indices of each part (e.g. the scheme's edge groups). */
export function aggregateByPart(stats: LandmarkAnisotropy[][], parts: Record<string, number[]>): Record<string, AnisotropySummary> {
  const N = stats[0]?.length ?? 0;
  const out: Record<string, AnisotropySummary> = {};
  for (const [name, idx] of Object.entries(parts)) {
    for (const i of idx) if (!(Number.isInteger(i) && i >= 0 && i < N)) throw new Error(`aggregateByPart: part "${name}" has index ${i} outside 0..${N - 1}`);
    out[name] = summarise(stats.flatMap((row) => idx.map((i) => row[i])));
  }
  return out;
}
