/**
 * iBUG `.pts` (300-W, menpo): `version: 1` / `n_points: N` / `{` / N lines `x y` / `}`.
 * The file's coordinates are 1-BASED (Matlab convention: the first pixel centre is 1). We subtract 1 so points are
 * in our 0-based image-pixel convention (src/geometry/coords.ts); `writePts` adds it back.
 */
import * as fs from 'fs';
import * as path from 'path';
import type { Point, Sample } from '../sample';
import type { LandmarkScheme } from '../schemes';
import { W300_68 } from '../schemes';
import { arrayDataset, type FaceDataset } from '../dataset';
import { FormatError, checkCount, parseNum, readLines, resolveBox, type BoxOptions } from './common';
import { type ImageOptions } from './images';
import { checkLandmarkBounds, type Located } from './bounds';

/** Parse a .pts file into 0-based image pixels. */
export function readPts(file: string): Point[] {
  return readPtsLines(file).points;
}

/** The points and the line each came from. */
function readPtsLines(file: string): { points: Point[]; lines: number[] } {
  const lines = readLines(file);
  let n: number | undefined;
  let open = -1;
  for (let i = 0; i < lines.length; i++) {
    const t = lines[i].trim();
    const m = /^n_points\s*:\s*(\S+)$/.exec(t);
    if (m) {
      n = parseNum(m[1], file, i + 1, 'n_points');
      if (!Number.isInteger(n) || n < 1) throw new FormatError(file, i + 1, 'n_points', `expected a positive integer, got ${m[1]}`);
    }
    if (t === '{') { open = i; break; }
  }
  if (n === undefined) throw new FormatError(file, undefined, 'n_points', 'header line "n_points: N" not found before "{"');
  if (open < 0) throw new FormatError(file, undefined, '{', 'opening brace not found');
  const pts: Point[] = [];
  const at: number[] = [];
  let i = open + 1;
  for (; i < lines.length; i++) {
    const t = lines[i].trim();
    if (t === '}') break;
    if (t === '') continue;
    const f = t.split(/\s+/);
    if (f.length !== 2) throw new FormatError(file, i + 1, `point ${pts.length}`, `expected "x y", got ${f.length} fields`);
    pts.push([parseNum(f[0], file, i + 1, `point ${pts.length} x`) - 1, parseNum(f[1], file, i + 1, `point ${pts.length} y`) - 1]);
    at.push(i + 1);
  }
  if (i >= lines.length) throw new FormatError(file, lines.length, '}', 'closing brace not found');
  if (pts.length !== n) throw new FormatError(file, i + 1, 'n_points', `header says ${n} points, file has ${pts.length}`);
  const rest = lines.slice(i + 1).findIndex((l) => l.trim() !== '');
  if (rest >= 0) throw new FormatError(file, i + 2 + rest, undefined, `text after the closing brace: ${JSON.stringify(lines[i + 1 + rest].trim().slice(0, 40))}`);
  return { points: pts, lines: at };
}

/** Serialise 0-based points as a 1-based .pts text. */
export function writePts(points: Point[]): string {
  return `version: 1\nn_points: ${points.length}\n{\n${points.map(([x, y]) => `${(x + 1).toFixed(6)} ${(y + 1).toFixed(6)}`).join('\n')}\n}\n`;
}

const IMAGE_EXT = ['.jpg', '.jpeg', '.png', '.ppm', '.pgm', '.bmp', '.webp', '.tif', '.tiff'];

const isFile = (p: string) => fs.statSync(p, { throwIfNoEntry: false })?.isFile() ?? false;

/**
 * A folder of `name.pts` files with an image `name.<ext>` beside each (searched recursively). Boxes come from the
 * landmarks (rule 3 in ./common). Missing images are an error unless `checkImages: false`.
 */
export function readPtsFolder(folder: string, scheme: LandmarkScheme = W300_68, opts: BoxOptions & ImageOptions = {}): Sample[] {
  const files: string[] = [];
  const walk = (d: string): void => {
    for (const e of fs.readdirSync(d, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.name.toLowerCase().endsWith('.pts')) files.push(p);
    }
  };
  if (!fs.statSync(folder, { throwIfNoEntry: false })?.isDirectory()) throw new FormatError(folder, undefined, undefined, 'not a folder');
  walk(folder);
  if (files.length === 0) throw new FormatError(folder, undefined, undefined, 'no .pts files found');
  const faces = files.map((file): Located => {
    const { points: landmarks, lines } = readPtsLines(file);
    checkCount(landmarks.length, scheme.numPoints, file, undefined, 'n_points', scheme.name);
    const stem = file.slice(0, -4);
    const img = [...IMAGE_EXT, ...IMAGE_EXT.map((e) => e.toUpperCase())].map((e) => stem + e).find(isFile);
    if (!img && (opts.checkImages ?? true)) throw new FormatError(file, undefined, 'image', `no image file beside it (tried ${IMAGE_EXT.join(', ')})`);
    const at = { file };
    const sample: Sample = {
      id: path.relative(folder, stem),
      imagePath: img,
      scheme: scheme.name,
      landmarks,
      box: resolveBox(at, landmarks, undefined, undefined, undefined, opts),
      source: file,
    };
    return { sample, at, imageField: 'image', pointField: (i) => `point ${i} (line ${lines[i]})` };
  });
  checkLandmarkBounds(faces, folder, opts);
  return faces.map((f) => f.sample);
}

export function ptsFolderDataset(folder: string, scheme: LandmarkScheme = W300_68, opts: BoxOptions & ImageOptions = {}): FaceDataset {
  return arrayDataset(`pts ${folder}`, scheme, readPtsFolder(folder, scheme, opts));
}
