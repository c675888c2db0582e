/**
 * WFLW annotation lists (official release, space separated, one face per line):
 * - `list_98pt_rect_attr_{train,test}.txt`: 196 coords `x0 y0 ... x97 y97`, the detection rect
 *   `x_min y_min x_max y_max`, 6 binary attributes (pose, expression, illumination, make-up, occlusion, blur),
 *   image name = 207 fields.
 * - the six test attribute lists `list_98pt_test_{largepose,...,blur}.txt`: 196 coords + image name = 197 fields;
 *   a face appears in every list whose attribute it has (`readWflwAttributeLists` merges them).
 * WFLW coordinates are 0-based image pixels already (no shift applied).
 */
import * as fs from 'fs';
import * as path from 'path';
import { ATTRIBUTES, type Attribute, type Point, type Sample } from '../sample';
import { WFLW98 } from '../schemes';
import { arrayDataset, type FaceDataset } from '../dataset';
import { FieldLayout, FormatError, checkRect, fileBox, isDecimal, parseNum, readLines, requireFaces, resolveBox, type BoxOptions, type Rect } from './common';
import { resolveImage, type ImageOptions } from './images';
import { checkLandmarkBounds, type Located } from './bounds';

export type WflwOptions = BoxOptions & ImageOptions;

const N = WFLW98.numPoints;
const LAYOUTS = { 207: '98 points, rect, 6 attributes, image', 197: '98 points, image' };

/** The layout the official file names fix: rect+attribute lists 207 fields, the six test attribute lists 197. */
function layoutOf(file: string): FieldLayout {
  const b = path.basename(file).toLowerCase();
  if (b.startsWith('list_98pt_rect_attr_')) return new FieldLayout(LAYOUTS, 207);
  if (b.startsWith('list_98pt_test_')) return new FieldLayout(LAYOUTS, 197);
  return new FieldLayout(LAYOUTS);
}

/**
 * Read one WFLW list file (207-field rect+attribute list or 197-field attribute test list); every line of a file has
 * the same layout (FieldLayout), so a 207-field line with values missing is an error, not a 197-field face.
 */
export function readWflwList(file: string, opts: WflwOptions = {}): Sample[] {
  return readWflwFaces(file, opts).map((f) => f.sample);
}

/** The faces of one list with their line numbers (the attribute-list merge keys on the line's text). */
function readWflwFaces(file: string, opts: WflwOptions): (Located & { text: string })[] {
  const faces: (Located & { text: string })[] = [];
  const perImage = new Map<string, number>();
  const layout = layoutOf(file);
  readLines(file).forEach((raw, k) => {
    const line = k + 1;
    const t = raw.trim();
    if (t === '') return;
    const f = t.split(/\s+/);
    layout.check(f.length, { file, line });
    const landmarks: Point[] = [];
    for (let i = 0; i < N; i++) {
      landmarks.push([parseNum(f[2 * i], file, line, `${2 * i + 1} (x${i})`), parseNum(f[2 * i + 1], file, line, `${2 * i + 2} (y${i})`)]);
    }
    let rect: Rect | undefined;
    let attributes: Partial<Record<Attribute, boolean>> | undefined;
    if (f.length === 207) {
      rect = checkRect([0, 1, 2, 3].map((j) => parseNum(f[196 + j], file, line, `${197 + j} (rect)`)) as Rect, { file, line, field: '197-200 (rect)' });
      attributes = {};
      ATTRIBUTES.forEach((a, j) => {
        const v = f[200 + j];
        if (v !== '0' && v !== '1') throw new FormatError(file, line, `${201 + j} (${a})`, `expected 0 or 1, got ${JSON.stringify(v)}`);
        attributes![a] = v === '1';
      });
    }
    const name = f[f.length - 1];
    const nameField = `${f.length} (image name)`;
    if (isDecimal(name)) throw new FormatError(file, line, nameField, `looks like a number: ${name}`);
    const nth = perImage.get(name) ?? 0;
    perImage.set(name, nth + 1);
    const at = { file, line };
    faces.push({
      sample: {
        id: `${name}#${nth}`,
        imagePath: resolveImage(name, file, line, nameField, opts),
        scheme: WFLW98.name,
        landmarks,
        box: resolveBox(at, landmarks, undefined, undefined, rect, opts),
        attributes,
        source: `${file}:${line}`,
      },
      at,
      imageField: nameField,
      pointField: (i) => `${2 * i + 1}-${2 * i + 2} (x${i}, y${i})`,
      fileBox: fileBox(undefined, rect, opts),
      text: f.join(' '),
    });
  });
  requireFaces(faces, file);
  checkLandmarkBounds(faces, file, opts);
  return faces;
}

export function wflwListDataset(file: string, opts: WflwOptions = {}): FaceDataset {
  return arrayDataset(`WFLW ${path.basename(file)}`, WFLW98, readWflwList(file, opts));
}

const ATTR_FILE: Record<Attribute, string> = {
  largepose: 'largepose', expression: 'expression', illumination: 'illumination', makeup: 'makeup', occlusion: 'occlusion', blur: 'blur',
};

/**
 * Merge the six WFLW test attribute lists found in `folder` into unique faces (identified by image name + exact
 * coordinates), each with the attributes of the lists it appears in (the others false). All six must be present.
 */
export function readWflwAttributeLists(folder: string, opts: WflwOptions = {}): Sample[] {
  const byKey = new Map<string, Sample>();
  for (const attr of ATTRIBUTES) {
    const file = path.join(folder, `list_98pt_test_${ATTR_FILE[attr]}.txt`);
    if (!fs.existsSync(file)) throw new FormatError(file, undefined, undefined, 'missing (the six attribute lists are read together)');
    // Key on the text of the line so float formatting cannot split one face in two.
    for (const { sample, text } of readWflwFaces(file, { ...opts, imageRoot: opts.imageRoot ?? folder })) {
      let u = byKey.get(text);
      if (!u) {
        u = { ...sample, attributes: Object.fromEntries(ATTRIBUTES.map((a) => [a, false])) as Record<Attribute, boolean> };
        byKey.set(text, u);
      }
      u.attributes![attr] = true;
    }
  }
  // Stable ids: image name + occurrence among unique faces.
  const count = new Map<string, number>();
  return [...byKey.values()].map((s) => {
    const name = s.id.replace(/#\d+$/, '');
    const k = count.get(name) ?? 0;
    count.set(name, k + 1);
    return { ...s, id: `${name}#${k}` };
  });
}
