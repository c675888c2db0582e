/**
 * COCO-style keypoint JSON as mmpose writes face sets (WFLW, 300W, COFW, AFLW, ...):
 * `{ images: [{id, file_name}], annotations: [{image_id, keypoints: [x, y, v] * N, bbox: [x, y, w, h], center?, scale?}] }`.
 * - Coordinates are 0-based image pixels. `v`: 0 = not labelled (visible weight 0), 1/2 = labelled (weight 1;
 *   COFW marks occluded-but-labelled points 1, which still count as labels).
 * - Box: a stated `center` + `scale` is used with mmpose's 1.25 padding (`scale * 1.25`, as mmpose's face datasets
 *   do); otherwise `bbox` with the reader's margin; both checked against the landmarks (rule in ./common).
 * - Scheme: given, or picked from the point count among the built-ins (98 WFLW, 68 300W, 29 COFW).
 */
import * as fs from 'fs';
import * as path from 'path';
import type { Point, Sample } from '../sample';
import { BUILTIN_SCHEMES, type LandmarkScheme } from '../schemes';
import { arrayDataset, type FaceDataset } from '../dataset';
import { FormatError, checkCount, resolveBox, type BoxOptions, type Rect } from './common';
import { resolveImage, type ImageOptions } from './images';

export interface CocoOptions extends BoxOptions, ImageOptions {
  scheme?: LandmarkScheme;
  /** Padding applied to a stated mmpose `scale`. Default 1.25. */
  statedScalePadding?: number;
}

export function readCocoKeypoints(file: string, opts: CocoOptions = {}): { scheme: LandmarkScheme; samples: Sample[] } {
  let json: unknown;
  try {
    json = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (e) {
    throw new FormatError(file, undefined, undefined, `not valid JSON: ${(e as Error).message}`);
  }
  const o = json as { images?: unknown; annotations?: unknown };
  if (!Array.isArray(o.images)) throw new FormatError(file, undefined, 'images', 'expected an array');
  if (!Array.isArray(o.annotations) || o.annotations.length === 0) throw new FormatError(file, undefined, 'annotations', 'expected a non-empty array');
  const images = new Map<number, string>();
  o.images.forEach((im: { id?: unknown; file_name?: unknown }, k: number) => {
    if (typeof im?.id !== 'number' || typeof im.file_name !== 'string') throw new FormatError(file, undefined, `images[${k}]`, 'expected {id: number, file_name: string}');
    images.set(im.id, im.file_name);
  });
  const firstKp = (o.annotations[0] as { keypoints?: unknown[] }).keypoints;
  let scheme = opts.scheme;
  if (!scheme) {
    const n = Array.isArray(firstKp) ? firstKp.length / 3 : NaN;
    scheme = Object.values(BUILTIN_SCHEMES).find((s) => s.numPoints === n);
    if (!scheme) throw new FormatError(file, undefined, 'annotations[0].keypoints', `${n} points match no built-in scheme; pass opts.scheme (see validateScheme)`);
  }
  const pad = opts.statedScalePadding ?? 1.25;
  const perImage = new Map<string, number>();
  const samples = (o.annotations as Record<string, unknown>[]).map((a, k): Sample => {
    const at = (field: string) => `annotations[${k}].${field}`;
    const kp = a.keypoints;
    if (!Array.isArray(kp) || kp.length % 3 !== 0) throw new FormatError(file, undefined, at('keypoints'), 'expected [x, y, v] * N');
    checkCount(kp.length / 3, scheme!.numPoints, file, undefined, at('keypoints'), scheme!.name);
    const landmarks: Point[] = [];
    const visible: number[] = [];
    for (let i = 0; i < kp.length; i += 3) {
      const [x, y, v] = [kp[i], kp[i + 1], kp[i + 2]];
      if (![x, y, v].every((u) => typeof u === 'number' && Number.isFinite(u))) throw new FormatError(file, undefined, at(`keypoints[${i}..${i + 2}]`), `non-numeric value in ${JSON.stringify([x, y, v])}`);
      landmarks.push([x as number, y as number]);
      visible.push((v as number) > 0 ? 1 : 0);
    }
    const name = images.get(a.image_id as number);
    if (name === undefined) throw new FormatError(file, undefined, at('image_id'), `no image with id ${JSON.stringify(a.image_id)}`);
    let rect: Rect | undefined;
    if (a.bbox !== undefined) {
      const b = a.bbox as number[];
      if (!Array.isArray(b) || b.length !== 4 || !b.every((u) => typeof u === 'number' && Number.isFinite(u)) || !(b[2] > 0 && b[3] > 0)) {
        throw new FormatError(file, undefined, at('bbox'), `expected [x, y, w, h] with w, h > 0, got ${JSON.stringify(b)}`);
      }
      rect = [b[0], b[1], b[0] + b[2], b[1] + b[3]];
    }
    let stated: Sample['box'] | undefined;
    if (a.center !== undefined || a.scale !== undefined) {
      const c = a.center as number[];
      const s = a.scale as number;
      if (!Array.isArray(c) || c.length !== 2 || !c.every(Number.isFinite)) throw new FormatError(file, undefined, at('center'), `expected [x, y], got ${JSON.stringify(c)}`);
      if (typeof s !== 'number' || !(s > 0)) throw new FormatError(file, undefined, at('scale'), `expected a number > 0, got ${JSON.stringify(s)}`);
      stated = { center: [c[0], c[1]], scale: s * pad };
    }
    const nth = perImage.get(name) ?? 0;
    perImage.set(name, nth + 1);
    const where = `${file} ${at('')}`.replace(/\.$/, '') + ` (id ${String(a.id)})`;
    return {
      id: `${name}#${nth}`,
      imagePath: resolveImage(name, file, undefined, at('image_id') + ' -> file_name', opts),
      scheme: scheme!.name,
      landmarks,
      visible,
      box: resolveBox(where, landmarks, visible, stated, rect, opts),
      source: where,
    };
  });
  return { scheme, samples };
}

export function cocoDataset(file: string, opts: CocoOptions = {}): FaceDataset {
  const { scheme, samples } = readCocoKeypoints(file, opts);
  return arrayDataset(`COCO ${path.basename(file)}`, scheme, samples);
}
