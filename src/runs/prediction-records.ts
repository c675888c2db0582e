/**
 * The per-prediction records file of a run folder (analysis/prediction-records.ts computes the records): a columnar
 * file (columnar.ts) whose per-face × landmark columns are float16 and per-face columns float32, with a JSON header
 * holding units, sizes, decoder, truth and face ids. src/runs/folder.ts names the files and reads/writes them through
 * this module; `recordsFrame` turns records into a danfojs DataFrame, one row per face × landmark.
 *
 * Precision: float16 keeps 11 significant bits (relative rounding ≤ 4.9e-4); in heatmap px an error of 0.1 px is
 * stored to ±5e-5 px and λ of 10 px² to ±0.005 px². The committed file and the local full file use the same encoding,
 * so the faces they share read back bit for bit alike.
 */
import { derivedRows, LANDMARK_COLUMNS, RECORD_UNITS, type PredictionRecords } from '../analysis/prediction-records';
import { decodeColumnar, encodeColumnar, type ColumnInput } from './columnar';

/** Everything of the records that is not a column. */
interface RecordsHeader {
  kind: 'prediction-records';
  units: typeof RECORD_UNITS;
  dataset: string;
  scheme: string;
  decoder: PredictionRecords['decoder'];
  truth: PredictionRecords['truth'];
  inputSize: number;
  heatmapSize: number;
  landmarks: number;
  faces: number;
  totalFaces: number;
  /** Face ids as a shared prefix and per-face suffixes (synthetic ids differ only in their index). */
  idPrefix: string;
  idSuffixes: string[];
}

function commonPrefix(ids: string[]): string {
  if (!ids.length) return '';
  let p = ids[0];
  for (const id of ids) while (!id.startsWith(p)) p = p.slice(0, -1);
  return p;
}

export function encodeRecords(r: PredictionRecords): Uint8Array {
  const prefix = commonPrefix(r.ids);
  const header: RecordsHeader = {
    kind: 'prediction-records', units: RECORD_UNITS, dataset: r.dataset, scheme: r.scheme, decoder: r.decoder, truth: r.truth,
    inputSize: r.inputSize, heatmapSize: r.heatmapSize, landmarks: r.landmarks, faces: r.faces, totalFaces: r.totalFaces,
    idPrefix: prefix, idSuffixes: r.ids.map((id) => id.slice(prefix.length)),
  };
  const rows = r.faces * r.landmarks;
  const columns: ColumnInput[] = [
    ...LANDMARK_COLUMNS.map((name): ColumnInput => ({ name, type: 'f16', values: r[name] })),
    ...(r.meanOffsetX && r.meanOffsetY ? [{ name: 'meanOffsetX', type: 'f16', values: r.meanOffsetX }, { name: 'meanOffsetY', type: 'f16', values: r.meanOffsetY }] as ColumnInput[] : []),
    { name: 'visible', type: 'u8', values: r.visible },
    { name: 'face.nme', type: 'f32', values: r.nme },
    ...(r.nmeLabels ? [{ name: 'face.nmeLabels', type: 'f32', values: r.nmeLabels } as ColumnInput] : []),
    { name: 'face.iod', type: 'f32', values: r.iod },
    ...Object.entries(r.attributes).map(([k, v]): ColumnInput => ({ name: `attr.${k}`, type: 'u8', values: v })),
    ...Object.entries(r.meta).map(([k, v]): ColumnInput => ({ name: `meta.${k}`, type: 'f32', values: v })),
  ];
  for (const c of columns) {
    const want = c.name.includes('.') ? r.faces : rows;
    if (c.values.length !== want) throw new Error(`encodeRecords: column ${c.name} has ${c.values.length} values, expected ${want}`);
  }
  return encodeColumnar(header, columns);
}

export function decodeRecords(buf: Uint8Array, where: string): PredictionRecords {
  const { meta: h, columns: c } = decodeColumnar<RecordsHeader>(buf, where);
  if (h?.kind !== 'prediction-records') throw new Error(`${where}: not a prediction-records file (kind ${JSON.stringify(h?.kind)})`);
  const f32 = (name: string): Float32Array => {
    const v = c[name];
    if (!(v instanceof Float32Array)) throw new Error(`${where}: column "${name}" is missing or not numeric`);
    return v;
  };
  const u8 = (name: string): Uint8Array => {
    const v = c[name];
    if (!(v instanceof Uint8Array)) throw new Error(`${where}: column "${name}" is missing or not bytes`);
    return v;
  };
  const prefixed = (p: string) => Object.keys(c).filter((k) => k.startsWith(p)).map((k) => [k.slice(p.length), k] as const);
  return {
    dataset: h.dataset, scheme: h.scheme, decoder: h.decoder, truth: h.truth, inputSize: h.inputSize, heatmapSize: h.heatmapSize,
    landmarks: h.landmarks, faces: h.faces, totalFaces: h.totalFaces, ids: h.idSuffixes.map((s) => h.idPrefix + s),
    lambdaMax: f32('lambdaMax'), lambdaMin: f32('lambdaMin'), angle: f32('angle'), errX: f32('errX'), errY: f32('errY'), tangentAngle: f32('tangentAngle'),
    ...(c.meanOffsetX ? { meanOffsetX: f32('meanOffsetX'), meanOffsetY: f32('meanOffsetY') } : {}),
    visible: u8('visible'),
    nme: f32('face.nme'), ...(c['face.nmeLabels'] ? { nmeLabels: f32('face.nmeLabels') } : {}), iod: f32('face.iod'),
    attributes: Object.fromEntries(prefixed('attr.').map(([k, name]) => [k, u8(name)])),
    meta: Object.fromEntries(prefixed('meta.').map(([k, name]) => [k, f32(name)])),
  };
}

/**
 * Records as plain columns of one row per face × landmark: face index and id, landmark index and facial part, the
 * stored values, the derived ones (error along the tangent/normal, angle to the tangent, σ along the tangent, λ ratio)
 * and the per-face values repeated on each of the face's rows. NaN stays NaN (e.g. no tangent).
 */
export function recordRows(r: PredictionRecords, parts: Record<string, number[]> = {}): Record<string, (number | string)[]> {
  const N = r.landmarks;
  const partOf = new Array<string>(N).fill('other');
  for (const [p, idx] of Object.entries(parts)) for (const i of idx) if (i < N && partOf[i] === 'other') partOf[i] = p;
  const d = derivedRows(r);
  const rows = r.faces * N;
  const face = (v: ArrayLike<number>) => Array.from({ length: rows }, (_, i) => v[Math.floor(i / N)]);
  const out: Record<string, (number | string)[]> = {
    face: Array.from({ length: rows }, (_, i) => Math.floor(i / N)),
    id: Array.from({ length: rows }, (_, i) => r.ids[Math.floor(i / N)]),
    landmark: Array.from({ length: rows }, (_, i) => i % N),
    part: Array.from({ length: rows }, (_, i) => partOf[i % N]),
  };
  for (const k of LANDMARK_COLUMNS) out[k] = Array.from(r[k]);
  if (r.meanOffsetX && r.meanOffsetY) {
    out.meanOffsetX = Array.from(r.meanOffsetX);
    out.meanOffsetY = Array.from(r.meanOffsetY);
  }
  out.visible = Array.from(r.visible);
  for (const k of ['errTangent', 'errNormal', 'angleToTangent', 'sigmaTangent', 'ratio'] as const) out[k] = Array.from(d[k]);
  out.nme = face(r.nme);
  if (r.nmeLabels) out.nmeLabels = face(r.nmeLabels);
  out.iod = face(r.iod);
  for (const [k, v] of Object.entries(r.attributes)) out[`attr.${k}`] = face(v);
  for (const [k, v] of Object.entries(r.meta)) out[`meta.${k}`] = face(v);
  return out;
}

/** A danfojs DataFrame of recordRows (loaded on demand: danfojs-node pulls in @tensorflow/tfjs, ~1 s). */
export function recordsFrame(r: PredictionRecords, parts: Record<string, number[]> = {}): unknown {
  // eslint-disable-next-line @typescript-eslint/no-var-requires
  const dfd = require('danfojs-node') as { DataFrame: new (data: unknown) => unknown };
  return new dfd.DataFrame(recordRows(r, parts));
}
