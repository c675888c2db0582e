/**
 * Per-prediction records: for every evaluated face × landmark, the predicted distribution's eigenvalues and major
 * axis, the error of the method's decoded prediction against the truth (the clean truth on synthetic data), split
 * along the true curve tangent and normal where one exists, and per face its NME, inter-ocular distance, attributes
 * and generator parameters. The evaluation (eval/evaluate.ts) feeds one face at a time; src/runs/ stores the records
 * (float16 on disk) and reads them back; figures (src/report/figures/) compute their statistics from them.
 *
 * Units (stated once, in RECORD_UNITS): heatmap pixels throughout, so √λ (a standard deviation) and the errors compare
 * like with like, and the face's inter-ocular distance is given in the same unit for normalising. One heatmap pixel is
 * S/H crop pixels (the model's output stride); one STAR grid unit is (H − 1)/2 heatmap pixels (geometry/coords.ts).
 */
import { cropPixelToHeatmapPixel, gridToHeatmapPixel } from '../geometry/coords';
import type { DecodeMethod } from '../geometry/decode';

export const RECORD_UNITS = {
  lambda: 'heatmap px² (eigenvalues of the predicted covariance; √λ is a standard deviation in heatmap px)',
  angle: 'radians in (−π/2, π/2], image axes (x right, y down); the major axis and the tangent are lines, so θ ≡ θ + π',
  error: 'heatmap px (decoded prediction − truth, crop axes; one heatmap px = S/H crop px)',
  iod: 'heatmap px (inter-ocular distance of the truth: the scheme\'s ocular normalisation points)',
  nme: 'fraction of the NME normalising distance (the scheme\'s default: inter-ocular for WFLW/300W, inter-pupil for COFW)',
} as const;

/** Per face × landmark values, row-major: entry `face · landmarks + landmark`. */
export const LANDMARK_COLUMNS = ['lambdaMax', 'lambdaMin', 'angle', 'errX', 'errY', 'tangentAngle'] as const;
export type LandmarkColumn = (typeof LANDMARK_COLUMNS)[number];

export interface PredictionRecords {
  /** The evaluated dataset's name (for synthetic sets it states the seed and the ambiguity). */
  dataset: string;
  scheme: string;
  /** Decoder of the predictions the errors are measured on (the method's own: argmax for heatmap regression). */
  decoder: DecodeMethod;
  /** What the errors and `nme` are measured against: the noise-free truth (synthetic) or the labels. */
  truth: 'clean' | 'labels';
  inputSize: number;
  heatmapSize: number;
  landmarks: number;
  faces: number;
  /** Faces of the whole evaluation; the records hold the first `faces` of them. */
  totalFaces: number;
  ids: string[];
  /** λmax, λmin: heatmap px². */
  lambdaMax: Float32Array;
  lambdaMin: Float32Array;
  /** Direction of the λmax eigenvector (radians, image axes). */
  angle: Float32Array;
  /** Decoded prediction − truth (heatmap px). */
  errX: Float32Array;
  errY: Float32Array;
  /** Direction of the true curve tangent at the landmark (radians); NaN where the point has none (corners, real data). */
  tangentAngle: Float32Array;
  /**
   * Distribution mean μ − decoded prediction (heatmap px), for decoders other than the soft-argmax; absent for the
   * soft-argmax, whose prediction is μ itself.
   */
  meanOffsetX?: Float32Array;
  meanOffsetY?: Float32Array;
  /** 1 visible (scored), 0 not. */
  visible: Uint8Array;
  /** Per face: NME against `truth`, and against the labels when the truth is clean. */
  nme: Float32Array;
  nmeLabels?: Float32Array;
  /** Per face: inter-ocular distance of the truth (heatmap px). */
  iod: Float32Array;
  /** Per face: attribute flags (1/0), for the attributes every face has. */
  attributes: Record<string, Uint8Array>;
  /** Per face: numeric generator parameters (synthetic: yaw, pitch, roll in degrees, expression, blur...), when every face has them. */
  meta: Record<string, Float32Array>;
}

/** One evaluated face, as the evaluation has it. */
export interface FaceRecordInput {
  id: string;
  /** Per landmark, statistics of the predicted distribution on the STAR grid. */
  lambdaMin: ArrayLike<number>;
  lambdaMax: ArrayLike<number>;
  theta: ArrayLike<number>;
  meanX: ArrayLike<number>;
  meanY: ArrayLike<number>;
  /** Decoded prediction and truth, crop px, flat [x0, y0, x1, y1, ...]. */
  prediction: ArrayLike<number>;
  truth: ArrayLike<number>;
  /** True curve tangents in the crop frame, flat (any length; [0, 0] = none); absent: none at all. */
  tangents?: ArrayLike<number>;
  visible?: ArrayLike<number>;
  nme: number;
  nmeLabels?: number;
  /** Inter-ocular distance of the truth, crop px. */
  iod: number;
  attributes?: Partial<Record<string, boolean>>;
  meta?: Record<string, number>;
}

/** What a recorder is told before the first face: the records' header without the face counts. */
export type RecordSetup = Pick<PredictionRecords, 'dataset' | 'scheme' | 'decoder' | 'truth' | 'inputSize' | 'heatmapSize' | 'landmarks'>;

export interface RecordBuilder {
  add(face: FaceRecordInput): void;
  finish(): PredictionRecords;
}

/** Collects faces into records; values are converted to heatmap px here, once. */
export function recordBuilder(setup: RecordSetup): RecordBuilder {
  const { inputSize: S, heatmapSize: H, landmarks: N } = setup;
  const gridToPx2 = ((H - 1) / 2) ** 2;
  const cropToHeat = H / S;
  const rows: Record<LandmarkColumn | 'meanOffsetX' | 'meanOffsetY' | 'visible', number[]> = {
    lambdaMax: [], lambdaMin: [], angle: [], errX: [], errY: [], tangentAngle: [], meanOffsetX: [], meanOffsetY: [], visible: [],
  };
  const faces: FaceRecordInput[] = [];
  return {
    add(f) {
      const lengths = { lambdaMin: f.lambdaMin.length, lambdaMax: f.lambdaMax.length, theta: f.theta.length, meanX: f.meanX.length, meanY: f.meanY.length };
      for (const [k, n] of Object.entries(lengths)) if (n !== N) throw new Error(`recordBuilder(${f.id}): ${k} has ${n} values, expected ${N}`);
      for (const [k, a] of [['prediction', f.prediction], ['truth', f.truth]] as const) if (a.length !== 2 * N) throw new Error(`recordBuilder(${f.id}): ${k} has ${a.length} values, expected ${2 * N}`);
      if (f.tangents && f.tangents.length !== 2 * N) throw new Error(`recordBuilder(${f.id}): tangents have ${f.tangents.length} values, expected ${2 * N}`);
      for (let n = 0; n < N; n++) {
        rows.lambdaMax.push(f.lambdaMax[n] * gridToPx2);
        rows.lambdaMin.push(f.lambdaMin[n] * gridToPx2);
        rows.angle.push(f.theta[n]);
        rows.errX.push((f.prediction[2 * n] - f.truth[2 * n]) * cropToHeat);
        rows.errY.push((f.prediction[2 * n + 1] - f.truth[2 * n + 1]) * cropToHeat);
        const tx = f.tangents ? f.tangents[2 * n] : 0;
        const ty = f.tangents ? f.tangents[2 * n + 1] : 0;
        rows.tangentAngle.push(tx === 0 && ty === 0 ? NaN : lineAngle(Math.atan2(ty, tx)));
        rows.meanOffsetX.push(gridToHeatmapPixel(f.meanX[n], H) - cropPixelToHeatmapPixel(f.prediction[2 * n], S, H));
        rows.meanOffsetY.push(gridToHeatmapPixel(f.meanY[n], H) - cropPixelToHeatmapPixel(f.prediction[2 * n + 1], S, H));
        rows.visible.push(f.visible ? (f.visible[n] > 0 ? 1 : 0) : 1);
      }
      faces.push(f);
    },
    finish() {
      const F = faces.length;
      const f32 = (a: number[]) => Float32Array.from(a);
      const everyFace = <T>(pick: (f: FaceRecordInput) => Partial<Record<string, T>> | undefined): string[] => {
        const keys = new Set<string>(F ? Object.keys(pick(faces[0]) ?? {}) : []);
        for (const f of faces) for (const k of [...keys]) if (pick(f)?.[k] === undefined) keys.delete(k);
        return [...keys];
      };
      const soft = setup.decoder === 'soft-argmax';
      const cleanHasLabels = setup.truth === 'clean' && faces.every((f) => f.nmeLabels !== undefined);
      return {
        ...setup, faces: F, totalFaces: F, ids: faces.map((f) => f.id),
        lambdaMax: f32(rows.lambdaMax), lambdaMin: f32(rows.lambdaMin), angle: f32(rows.angle),
        errX: f32(rows.errX), errY: f32(rows.errY), tangentAngle: f32(rows.tangentAngle),
        ...(soft ? {} : { meanOffsetX: f32(rows.meanOffsetX), meanOffsetY: f32(rows.meanOffsetY) }),
        visible: Uint8Array.from(rows.visible),
        nme: f32(faces.map((f) => f.nme)),
        ...(cleanHasLabels ? { nmeLabels: f32(faces.map((f) => f.nmeLabels!)) } : {}),
        iod: f32(faces.map((f) => f.iod * cropToHeat)),
        attributes: Object.fromEntries(everyFace((f) => f.attributes).map((k) => [k, Uint8Array.from(faces, (f) => (f.attributes![k] ? 1 : 0))])),
        meta: Object.fromEntries(everyFace((f) => f.meta).filter((k) => faces.every((f) => typeof f.meta![k] === 'number')).map((k) => [k, f32(faces.map((f) => f.meta![k]))])),
      };
    },
  };
}

/** An undirected line's angle in (−π/2, π/2]. */
export function lineAngle(a: number): number {
  if (!Number.isFinite(a)) return NaN;
  let r = a % Math.PI;
  if (r > Math.PI / 2) r -= Math.PI;
  else if (r <= -Math.PI / 2) r += Math.PI;
  return r;
}

/** The first `faces` faces of the records (every column cut; totalFaces kept). */
export function firstFaces(r: PredictionRecords, faces: number): PredictionRecords {
  if (!(Number.isInteger(faces) && faces >= 0)) throw new Error(`firstFaces: expected a whole number of faces, got ${faces}`);
  const F = Math.min(faces, r.faces);
  const rows = F * r.landmarks;
  const cut = <T extends Float32Array | Uint8Array>(a: T, n: number): T => a.slice(0, n) as T;
  const per = <T extends Float32Array | Uint8Array>(o: Record<string, T>) => Object.fromEntries(Object.entries(o).map(([k, v]) => [k, cut(v, F)]));
  return {
    ...r, faces: F, ids: r.ids.slice(0, F),
    lambdaMax: cut(r.lambdaMax, rows), lambdaMin: cut(r.lambdaMin, rows), angle: cut(r.angle, rows),
    errX: cut(r.errX, rows), errY: cut(r.errY, rows), tangentAngle: cut(r.tangentAngle, rows),
    ...(r.meanOffsetX && r.meanOffsetY ? { meanOffsetX: cut(r.meanOffsetX, rows), meanOffsetY: cut(r.meanOffsetY, rows) } : {}),
    visible: cut(r.visible, rows),
    nme: cut(r.nme, F), ...(r.nmeLabels ? { nmeLabels: cut(r.nmeLabels, F) } : {}), iod: cut(r.iod, F),
    attributes: per(r.attributes), meta: per(r.meta),
  };
}

/** Quantities derived per row (float64, NaN where undefined): what the figures measure. */
export interface DerivedRows {
  /** Error along the true tangent t and the normal (−t_y, t_x), heatmap px; NaN without a tangent. */
  errTangent: Float64Array;
  errNormal: Float64Array;
  /** Major axis relative to the true tangent, radians in (−π/2, π/2]; NaN without a tangent. */
  angleToTangent: Float64Array;
  /** Predicted standard deviation along the true tangent, √(tᵀΣt) (heatmap px); NaN without a tangent. */
  sigmaTangent: Float64Array;
  /** λmax/λmin (Infinity when λmin <= 0). */
  ratio: Float64Array;
}

export function derivedRows(r: Pick<PredictionRecords, 'lambdaMax' | 'lambdaMin' | 'angle' | 'errX' | 'errY' | 'tangentAngle'>): DerivedRows {
  const n = r.lambdaMax.length;
  const out: DerivedRows = {
    errTangent: new Float64Array(n), errNormal: new Float64Array(n), angleToTangent: new Float64Array(n), sigmaTangent: new Float64Array(n), ratio: new Float64Array(n),
  };
  for (let i = 0; i < n; i++) {
    const lmax = r.lambdaMax[i];
    const lmin = r.lambdaMin[i];
    out.ratio[i] = lmin > 0 ? lmax / lmin : Infinity;
    const phi = r.tangentAngle[i];
    if (Number.isNaN(phi)) {
      out.errTangent[i] = out.errNormal[i] = out.angleToTangent[i] = out.sigmaTangent[i] = NaN;
      continue;
    }
    const tx = Math.cos(phi);
    const ty = Math.sin(phi);
    out.errTangent[i] = r.errX[i] * tx + r.errY[i] * ty;
    out.errNormal[i] = -r.errX[i] * ty + r.errY[i] * tx;
    const d = r.angle[i] - phi;
    out.angleToTangent[i] = lineAngle(d);
    const c = Math.cos(d);
    out.sigmaTangent[i] = Math.sqrt(Math.max(0, lmax * c * c + lmin * (1 - c * c)));
  }
  return out;
}
