/**
 * COCO-style keypoint JSON as mmpose writes face sets (WFLW, 300W, COFW, AFLW, ...):
 * `{ images: [{id, file_name}], annotations: [{image_id, keypoints: [x, y, v] * N, bbox: [x, y, w, h], center?, scale?}] }`.
 * - Coordinates are 0-based image pixels. `v`: 0 = not labelled (visible weight 0), 1/2 = labelled (weight 1;
 *   COFW marks occluded-but-labelled points 1, which still count as labels).
 * - Box: a stated `center` + `scale` is used with mmpose's 1.25 padding (`scale * 1.25`, as mmpose's face datasets
 *   do); otherwise `bbox` with the reader's margin; both checked against the landmarks (rule in ./common).
 * - Scheme: given, or picked from the point count among the built-ins (98 WFLW, 68 300W, 29 COFW).
 */
import * as path from 'path';
import type { Point, Sample } from '../sample';
import { BUILTIN_SCHEMES, type LandmarkScheme } from '../schemes';
import { arrayDataset, type FaceDataset } from '../dataset';
import { FormatError, brief, checkCount, checkRect, fail, fileBox, jsonNum, jsonNums, readJsonObject, requireFaces, resolveBox, type BoxOptions, type Location, type Rect } from './common';
import { resolveImage, type ImageOptions } from './images';
import { checkLandmarkBounds, type Located } from './bounds';

export interface CocoOptions extends BoxOptions, ImageOptions {
  scheme?: LandmarkScheme;
  /** Padding applied to a stated mmpose `scale`. Default 1.25. */
  statedScalePadding?: number;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

export function readCocoKeypoints(file: string, opts: CocoOptions = {}): { scheme: LandmarkScheme; samples: Sample[] } {
  const o = readJsonObject(file);
  if (!Array.isArray(o.images)) throw new FormatError(file, undefined, 'images', 'expected an array');
  if (!Array.isArray(o.annotations) || o.annotations.length === 0) throw new FormatError(file, undefined, 'annotations', 'expected a non-empty array');
  const images = new Map<number, string>();
  (o.images as unknown[]).forEach((im, k) => {
    if (!isObject(im) || typeof im.id !== 'number' || typeof im.file_name !== 'string') {
      throw new FormatError(file, undefined, `images[${k}]`, `expected {id: number, file_name: string}, got ${brief(im)}`);
    }
    if (images.has(im.id)) throw new FormatError(file, undefined, `images[${k}].id`, `id ${im.id} appears twice`);
    images.set(im.id, im.file_name);
  });
  const annotations = o.annotations as unknown[];
  annotations.forEach((a, k) => {
    if (!isObject(a)) throw new FormatError(file, undefined, `annotations[${k}]`, `expected an object, got ${brief(a)}`);
  });
  const first = (annotations[0] as Record<string, unknown>).keypoints;
  let scheme = opts.scheme;
  if (!scheme) {
    const at = { file, field: 'annotations[0].keypoints' };
    if (!Array.isArray(first)) fail(at, `expected [x, y, v] * N, got ${brief(first)}`);
    const n = (first as unknown[]).length / 3;
    scheme = Object.values(BUILTIN_SCHEMES).find((s) => s.numPoints === n);
    if (!scheme) fail(at, `${n} points match no built-in scheme; pass opts.scheme (see validateScheme)`);
  }
  const pad = opts.statedScalePadding ?? 1.25;
  const perImage = new Map<string, number>();
  const faces = (annotations as Record<string, unknown>[]).map((a, k): Located => {
    const at = (field: string): Location => ({ file, field: `annotations[${k}].${field}` });
    const kp = a.keypoints;
    if (!Array.isArray(kp) || kp.length % 3 !== 0) fail(at('keypoints'), 'expected [x, y, v] * N');
    checkCount((kp as unknown[]).length / 3, scheme!.numPoints, file, undefined, at('keypoints').field!, scheme!.name);
    const landmarks: Point[] = [];
    const visible: number[] = [];
    for (let i = 0; i < (kp as unknown[]).length; i += 3) {
      const [x, y, v] = [0, 1, 2].map((j) => (kp as unknown[])[i + j]);
      if (![x, y, v].every((u) => typeof u === 'number' && Number.isFinite(u))) fail(at(`keypoints[${i}..${i + 2}]`), `non-numeric value in ${brief([x, y, v])}`);
      landmarks.push([x as number, y as number]);
      visible.push((v as number) > 0 ? 1 : 0);
    }
    const name = images.get(a.image_id as number);
    if (name === undefined) fail(at('image_id'), `no image with id ${brief(a.image_id)}`);
    let rect: Rect | undefined;
    if (a.bbox !== undefined) {
      const [x, y, w, h] = jsonNums(a.bbox, 4, at('bbox'), '[x, y, w, h]');
      rect = checkRect([x, y, x + w, y + h], at('bbox'));
    }
    let stated: Sample['box'] | undefined;
    if (a.center !== undefined || a.scale !== undefined) {
      const c = jsonNums(a.center, 2, at('center'), '[x, y]');
      const s = jsonNum(a.scale, at('scale'));
      if (!(s > 0)) fail(at('scale'), `expected a number > 0, got ${s}`);
      stated = { center: [c[0], c[1]], scale: s * pad };
    }
    const nth = perImage.get(name!) ?? 0;
    perImage.set(name!, nth + 1);
    const where: Location = { file, field: `annotations[${k}] (id ${String(a.id)})` };
    return {
      sample: {
        id: `${name}#${nth}`,
        imagePath: resolveImage(name!, file, undefined, at('image_id').field + ' -> file_name', opts),
        scheme: scheme!.name,
        landmarks,
        visible,
        box: resolveBox(where, landmarks, visible, stated, rect, opts),
        source: `${file} annotations[${k}] (id ${String(a.id)})`,
      },
      at: where,
      imageField: at('image_id').field + ' -> file_name',
      pointField: (i) => at(`keypoints[${3 * i}..${3 * i + 2}]`).field!,
      fileBox: fileBox(stated, rect, opts),
    };
  });
  requireFaces(faces, file);
  checkLandmarkBounds(faces, file, opts);
  return { scheme, samples: faces.map((f) => f.sample) };
}

export function cocoDataset(file: string, opts: CocoOptions = {}): FaceDataset {
  const { scheme, samples } = readCocoKeypoints(file, opts);
  return arrayDataset(`COCO ${path.basename(file)}`, scheme, samples);
}
