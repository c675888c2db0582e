/**
 * The validation layer every dataset reader goes through (the reader boundary): located errors, the text and JSON
 * readers (UTF-8 BOM and CRLF tolerated), the strict number grammar, header lines recognised by content, face boxes
 * checked at read time, and the face-box rules. Every error is a FormatError naming file, line and field; a reader
 * never lets a JavaScript TypeError out. Image paths: ./images.ts; coordinates against image or box: ./bounds.ts.
 *
 * Face-box precedence (one rule for every reader; `FaceBox` is the crop window: centre + side/200):
 * 1. A file that states `center` + `scale` (official TSV, mmpose COCO JSON) is trusted as stated
 *    (COCO's mmpose scale gets mmpose's 1.25 padding, the TSV's is used as is, like the official code).
 * 2. Otherwise a rectangle (WFLW detection rect, COCO `bbox`) gives the centre (its midpoint) and the side
 *    `max(w, h) * margin`.
 * 3. Otherwise (iBUG .pts, WFLW attribute lists) the landmarks' bounding box does, with the same margin.
 * Disagreement check: whenever the file has a rectangle, it is compared with the landmarks' bounding box.
 * If the rectangle covers less than half of the landmark box, or the landmark box's centre lies outside the
 * rectangle, the rectangle is wrong for these landmarks (the shared mmpose WFLW sample has a 48-px-high bbox
 * around a 111-px-high face): the LANDMARKS WIN (rule 3 replaces rules 1-2) and a warning names the file and face.
 * Whatever the rule, the box must have a finite centre and a finite side > 0, or the face is an error at read time.
 */
import * as fs from 'fs';
import type { FaceBox, Point } from '../sample';
import { findJsonSyntaxError } from '../../util/json-syntax';

/** An input error that names where it happened: file, line (1-based) and field. */
export class FormatError extends Error {
  constructor(
    public readonly file: string,
    public readonly line: number | undefined,
    public readonly field: string | undefined,
    why: string,
  ) {
    super(`${file}${line !== undefined ? `:${line}` : ''}${field !== undefined ? ` field ${field}` : ''}: ${why}`);
    this.name = 'FormatError';
  }
}

/** Where in a file something is: every check below takes one and names it in its error. */
export interface Location {
  file: string;
  /** 1-based line of a text format. */
  line?: number;
  /** Column number or JSON path. */
  field?: string;
}

export function fail(at: Location, why: string): never {
  throw new FormatError(at.file, at.line, at.field, why);
}

/** `file:line` or `file field`, for warnings. */
export function locationText(at: Location): string {
  return `${at.file}${at.line !== undefined ? `:${at.line}` : ''}${at.field !== undefined ? ` ${at.field}` : ''}`;
}

/** Options every reader accepts for boxes and warnings. */
export interface BoxOptions {
  /** Side of a box derived from a rectangle or the landmarks = margin x its larger side. Default 1.25 (mmpose/HRNet padding). */
  margin?: number;
  /** Where warnings go (box disagreements, landmarks outside their image). Default: console.warn. Tests pass an array push. */
  warn?: (message: string) => void;
}

export const DEFAULT_BOX_MARGIN = 1.25;

/** A file's text: UTF-8, a leading byte-order mark dropped (it would otherwise stick to the first field). */
export function readText(file: string): string {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    throw new FormatError(file, undefined, undefined, `cannot read: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
}

/** Lines of a text file; CRLF, CR and LF all end a line. */
export function readLines(file: string): string[] {
  return readText(file).split(/\r\n|\r|\n/);
}

/** A JSON file's value; a syntax error names its line and column, a root that is not an object is an error too. */
export function readJsonObject(file: string): Record<string, unknown> {
  const text = readText(file);
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    const at = findJsonSyntaxError(text);
    throw new FormatError(file, at?.line, at ? `column ${at.column}` : undefined, `not valid JSON: ${at?.reason ?? (e as Error).message}`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new FormatError(file, undefined, undefined, `expected a JSON object, got ${value === null ? 'null' : Array.isArray(value) ? 'an array' : typeof value}`);
  }
  return value as Record<string, unknown>;
}

/**
 * Decimal numbers only: an optional sign, digits with an optional fraction, an optional exponent. Not hex, octal or
 * binary literals (`Number('0x1F')` is 31), `Infinity`, `NaN`, `1_000` or an empty field.
 */
const DECIMAL = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;

export function isDecimal(text: string): boolean {
  return DECIMAL.test(text.trim());
}

/** Parse a finite decimal number or throw a FormatError naming file, line and field. */
export function parseNum(text: string | undefined, file: string, line: number | undefined, field: string): number {
  if (text === undefined || text.trim() === '') throw new FormatError(file, line, field, 'missing value');
  if (!isDecimal(text)) throw new FormatError(file, line, field, `not a decimal number: ${JSON.stringify(text)}`);
  const v = Number(text);
  if (!Number.isFinite(v)) throw new FormatError(file, line, field, `not a finite number: ${JSON.stringify(text)}`);
  return v;
}

/** A value as JSON for a message, cut to 80 characters (a whole keypoint row is no help). */
export function brief(v: unknown): string {
  const s = JSON.stringify(v) ?? String(v);
  return s.length > 80 ? `${s.slice(0, 77)}...` : s;
}

/** A JSON value that must be a finite number. */
export function jsonNum(v: unknown, at: Location): number {
  if (typeof v !== 'number' || !Number.isFinite(v)) fail(at, `expected a finite number, got ${brief(v)}`);
  return v as number;
}

/** A JSON value that must be an array of `n` finite numbers. */
export function jsonNums(v: unknown, n: number, at: Location, what: string): number[] {
  if (!Array.isArray(v) || v.length !== n) fail(at, `expected ${what} (${n} numbers), got ${Array.isArray(v) ? `${v.length} values` : brief(v)}`);
  return (v as unknown[]).map((u, k) => jsonNum(u, { ...at, field: `${at.field}[${k}]` }));
}

/**
 * A header line, recognised by its content: no field holds a number and some field holds a letter (`path\tscale...`,
 * `image,x0,...`). A line with numbers in it is a face, parsed and checked like any other: never dropped silently.
 */
export function isHeaderLine(line: string): boolean {
  const tokens = line.split(/[\t,; ]+/).filter((t) => t !== '');
  return tokens.length > 0 && !tokens.some(isDecimal) && tokens.some((t) => /[A-Za-z]/.test(t));
}

/**
 * How many fields each line of a delimited file has, fixed per file: by its name when it names a layout, else by its
 * first face line. A line with another count is an error naming both, so that a line with values missing in the
 * middle cannot pass as a shorter layout.
 */
export class FieldLayout {
  private expected: number | undefined;
  private setBy: string;

  constructor(private readonly allowed: Record<number, string>, named?: number, nameRule = 'the file name') {
    this.expected = named;
    this.setBy = nameRule;
  }

  check(count: number, at: Location): number {
    const describeCounts = () => Object.entries(this.allowed).map(([n, what]) => `${n} (${what})`).join(' or ');
    if (!(count in this.allowed)) fail(at, `${count} fields; expected ${describeCounts()}`);
    if (this.expected === undefined) {
      this.expected = count;
      this.setBy = `its first face line (${at.line})`;
    } else if (count !== this.expected) {
      fail(at, `${count} fields, but this file's lines have ${this.expected} (${this.allowed[this.expected]}), as set by ${this.setBy}`);
    }
    return count;
  }
}

/** No faces is an error, not an empty dataset. */
export function requireFaces<T>(items: T[], file: string, what = 'faces'): T[] {
  if (items.length === 0) throw new FormatError(file, undefined, undefined, `no ${what}`);
  return items;
}

/** Axis-aligned rectangle [x0, y0, x1, y1] in image pixels. */
export type Rect = [number, number, number, number];

/** A rectangle from a file: finite corners, width and height > 0. */
export function checkRect(r: Rect, at: Location): Rect {
  if (!r.every(Number.isFinite) || !(r[2] > r[0] && r[3] > r[1]) || !Number.isFinite(r[2] - r[0]) || !Number.isFinite(r[3] - r[1])) {
    fail(at, `rectangle [${r.join(', ')}] needs finite corners and a width and height > 0`);
  }
  return r;
}

/** A face box: finite centre, finite scale > 0 (a crop can be built from it). */
export function checkBox(box: FaceBox, at: Location): FaceBox {
  if (!box.center.every(Number.isFinite) || !(box.scale > 0) || !Number.isFinite(box.scale * 200)) {
    fail(at, `face box ${JSON.stringify(box)} needs a finite centre and a finite scale > 0`);
  }
  return box;
}

export function landmarkRect(points: Point[], visible?: number[]): Rect {
  let x0 = Infinity, y0 = Infinity, x1 = -Infinity, y1 = -Infinity;
  points.forEach(([x, y], i) => {
    if (visible && !(visible[i] > 0)) return;
    x0 = Math.min(x0, x); y0 = Math.min(y0, y); x1 = Math.max(x1, x); y1 = Math.max(y1, y);
  });
  if (!Number.isFinite(x0)) {
    // No labelled point: fall back to all points so a box still exists.
    if (visible) return landmarkRect(points);
    throw new Error('landmarkRect: no points');
  }
  return [x0, y0, x1, y1];
}

export function boxFromRect(r: Rect, margin = DEFAULT_BOX_MARGIN): FaceBox {
  const side = Math.max(r[2] - r[0], r[3] - r[1]) * margin;
  return { center: [(r[0] + r[2]) / 2, (r[1] + r[3]) / 2], scale: side / 200 };
}

/** Fraction of the landmark box covered by the rectangle, and whether the landmark centre is inside it. */
export function rectAgreement(rect: Rect, lm: Rect): { coverage: number; centreInside: boolean } {
  const ix = Math.max(0, Math.min(rect[2], lm[2]) - Math.max(rect[0], lm[0]));
  const iy = Math.max(0, Math.min(rect[3], lm[3]) - Math.max(rect[1], lm[1]));
  const area = Math.max(1e-9, (lm[2] - lm[0]) * (lm[3] - lm[1]));
  const cx = (lm[0] + lm[2]) / 2, cy = (lm[1] + lm[3]) / 2;
  return { coverage: (ix * iy) / area, centreInside: cx >= rect[0] && cx <= rect[2] && cy >= rect[1] && cy <= rect[3] };
}

/**
 * Apply the precedence rule above. `stated` is a centre+scale from the file (already converted to our FaceBox
 * convention), `rect` a rectangle from the file; either may be absent. The result is checked (checkBox): all points
 * in one spot give a zero-size box from the landmarks, an error here rather than a failed crop later.
 */
export function resolveBox(
  at: Location,
  landmarks: Point[],
  visible: number[] | undefined,
  stated: FaceBox | undefined,
  rect: Rect | undefined,
  opts: BoxOptions = {},
): FaceBox {
  const margin = opts.margin ?? DEFAULT_BOX_MARGIN;
  const lm = landmarkRect(landmarks, visible);
  const fromLandmarks = { ...at, field: at.field ? `${at.field} (box from the landmarks)` : 'box from the landmarks' };
  if (rect) {
    const a = rectAgreement(rect, lm);
    if (a.coverage < 0.5 || !a.centreInside) {
      (opts.warn ?? console.warn)(
        `${locationText(at)}: face rectangle [${rect.map((v) => v.toFixed(1)).join(', ')}] disagrees with the landmarks ` +
          `(covers ${(100 * a.coverage).toFixed(0)}% of their box [${lm.map((v) => v.toFixed(1)).join(', ')}]` +
          `${a.centreInside ? '' : ', landmark centre outside'}); using a box from the landmarks (margin ${margin})`,
      );
      return checkBox(boxFromRect(lm, margin), fromLandmarks);
    }
  }
  if (stated) return checkBox(stated, at);
  if (rect) return checkBox(boxFromRect(rect, margin), at);
  return checkBox(boxFromRect(lm, margin), fromLandmarks);
}

/** The box a file gives for a face before the landmarks are consulted (rules 1-2 above), if it gives one. */
export function fileBox(stated: FaceBox | undefined, rect: Rect | undefined, opts: BoxOptions = {}): FaceBox | undefined {
  return stated ?? (rect ? boxFromRect(rect, opts.margin ?? DEFAULT_BOX_MARGIN) : undefined);
}

/** Check a point count against the scheme, naming the location. */
export function checkCount(n: number, expected: number, file: string, line: number | undefined, field: string, scheme: string): void {
  if (n !== expected) throw new FormatError(file, line, field, `${n} points, but scheme ${scheme} has ${expected}`);
}
