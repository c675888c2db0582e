/**
 * COFW (29 points). The official release (`COFW_{train,test}_color.mat`) is MATLAB v7.3, i.e. HDF5, and no HDF5 reader
 * is installed here, so we read a documented EXPORT of it instead (JSON or CSV). Export once with Python + h5py + Pillow
 * (h5py reads MATLAB arrays transposed; the image cell holds object references):
 *
 *   python3 -c "import h5py,json,os;from PIL import Image;f=h5py.File('COFW_test_color.mat','r');os.makedirs('images',exist_ok=True);
 *   n=[];[(Image.fromarray(f[r][()].T.astype('uint8')).save('images/%06d.png'%(i+1)),n.append('images/%06d.png'%(i+1))) for i,r in enumerate(f['IsT'][0])];
 *   json.dump({'format':'cofw-export-v1','oneBased':True,'images':n,'phis':f['phisT'][()].T.tolist(),'bboxes':f['bboxesT'][()].T.tolist()},open('cofw_test.json','w'))"
 *
 * (train: `IsTr`, `phisTr`, `bboxesTr`). JSON layout: `{format: "cofw-export-v1", oneBased?: true, images: [path],
 * phis: [[x0..x28, y0..y28, occ0..occ28]], bboxes?: [[x, y, w, h]]}`. CSV layout (header optional): one face per row,
 * `image, x0..x28, y0..y28, occ0..occ28[, bx, by, bw, bh]` (88 or 92 fields).
 * Coordinates from MATLAB are 1-based; `oneBased` (default true) subtracts 1 to get our 0-based pixels.
 * Occlusion flags (1 = occluded) are kept in the id-free `occluded` list of the result; occluded points are still
 * labelled, so `visible` stays 1 for all points (COFW NME counts every point).
 */
import * as path from 'path';
import type { Point, Sample } from '../sample';
import { COFW29 } from '../schemes';
import { arrayDataset, type FaceDataset } from '../dataset';
import {
  FieldLayout, FormatError, brief, checkRect, fail, fileBox, isHeaderLine, jsonNums, parseNum, readJsonObject, readLines, requireFaces, resolveBox,
  type BoxOptions, type Location, type Rect,
} from './common';
import { resolveImage, type ImageOptions } from './images';
import { checkLandmarkBounds, type Located } from './bounds';

const N = COFW29.numPoints;

export interface CofwOptions extends BoxOptions, ImageOptions {
  /** Coordinates (points and boxes) are MATLAB 1-based. Default: the JSON's `oneBased`, else true. */
  oneBased?: boolean;
}

export interface CofwFace {
  sample: Sample;
  occluded: boolean[];
}

/** Where the fields of one face are: a CSV line (columns) or a JSON row (`phis[k]`, `bboxes[k]`, `images[k]`). */
interface FaceFields {
  at: Location;
  image: string;
  point: (i: number) => string;
  occlusion: (i: number) => string;
  bbox: string;
}

function face(f: FaceFields, image: string, phis: number[], bbox: number[] | undefined, idx: number, shift: number, opts: CofwOptions): CofwFace & { located: Located } {
  const landmarks: Point[] = [];
  for (let i = 0; i < N; i++) landmarks.push([phis[i] - shift, phis[N + i] - shift]);
  const occluded = phis.slice(2 * N, 3 * N).map((v, i) => {
    if (v !== 0 && v !== 1) fail({ ...f.at, field: f.occlusion(i) }, `expected 0 or 1, got ${v}`);
    return v === 1;
  });
  let rect: Rect | undefined;
  if (bbox) rect = checkRect([bbox[0] - shift, bbox[1] - shift, bbox[0] - shift + bbox[2], bbox[1] - shift + bbox[3]], { ...f.at, field: f.bbox });
  const sample: Sample = {
    id: `${path.basename(image)}#${idx}`,
    imagePath: resolveImage(image, f.at.file, f.at.line, f.image, opts),
    scheme: COFW29.name,
    landmarks,
    box: resolveBox(f.at, landmarks, undefined, undefined, rect, opts),
    source: `${f.at.file}${f.at.line !== undefined ? `:${f.at.line}` : ` face ${idx}`}`,
  };
  return { sample, occluded, located: { sample, at: f.at, imageField: f.image, pointField: f.point, fileBox: fileBox(undefined, rect, opts) } };
}

function readJsonExport(file: string, opts: CofwOptions): (CofwFace & { located: Located })[] {
  const o = readJsonObject(file);
  if (o.format !== 'cofw-export-v1') throw new FormatError(file, undefined, 'format', `expected "cofw-export-v1", got ${brief(o.format)}`);
  if (!Array.isArray(o.images)) throw new FormatError(file, undefined, 'images', 'expected an array');
  if (!Array.isArray(o.phis)) throw new FormatError(file, undefined, 'phis', 'expected an array');
  if (o.images.length !== o.phis.length) throw new FormatError(file, undefined, 'images', `${o.images.length} images but ${o.phis.length} phis rows`);
  const boxes = o.bboxes;
  if (boxes !== undefined && (!Array.isArray(boxes) || boxes.length !== o.phis.length)) throw new FormatError(file, undefined, 'bboxes', 'expected one [x, y, w, h] per face');
  if (o.oneBased !== undefined && typeof o.oneBased !== 'boolean') throw new FormatError(file, undefined, 'oneBased', `expected true or false, got ${brief(o.oneBased)}`);
  const shift = (opts.oneBased ?? (o.oneBased === undefined ? true : o.oneBased === true)) ? 1 : 0;
  return requireFaces((o.phis as unknown[]).map((row, k) => {
    const phis = jsonNums(row, 3 * N, { file, field: `phis[${k}]` }, '29 x, 29 y, 29 occlusion');
    const b = boxes === undefined ? undefined : jsonNums((boxes as unknown[])[k], 4, { file, field: `bboxes[${k}]` }, '[x, y, w, h]');
    const img = (o.images as unknown[])[k];
    if (typeof img !== 'string') throw new FormatError(file, undefined, `images[${k}]`, `expected a path string, got ${brief(img)}`);
    const fields: FaceFields = {
      at: { file, field: `phis[${k}]` }, image: `images[${k}]`, bbox: `bboxes[${k}]`,
      point: (i) => `phis[${k}][${i}], phis[${k}][${N + i}]`, occlusion: (i) => `phis[${k}][${2 * N + i}]`,
    };
    return face(fields, img, phis, b, k, shift, opts);
  }), file);
}

function readCsvExport(file: string, opts: CofwOptions): (CofwFace & { located: Located })[] {
  const shift = (opts.oneBased ?? true) ? 1 : 0;
  const out: (CofwFace & { located: Located })[] = [];
  const layout = new FieldLayout({ [1 + 3 * N]: 'image, 29 x, 29 y, 29 occlusion', [5 + 3 * N]: 'the same and bbox x, y, w, h' });
  const lines = readLines(file);
  const firstLine = lines.findIndex((l) => l.trim() !== '');
  lines.forEach((raw, k) => {
    const line = k + 1;
    if (raw.trim() === '') return;
    if (k === firstLine && isHeaderLine(raw)) return;
    const f = raw.split(',').map((s) => s.trim());
    layout.check(f.length, { file, line });
    const nums = f.slice(1).map((v, j) => parseNum(v, file, line, `${j + 2}`));
    const fields: FaceFields = {
      at: { file, line }, image: '1 (image)', bbox: `${3 * N + 2}-${3 * N + 5} (bbox)`,
      point: (i) => `${i + 2}, ${N + i + 2} (x${i}, y${i})`, occlusion: (i) => `${2 * N + i + 2} (occlusion ${i})`,
    };
    out.push(face(fields, f[0], nums.slice(0, 3 * N), nums.length > 3 * N ? nums.slice(3 * N) : undefined, out.length, shift, opts));
  });
  return requireFaces(out, file);
}

export function readCofwExport(file: string, opts: CofwOptions = {}): CofwFace[] {
  const faces = file.toLowerCase().endsWith('.json') ? readJsonExport(file, opts) : readCsvExport(file, opts);
  checkLandmarkBounds(faces.map((f) => f.located), file, opts);
  return faces.map(({ sample, occluded }) => ({ sample, occluded }));
}

export function cofwDataset(file: string, opts: CofwOptions = {}): FaceDataset {
  return arrayDataset(`COFW ${path.basename(file)}`, COFW29, readCofwExport(file, opts).map((f) => f.sample));
}
