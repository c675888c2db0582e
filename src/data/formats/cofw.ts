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
import * as fs from 'fs';
import * as path from 'path';
import type { Point, Sample } from '../sample';
import { COFW29 } from '../schemes';
import { arrayDataset, type FaceDataset } from '../dataset';
import { FormatError, parseNum, resolveBox, type BoxOptions, type Rect } from './common';
import { resolveImage, type ImageOptions } from './images';

const N = COFW29.numPoints;

export interface CofwOptions extends BoxOptions, ImageOptions {
  /** Coordinates (points and boxes) are MATLAB 1-based. Default: the JSON's `oneBased`, else true. */
  oneBased?: boolean;
}

export interface CofwFace {
  sample: Sample;
  occluded: boolean[];
}

function face(file: string, line: number | undefined, fieldBase: string, image: string, phis: number[], bbox: number[] | undefined, idx: number, shift: number, opts: CofwOptions): CofwFace {
  const landmarks: Point[] = [];
  for (let i = 0; i < N; i++) landmarks.push([phis[i] - shift, phis[N + i] - shift]);
  const occluded = phis.slice(2 * N, 3 * N).map((v, i) => {
    if (v !== 0 && v !== 1) throw new FormatError(file, line, `${fieldBase} occlusion ${i}`.trim(), `expected 0 or 1, got ${v}`);
    return v === 1;
  });
  let rect: Rect | undefined;
  if (bbox) {
    if (!(bbox[2] > 0 && bbox[3] > 0)) throw new FormatError(file, line, `${fieldBase} bbox`.trim(), `width/height must be > 0, got ${bbox.join(', ')}`);
    rect = [bbox[0] - shift, bbox[1] - shift, bbox[0] - shift + bbox[2], bbox[1] - shift + bbox[3]];
  }
  const where = `${file}${line !== undefined ? `:${line}` : ` face ${idx}`}`;
  return {
    sample: {
      id: `${path.basename(image)}#${idx}`,
      imagePath: resolveImage(image, file, line, `${fieldBase} image`.trim(), opts),
      scheme: COFW29.name,
      landmarks,
      box: resolveBox(where, landmarks, undefined, undefined, rect, opts),
      source: where,
    },
    occluded,
  };
}

export function readCofwExport(file: string, opts: CofwOptions = {}): CofwFace[] {
  const text = fs.readFileSync(file, 'utf8');
  if (file.toLowerCase().endsWith('.json')) {
    let o: { format?: unknown; oneBased?: unknown; images?: unknown; phis?: unknown; bboxes?: unknown };
    try { o = JSON.parse(text); } catch (e) { throw new FormatError(file, undefined, undefined, `not valid JSON: ${(e as Error).message}`); }
    if (o.format !== 'cofw-export-v1') throw new FormatError(file, undefined, 'format', `expected "cofw-export-v1", got ${JSON.stringify(o.format)}`);
    if (!Array.isArray(o.images) || !Array.isArray(o.phis)) throw new FormatError(file, undefined, 'images/phis', 'expected arrays');
    if (o.images.length !== o.phis.length) throw new FormatError(file, undefined, 'images', `${o.images.length} images but ${o.phis.length} phis rows`);
    const boxes = o.bboxes as number[][] | undefined;
    if (boxes !== undefined && (!Array.isArray(boxes) || boxes.length !== o.phis.length)) throw new FormatError(file, undefined, 'bboxes', 'expected one [x, y, w, h] per face');
    const shift = (opts.oneBased ?? (o.oneBased === undefined ? true : o.oneBased === true)) ? 1 : 0;
    return (o.phis as unknown[]).map((row, k) => {
      if (!Array.isArray(row) || row.length !== 3 * N) throw new FormatError(file, undefined, `phis[${k}]`, `expected ${3 * N} numbers (29 x, 29 y, 29 occlusion), got ${Array.isArray(row) ? row.length : typeof row}`);
      row.forEach((v, j) => { if (typeof v !== 'number' || !Number.isFinite(v)) throw new FormatError(file, undefined, `phis[${k}][${j}]`, `not a finite number: ${JSON.stringify(v)}`); });
      const b = boxes?.[k];
      if (b !== undefined && (!Array.isArray(b) || b.length !== 4 || !b.every(Number.isFinite))) throw new FormatError(file, undefined, `bboxes[${k}]`, `expected [x, y, w, h], got ${JSON.stringify(b)}`);
      const img = (o.images as unknown[])[k];
      if (typeof img !== 'string') throw new FormatError(file, undefined, `images[${k}]`, 'expected a path string');
      return face(file, undefined, `phis[${k}]`, img, row as number[], b, k, shift, opts);
    });
  }
  const shift = (opts.oneBased ?? true) ? 1 : 0;
  const out: CofwFace[] = [];
  text.split(/\r?\n/).forEach((raw, k) => {
    const line = k + 1;
    if (raw.trim() === '') return;
    const f = raw.split(',').map((s) => s.trim());
    if (out.length === 0 && k === 0 && !Number.isFinite(Number(f[1]))) return; // header
    if (f.length !== 1 + 3 * N && f.length !== 5 + 3 * N) throw new FormatError(file, line, undefined, `${f.length} fields; expected ${1 + 3 * N} or ${5 + 3 * N} (image, 29 x, 29 y, 29 occlusion[, bbox x y w h])`);
    const nums = f.slice(1).map((v, j) => parseNum(v, file, line, `${j + 2}`));
    out.push(face(file, line, '', f[0], nums.slice(0, 3 * N), nums.length > 3 * N ? nums.slice(3 * N) : undefined, out.length, shift, opts));
  });
  if (out.length === 0) throw new FormatError(file, undefined, undefined, 'no faces');
  return out;
}

export function cofwDataset(file: string, opts: CofwOptions = {}): FaceDataset {
  return arrayDataset(`COFW ${path.basename(file)}`, COFW29, readCofwExport(file, opts).map((f) => f.sample));
}
