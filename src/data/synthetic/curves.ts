/**
 * 2-D curve helpers shared by the generator, the ambiguity model and notebooks: unit tangents along landmark curves,
 * arclength resampling, smooth SVG paths and small polygon utilities. Points are `[x, y]` in any 2-D frame.
 */
import type { Point } from '../sample';
import type { LandmarkScheme } from '../schemes';

export function sub(a: Point, b: Point): Point {
  return [a[0] - b[0], a[1] - b[1]];
}

export function norm(v: Point): number {
  return Math.hypot(v[0], v[1]);
}

/** Unit vector; [0, 0] for a (near-)zero vector instead of NaN. */
export function unit(v: Point): Point {
  const n = norm(v);
  return n > 1e-12 ? [v[0] / n, v[1] / n] : [0, 0];
}

export function lerp(a: Point, b: Point, t: number): Point {
  return [a[0] + (b[0] - a[0]) * t, a[1] + (b[1] - a[1]) * t];
}

/**
 * Unit tangents of an ordered curve through `points` (central differences of the neighbours, one-sided at the ends of
 * an open curve). The sign follows the point order.
 */
export function curveTangents(points: Point[], closed: boolean): Point[] {
  const n = points.length;
  if (n < 2) return points.map((): Point => [0, 0]);
  return points.map((_, i) => {
    const prev = closed ? points[(i - 1 + n) % n] : points[Math.max(0, i - 1)];
    const next = closed ? points[(i + 1) % n] : points[Math.min(n - 1, i + 1)];
    return unit(sub(next, prev));
  });
}

/**
 * WFLW-98 points treated as corner-like (no meaningful tangent): brow ends, nose tip, eye corners, mouth corners
 * (outer and inner) and pupils. They get isotropic label scatter and a [0, 0] tangent.
 */
export const WFLW_CORNER_POINTS: readonly number[] = [33, 37, 42, 46, 54, 60, 64, 68, 72, 76, 82, 88, 92, 96, 97];

/**
 * Unit tangent of every landmark along its scheme curve (edge group), [0, 0] for corner-like points and points in
 * no group. `override` replaces the tangents of given indices (the generator passes the exact jaw-silhouette tangents).
 */
export function schemeTangents(
  points: Point[],
  scheme: LandmarkScheme,
  corners: readonly number[] = WFLW_CORNER_POINTS,
  override: Map<number, Point> = new Map(),
): Point[] {
  if (points.length !== scheme.numPoints) throw new Error(`schemeTangents: ${points.length} points, scheme ${scheme.name} has ${scheme.numPoints}`);
  const out: Point[] = points.map((): Point => [0, 0]);
  for (const e of scheme.edges) {
    const t = curveTangents(e.points.map((i) => points[i]), e.closed);
    e.points.forEach((idx, k) => (out[idx] = t[k]));
  }
  for (const c of corners) out[c] = [0, 0];
  for (const [i, t] of override) out[i] = unit(t);
  return out;
}

/** Cumulative arclength of a polyline (first entry 0). */
export function cumulativeLength(poly: Point[]): number[] {
  const s = [0];
  for (let i = 1; i < poly.length; i++) s.push(s[i - 1] + norm(sub(poly[i], poly[i - 1])));
  return s;
}

/** Position and unit tangent at arclength `at` along a polyline (clamped to the ends). */
export function pointAtLength(poly: Point[], cum: number[], at: number): { p: Point; t: Point } {
  const total = cum[cum.length - 1];
  const s = Math.min(total, Math.max(0, at));
  let k = 1;
  while (k < cum.length - 1 && cum[k] < s) k++;
  const seg = cum[k] - cum[k - 1];
  const f = seg > 0 ? (s - cum[k - 1]) / seg : 0;
  return { p: lerp(poly[k - 1], poly[k], f), t: unit(sub(poly[k], poly[k - 1])) };
}

/**
 * `n` points equally spaced by arclength from the first to the last vertex of an open polyline, with tangents
 * taken as the chord between positions +-`smooth` x spacing (smoother than the raw segment direction).
 */
export function resampleByArclength(poly: Point[], n: number, smooth = 0.35): { points: Point[]; tangents: Point[] } {
  if (poly.length < 2 || n < 2) throw new Error(`resampleByArclength: need >= 2 vertices and n >= 2 (got ${poly.length}, ${n})`);
  const cum = cumulativeLength(poly);
  const total = cum[cum.length - 1];
  const step = total / (n - 1);
  const points: Point[] = [];
  const tangents: Point[] = [];
  for (let i = 0; i < n; i++) {
    const s = i * step;
    points.push(pointAtLength(poly, cum, s).p);
    const a = pointAtLength(poly, cum, s - smooth * step).p;
    const b = pointAtLength(poly, cum, s + smooth * step).p;
    tangents.push(unit(sub(b, a)));
  }
  return { points, tangents };
}

/** Convex hull (Andrew's monotone chain), returned as indices into `pts`, counter-clockwise in a y-up frame. */
export function convexHullIndices(pts: Point[]): number[] {
  const idx = hullCandidates(pts).sort((a, b) => pts[a][0] - pts[b][0] || pts[a][1] - pts[b][1]);
  if (idx.length < 3) return idx;
  const cross = (o: number, a: number, b: number): number =>
    (pts[a][0] - pts[o][0]) * (pts[b][1] - pts[o][1]) - (pts[a][1] - pts[o][1]) * (pts[b][0] - pts[o][0]);
  const lower: number[] = [];
  for (const i of idx) {
    while (lower.length >= 2 && cross(lower[lower.length - 2], lower[lower.length - 1], i) <= 0) lower.pop();
    lower.push(i);
  }
  const upper: number[] = [];
  for (let k = idx.length - 1; k >= 0; k--) {
    const i = idx[k];
    while (upper.length >= 2 && cross(upper[upper.length - 2], upper[upper.length - 1], i) <= 0) upper.pop();
    upper.push(i);
  }
  return lower.slice(0, -1).concat(upper.slice(0, -1));
}

/**
 * Akl-Toussaint filter: drop points strictly inside the octagon of the extreme points in 8 directions. They cannot
 * be hull vertices, and most of a densely sampled surface is removed before the O(n log n) sort.
 */
function hullCandidates(pts: Point[]): number[] {
  const all = pts.map((_, i) => i);
  if (pts.length < 16) return all;
  const dirs: Point[] = [[1, 0], [1, 1], [0, 1], [-1, 1], [-1, 0], [-1, -1], [0, -1], [1, -1]];
  const ext: number[] = [];
  for (const [dx, dy] of dirs) {
    let best = 0, bv = -Infinity;
    for (let i = 0; i < pts.length; i++) {
      const v = dx * pts[i][0] + dy * pts[i][1];
      if (v > bv) { bv = v; best = i; }
    }
    if (ext.length === 0 || ext[ext.length - 1] !== best) ext.push(best);
  }
  while (ext.length > 1 && ext[0] === ext[ext.length - 1]) ext.pop();
  if (ext.length < 3) return all;
  const poly = ext.map((i) => pts[i]);
  return all.filter((i) => {
    const [px, py] = pts[i];
    for (let k = 0; k < poly.length; k++) {
      const a = poly[k], b = poly[(k + 1) % poly.length];
      if ((b[0] - a[0]) * (py - a[1]) - (b[1] - a[1]) * (px - a[0]) <= 0) return true;
    }
    return false;
  });
}

export function pointInPolygon(p: Point, poly: Point[]): boolean {
  let inside = false;
  for (let i = 0, j = poly.length - 1; i < poly.length; j = i++) {
    const [xi, yi] = poly[i];
    const [xj, yj] = poly[j];
    if (yi > p[1] !== yj > p[1] && p[0] < ((xj - xi) * (p[1] - yi)) / (yj - yi) + xi) inside = !inside;
  }
  return inside;
}

const f2 = (v: number): string => (Math.round(v * 100) / 100).toString();

/** Straight-segment SVG path. */
export function polygonPath(points: Point[], closed = true): string {
  return points.map((p, i) => `${i ? 'L' : 'M'}${f2(p[0])} ${f2(p[1])}`).join('') + (closed ? 'Z' : '');
}

/** Smooth SVG path through the points (Catmull-Rom converted to cubic Beziers). */
export function smoothPath(points: Point[], closed: boolean, tension = 1): string {
  const n = points.length;
  if (n < 3) return polygonPath(points, closed);
  const at = (i: number): Point => (closed ? points[(i + n) % n] : points[Math.min(n - 1, Math.max(0, i))]);
  let d = `M${f2(points[0][0])} ${f2(points[0][1])}`;
  const segs = closed ? n : n - 1;
  for (let i = 0; i < segs; i++) {
    const p0 = at(i - 1), p1 = at(i), p2 = at(i + 1), p3 = at(i + 2);
    const c1: Point = [p1[0] + ((p2[0] - p0[0]) * tension) / 6, p1[1] + ((p2[1] - p0[1]) * tension) / 6];
    const c2: Point = [p2[0] - ((p3[0] - p1[0]) * tension) / 6, p2[1] - ((p3[1] - p1[1]) * tension) / 6];
    d += `C${f2(c1[0])} ${f2(c1[1])} ${f2(c2[0])} ${f2(c2[1])} ${f2(p2[0])} ${f2(p2[1])}`;
  }
  return d + (closed ? 'Z' : '');
}

/** Inter-ocular distance (outer eye corners 60 and 72 for WFLW-98). */
export function interOcular(points: Point[], left = 60, right = 72): number {
  return norm(sub(points[left], points[right]));
}
