/**
 * Open a real (user-provided) face dataset: `openDataset(pathOrFolder, { format?, scheme?, split? })`.
 *
 * Supported layouts (the format is detected when not given):
 *
 * 1. WFLW, official release (`format: 'wflw'`):
 *      WFLW/
 *        WFLW_annotations/list_98pt_rect_attr_train_test/list_98pt_rect_attr_{train,test}.txt
 *        WFLW_images/<event folder>/<image>.jpg
 *    Open the folder (with `split: 'train' | 'test'`, default 'test') or one list file. Image names are relative to
 *    `WFLW_images` (found automatically beside or above the annotations; else set `imageRoot`).
 *    A folder holding the six attribute lists `list_98pt_test_{largepose,expression,illumination,makeup,occlusion,blur}.txt`
 *    (and no rect list) opens as the 1,966 unique faces of those lists, each with its attribute flags.
 * 2. Official STAR/ADNet preprocessed TSV (`format: 'tsv'`): `<folder>/{train,test}.tsv` or one .tsv file;
 *    image paths are relative to `imageRoot` (default: the TSV's folder). Needs `scheme` unless the folder or file
 *    name says WFLW/300W/COFW. The first row is NOT eaten as a header (the official code loses it).
 * 3. COCO-style keypoint JSON as mmpose writes it (`format: 'coco'`): one .json file, or a folder with one
 *    `*{split}*.json`; images relative to the JSON's folder (or `imageRoot`).
 * 4. iBUG .pts folder (`format: 'pts'`): `name.pts` beside `name.jpg|png|ppm...`, searched recursively
 *    (300-W `{afw,helen,ibug,lfpw}`, menpo). 1-based file coordinates are converted to our 0-based pixels.
 * 5. COFW export (`format: 'cofw'`): a `.json` (`format: "cofw-export-v1"`) or `.csv` made from the official
 *    MATLAB v7.3 files with the one-liner in src/data/formats/cofw.ts.
 *
 * Box rule for all formats: see src/data/formats/common.ts (stated centre/scale > rectangle > landmarks, and the
 * landmarks win with a warning when a rectangle contradicts them). Missing images are an error naming the file, line
 * and field; pass `checkImages: false` to read annotations only (e.g. the WFLW test lists without images).
 * Every reader goes through one validation layer (src/data/formats/common.ts, images.ts, bounds.ts): what it accepts
 * and rejects is listed there; every rejection is a FormatError naming file, line and field.
 */
import * as fs from 'fs';
import * as path from 'path';
import type { FaceDataset } from './dataset';
import { arrayDataset } from './dataset';
import { getScheme, W300_68, WFLW98, type LandmarkScheme } from './schemes';
import { readWflwAttributeLists, wflwListDataset } from './formats/wflw';
import { starTsvDataset } from './formats/tsv';
import { cocoDataset } from './formats/coco';
import { ptsFolderDataset } from './formats/pts';
import { cofwDataset } from './formats/cofw';
import type { BoxOptions } from './formats/common';
import type { ImageOptions } from './formats/images';

export const REAL_FORMATS = ['wflw', 'wflw-attributes', 'tsv', 'coco', 'pts', 'cofw'] as const;
export type RealFormat = (typeof REAL_FORMATS)[number];

export interface OpenOptions extends BoxOptions, ImageOptions {
  /** Detected when absent. */
  format?: RealFormat;
  /** Scheme name or object; needed for TSV/.pts when it cannot be inferred. */
  scheme?: string | LandmarkScheme;
  /** 'train' | 'test' (default 'test') when a folder holds both. */
  split?: 'train' | 'test';
}

function findUp(start: string, name: string, levels = 3): string | undefined {
  let d = start;
  for (let i = 0; i <= levels; i++) {
    const p = path.join(d, name);
    if (fs.existsSync(p)) return p;
    d = path.dirname(d);
  }
  return undefined;
}

function walk(dir: string, depth = 3): string[] {
  if (depth < 0) return [];
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    return e.isDirectory() ? walk(p, depth - 1) : [p];
  });
}

/** Guess the format of a file or folder. */
export function detectFormat(p: string, split = 'test'): { format: RealFormat; file: string } {
  if (!fs.existsSync(p)) throw new Error(`openDataset: ${p} does not exist`);
  const st = fs.statSync(p);
  if (st.isFile()) {
    const b = path.basename(p).toLowerCase();
    if (b.endsWith('.tsv')) return { format: 'tsv', file: p };
    if (b.endsWith('.csv')) return { format: 'cofw', file: p };
    if (b.endsWith('.json')) {
      const head = fs.readFileSync(p, 'utf8').slice(0, 4096);
      return { format: head.includes('cofw-export-v1') ? 'cofw' : 'coco', file: p };
    }
    if (b.endsWith('.pts')) return { format: 'pts', file: path.dirname(p) };
    if (b.endsWith('.txt')) return { format: 'wflw', file: p };
    throw new Error(`openDataset: cannot tell the format of ${p} (.txt WFLW list, .tsv, .json, .csv, or a folder of .pts)`);
  }
  const files = walk(p);
  const base = (f: string) => path.basename(f).toLowerCase();
  const rect = files.find((f) => base(f) === `list_98pt_rect_attr_${split}.txt`);
  if (rect) return { format: 'wflw', file: rect };
  const attr = files.find((f) => base(f) === 'list_98pt_test_largepose.txt');
  if (attr) return { format: 'wflw-attributes', file: path.dirname(attr) };
  const tsv = files.find((f) => base(f) === `${split}.tsv`);
  if (tsv) return { format: 'tsv', file: tsv };
  const jsons = files.filter((f) => base(f).endsWith('.json'));
  const json = jsons.find((f) => base(f).includes(split)) ?? (jsons.length === 1 ? jsons[0] : undefined);
  if (json) return detectFormat(json, split);
  if (files.some((f) => base(f).endsWith('.pts'))) return { format: 'pts', file: p };
  throw new Error(`openDataset: no known layout in ${p} (see the layouts at the top of src/data/real.ts)`);
}

function inferScheme(p: string, given?: string | LandmarkScheme): LandmarkScheme | undefined {
  if (typeof given === 'object') return given;
  if (typeof given === 'string') return getScheme(given);
  const s = p.toLowerCase();
  if (s.includes('wflw')) return WFLW98;
  if (s.includes('cofw')) return getScheme('cofw');
  if (s.includes('300w') || s.includes('ibug') || s.includes('menpo')) return W300_68;
  return undefined;
}

export function openDataset(pathOrFolder: string, options: OpenOptions = {}): FaceDataset {
  const split = options.split ?? 'test';
  if (options.format !== undefined && !REAL_FORMATS.includes(options.format)) {
    throw new Error(`openDataset: options.format must be one of ${REAL_FORMATS.join(', ')}, got ${JSON.stringify(options.format)}`);
  }
  if (split !== 'train' && split !== 'test') throw new Error(`openDataset: options.split must be 'train' or 'test', got ${JSON.stringify(split)}`);
  if (options.margin !== undefined && !(Number.isFinite(options.margin) && options.margin > 0)) {
    throw new Error(`openDataset: options.margin must be a finite number > 0, got ${options.margin}`);
  }
  const det = options.format
    ? { format: options.format, file: options.format === 'wflw' || options.format === 'tsv' || options.format === 'coco' || options.format === 'cofw' ? detectFormat(pathOrFolder, split).file : pathOrFolder }
    : detectFormat(pathOrFolder, split);
  const scheme = inferScheme(path.resolve(det.file), options.scheme);
  switch (det.format) {
    case 'wflw': {
      const imageRoot = options.imageRoot ?? findUp(path.dirname(det.file), 'WFLW_images');
      return wflwListDataset(det.file, { ...options, imageRoot });
    }
    case 'wflw-attributes': {
      const imageRoot = options.imageRoot ?? findUp(det.file, 'WFLW_images');
      return arrayDataset(`WFLW test attribute lists (${det.file})`, WFLW98, readWflwAttributeLists(det.file, { ...options, imageRoot }));
    }
    case 'tsv':
      if (!scheme) throw new Error(`openDataset: ${det.file}: which landmark scheme? pass { scheme: 'wflw' | '300w' | 'cofw' | yourScheme }`);
      return starTsvDataset(det.file, scheme, options);
    case 'coco':
      return cocoDataset(det.file, { ...options, scheme: typeof options.scheme === 'undefined' ? undefined : scheme });
    case 'pts':
      return ptsFolderDataset(det.file, scheme ?? W300_68, options);
    case 'cofw':
      return cofwDataset(det.file, options);
  }
}
