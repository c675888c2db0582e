/**
 * Shared pieces of the dataset readers: located errors, number parsing, and the face-box rules.
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
 */
import type { FaceBox, Point } from '../sample';

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

/** Options every reader accepts for boxes and warnings. */
export interface BoxOptions {
  /** Side of a box derived from a rectangle or the landmarks = margin x its larger side. Default 1.25 (mmpose/HRNet padding). */
  margin?: number;
  /** Where disagreement warnings go. Default: console.warn. Collect them in tests by passing an array push. */
  warn?: (message: string) => void;
}

export const DEFAULT_BOX_MARGIN = 1.25;

/** Parse a finite number or throw a FormatError naming file, line and field. */
export function parseNum(text: string | undefined, file: string, line: number | undefined, field: string): number {
  if (text === undefined || text.trim() === '') throw new FormatError(file, line, field, 'missing value');
  const v = Number(text);
  if (!Number.isFinite(v)) throw new FormatError(file, line, field, `not a finite number: ${JSON.stringify(text)}`);
  return v;
}

/** Axis-aligned rectangle [x0, y0, x1, y1] in image pixels. */
export type Rect = [number, number, number, number];

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
 * convention), `rect` a rectangle from the file; either may be absent.
 */
export function resolveBox(
  where: string,
  landmarks: Point[],
  visible: number[] | undefined,
  stated: FaceBox | undefined,
  rect: Rect | undefined,
  opts: BoxOptions = {},
): FaceBox {
  const margin = opts.margin ?? DEFAULT_BOX_MARGIN;
  const lm = landmarkRect(landmarks, visible);
  if (rect) {
    const a = rectAgreement(rect, lm);
    if (a.coverage < 0.5 || !a.centreInside) {
      (opts.warn ?? console.warn)(
        `${where}: face rectangle [${rect.map((v) => v.toFixed(1)).join(', ')}] disagrees with the landmarks ` +
          `(covers ${(100 * a.coverage).toFixed(0)}% of their box [${lm.map((v) => v.toFixed(1)).join(', ')}]` +
          `${a.centreInside ? '' : ', landmark centre outside'}); using a box from the landmarks (margin ${margin})`,
      );
      return boxFromRect(lm, margin);
    }
  }
  if (stated) return stated;
  if (rect) return boxFromRect(rect, margin);
  return boxFromRect(lm, margin);
}

/** Check a point count against the scheme, naming the location. */
export function checkCount(n: number, expected: number, file: string, line: number | undefined, field: string, scheme: string): void {
  if (n !== expected) throw new FormatError(file, line, field, `${n} points, but scheme ${scheme} has ${expected}`);
}
