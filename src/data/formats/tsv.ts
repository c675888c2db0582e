/**
 * The official STAR / ADNet preprocessed metadata (`{train,test}.tsv`, tab separated, star-reference §5):
 *   0 image path | 1 5-point landmarks (10 comma-separated floats, unused) | 2 landmarks: 2N comma-separated floats
 *   `x0,y0,x1,y1,...` in image pixels | 3 scale (box side / 200) | 4 center_w | 5 center_h | 6 optional comma-separated int tags.
 * Every line is a face. The official code reads these files with pandas `header=0`, which silently drops the first
 * face; we do NOT drop it: a first line is a header only by its content (no field holds a number, common.ts
 * isHeaderLine), so a corrupt first face is an error, never lost; our sets have one more face than the official code
 * evaluates. The stated centre/scale is used as the crop window exactly like the official code (factor 1.0).
 */
import * as path from 'path';
import { ATTRIBUTES, type Attribute, type Point, type Sample } from '../sample';
import type { LandmarkScheme } from '../schemes';
import { arrayDataset, type FaceDataset } from '../dataset';
import { FormatError, checkCount, isHeaderLine, parseNum, readLines, requireFaces, resolveBox, type BoxOptions } from './common';
import { resolveImage, type ImageOptions } from './images';
import { checkLandmarkBounds, type Located } from './bounds';

export interface TsvOptions extends BoxOptions, ImageOptions {
  /**
   * Reproduce the official pandas `header=0` quirk: drop the first face (for parity with official evaluation counts,
   * e.g. 2,499 of the 2,500 WFLW test faces). Default false.
   */
  officialHeaderQuirk?: boolean;
}

export function readStarTsv(file: string, scheme: LandmarkScheme, opts: TsvOptions = {}): Sample[] {
  const lines = readLines(file);
  const faces: Located[] = [];
  const firstLine = lines.findIndex((l) => l.trim() !== '');
  lines.forEach((raw, k) => {
    const line = k + 1;
    if (raw.trim() === '') return;
    if (k === firstLine && (opts.officialHeaderQuirk || isHeaderLine(raw))) return;
    const f = raw.split('\t');
    // The tags column is optional line by line (it follows every other field, so its absence shifts nothing).
    if (f.length !== 6 && f.length !== 7) throw new FormatError(file, line, undefined, `${f.length} tab-separated fields; expected 6 or 7 (path, 5pt, landmarks, scale, center_w, center_h[, tags])`);
    const five = f[1].split(',');
    if (five.length !== 10) throw new FormatError(file, line, '2 (5-point landmarks)', `${five.length} values; expected 10`);
    five.forEach((v, j) => parseNum(v, file, line, `2 (5-point landmarks) value ${j}`));
    const vals = f[2].split(',');
    if (vals.length % 2 !== 0) throw new FormatError(file, line, '3 (landmarks)', `odd number of values (${vals.length})`);
    checkCount(vals.length / 2, scheme.numPoints, file, line, '3 (landmarks)', scheme.name);
    const landmarks: Point[] = [];
    for (let i = 0; i < vals.length; i += 2) {
      landmarks.push([parseNum(vals[i], file, line, `3 (landmarks) value ${i}`), parseNum(vals[i + 1], file, line, `3 (landmarks) value ${i + 1}`)]);
    }
    const scale = parseNum(f[3], file, line, '4 (scale)');
    if (!(scale > 0)) throw new FormatError(file, line, '4 (scale)', `must be > 0, got ${scale}`);
    const center: Point = [parseNum(f[4], file, line, '5 (center_w)'), parseNum(f[5], file, line, '6 (center_h)')];
    let attributes: Partial<Record<Attribute, boolean>> | undefined;
    if (f.length === 7 && f[6].trim() !== '') {
      const tags = f[6].split(',').map((v, j) => parseNum(v, file, line, `7 (tags) value ${j}`));
      // The WFLW tags are the six attributes in WFLW order (tools/split_wflw.py); other datasets carry no known tags.
      if (tags.length === ATTRIBUTES.length) attributes = Object.fromEntries(ATTRIBUTES.map((a, j) => [a, tags[j] === 1]));
    }
    const at = { file, line };
    const sample: Sample = {
      id: `${path.basename(f[0].replace(/\\/g, '/'))}@${line}`,
      imagePath: resolveImage(f[0], file, line, '1 (image path)', opts),
      scheme: scheme.name,
      landmarks,
      box: resolveBox({ ...at, field: '4-6 (scale, center)' }, landmarks, undefined, { center, scale }, undefined, opts),
      attributes,
      source: `${file}:${line}`,
    };
    faces.push({ sample, at, imageField: '1 (image path)', pointField: (i) => `3 (landmarks) values ${2 * i}, ${2 * i + 1}`, fileBox: sample.box });
  });
  requireFaces(faces, file);
  checkLandmarkBounds(faces, file, opts);
  return faces.map((f) => f.sample);
}

export function starTsvDataset(file: string, scheme: LandmarkScheme, opts: TsvOptions = {}): FaceDataset {
  return arrayDataset(`TSV ${path.basename(file)}`, scheme, readStarTsv(file, scheme, opts));
}
