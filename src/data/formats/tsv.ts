/**
 * The official STAR / ADNet preprocessed metadata (`{train,test}.tsv`, tab separated, star-reference §5):
 *   0 image path | 1 5-point landmarks (10 comma-separated floats, unused) | 2 landmarks: 2N comma-separated floats
 *   `x0,y0,x1,y1,...` in image pixels | 3 scale (box side / 200) | 4 center_w | 5 center_h | 6 optional comma-separated int tags.
 * Every line is a face. The official code reads these files with pandas `header=0`, which silently drops the first
 * face; we do NOT drop it (a leading line is only skipped when it is not parseable as a face AND looks like a header,
 * i.e. its scale column is not a number), so our sets have one more face than the official code evaluates.
 * The stated centre/scale is used as the crop window exactly like the official code (factor 1.0).
 */
import * as fs from 'fs';
import * as path from 'path';
import { ATTRIBUTES, type Attribute, type Point, type Sample } from '../sample';
import type { LandmarkScheme } from '../schemes';
import { arrayDataset, type FaceDataset } from '../dataset';
import { FormatError, checkCount, parseNum, resolveBox, type BoxOptions } from './common';
import { resolveImage, type ImageOptions } from './images';

export interface TsvOptions extends BoxOptions, ImageOptions {
  /**
   * Reproduce the official pandas `header=0` quirk: drop the first face (for parity with official evaluation counts,
   * e.g. 2,499 of the 2,500 WFLW test faces). Default false.
   */
  officialHeaderQuirk?: boolean;
}

export function readStarTsv(file: string, scheme: LandmarkScheme, opts: TsvOptions = {}): Sample[] {
  const lines = fs.readFileSync(file, 'utf8').split(/\r?\n/);
  const samples: Sample[] = [];
  lines.forEach((raw, k) => {
    const line = k + 1;
    if (raw.trim() === '') return;
    const f = raw.split('\t');
    if (samples.length === 0 && k === 0 && f.length >= 4 && !Number.isFinite(Number(f[3]))) return; // a real header row
    if (k === 0 && opts.officialHeaderQuirk) return;
    if (f.length !== 6 && f.length !== 7) throw new FormatError(file, line, undefined, `${f.length} tab-separated fields; expected 6 or 7 (path, 5pt, landmarks, scale, center_w, center_h[, tags])`);
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
    const where = `${file}:${line}`;
    samples.push({
      id: `${path.basename(f[0].replace(/\\/g, '/'))}@${line}`,
      imagePath: resolveImage(f[0], file, line, '1 (image path)', opts),
      scheme: scheme.name,
      landmarks,
      box: resolveBox(where, landmarks, undefined, { center, scale }, undefined, opts),
      attributes,
      source: where,
    });
  });
  if (samples.length === 0) throw new FormatError(file, undefined, undefined, 'no faces');
  return samples;
}

export function starTsvDataset(file: string, scheme: LandmarkScheme, opts: TsvOptions = {}): FaceDataset {
  return arrayDataset(`TSV ${path.basename(file)}`, scheme, readStarTsv(file, scheme, opts));
}
