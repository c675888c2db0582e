/**
 * Head pose + perspective camera, and the jaw contour as the *visible silhouette* of the face mask (what WFLW
 * annotators trace), not the 3-D points behind the cheek.
 */
import type { Point } from '../sample';
import { convexHullIndices, resampleByArclength, sub, norm, lerp } from './curves';
import type { Vec3 } from './template';

/** Degrees. Positive yaw turns the nose towards the image right, positive pitch tilts the face up, roll is in-plane. */
export interface Pose {
  yaw: number;
  pitch: number;
  roll: number;
}

export interface Camera {
  /** Distance from the camera to the head's rotation centre, mm. Shorter = stronger perspective. */
  distance: number;
}

/** Rotation centre of the head (roughly the middle of the skull, behind the eyes), head frame mm. */
export const HEAD_CENTRE: Vec3 = [0, 20, -70];

/** Rotation matrix R = Rz(roll) Rx(pitch) Ry(yaw), row-major. */
export function rotationMatrix(p: Pose): number[] {
  const d = Math.PI / 180;
  const [cy, sy] = [Math.cos(p.yaw * d), Math.sin(p.yaw * d)];
  const [cp, sp] = [Math.cos(p.pitch * d), Math.sin(p.pitch * d)];
  const [cr, sr] = [Math.cos(p.roll * d), Math.sin(p.roll * d)];
  const Ry = [cy, 0, sy, 0, 1, 0, -sy, 0, cy];
  const Rx = [1, 0, 0, 0, cp, -sp, 0, sp, cp];
  const Rz = [cr, -sr, 0, sr, cr, 0, 0, 0, 1];
  return mul3(Rz, mul3(Rx, Ry));
}

function mul3(a: number[], b: number[]): number[] {
  const o = new Array<number>(9).fill(0);
  for (let i = 0; i < 3; i++) for (let j = 0; j < 3; j++) for (let k = 0; k < 3; k++) o[i * 3 + j] += a[i * 3 + k] * b[k * 3 + j];
  return o;
}

/** Head-frame point -> camera-frame point (camera on +Z at `distance` from the head centre, looking down -Z). */
export function toCamera(P: Vec3, R: number[], cam: Camera): Vec3 {
  const x = P[0] - HEAD_CENTRE[0], y = P[1] - HEAD_CENTRE[1], z = P[2] - HEAD_CENTRE[2];
  return [
    R[0] * x + R[1] * y + R[2] * z,
    R[3] * x + R[4] * y + R[5] * z,
    R[6] * x + R[7] * y + R[8] * z - cam.distance,
  ];
}

/**
 * Perspective projection in "mm at the head centre" units (focal length = camera distance), so the image scale
 * barely depends on the camera distance; the generator places the result in pixels afterwards.
 */
export function project(P: Vec3, R: number[], cam: Camera): Point {
  const c = toCamera(P, R, cam);
  const depth = -c[2];
  if (depth < 1) throw new Error(`project: point behind the camera (depth ${depth.toFixed(1)} mm); camera distance ${cam.distance} is too short`);
  return [(cam.distance * c[0]) / depth, (cam.distance * c[1]) / depth];
}

export interface Silhouette {
  /** The whole outline of the face mask (convex hull of its projection), image order. */
  outline: Point[];
  /** Head-frame height and X of the surface point behind each outline vertex. */
  outlineY: number[];
  outlineX: number[];
  /** 33 jaw contour points, WFLW order (0 at the subject's right = image left for a frontal face). */
  contour: Point[];
  /** Unit tangents of the contour (direction of increasing index). */
  contourTangents: Point[];
}

/**
 * The visible silhouette of the mask: the boundary of its projection (the mask is convex, so that is the convex hull
 * of the projected surface samples). The jaw contour is the part of the silhouette below the head-frame height
 * `topY`, split at the chin (where the silhouette crosses the head's mid-plane X = 0) into two halves of 16 equal
 * arclength steps, so point 16 is the visible chin centre and both ends sit at the silhouette's `topY` crossings.
 */
export function silhouette(surface: { pts: Vec3[]; y: number[] }, R: number[], cam: Camera, topY: number): Silhouette {
  const proj = surface.pts.map((p) => project(p, R, cam));
  const hull = convexHullIndices(proj);
  const outline = hull.map((i) => proj[i]);
  const outlineY = hull.map((i) => surface.y[i]);
  const outlineX = hull.map((i) => surface.pts[i][0]);
  const n = hull.length;
  // Start from the outline vertex lowest on the head (largest head-frame y, ties: nearest the mid-plane).
  let start = 0;
  for (let k = 1; k < n; k++) {
    if (outlineY[k] > outlineY[start] + 1e-9 || (Math.abs(outlineY[k] - outlineY[start]) <= 1e-9 && Math.abs(outlineX[k]) < Math.abs(outlineX[start]))) start = k;
  }
  // Walk both ways while below topY; interpolate the crossing.
  const walk = (dir: 1 | -1): { pts: Point[]; xs: number[] } => {
    const pts: Point[] = [outline[start]];
    const xs: number[] = [outlineX[start]];
    let k = start;
    for (let step = 0; step < n; step++) {
      const j = (k + dir + n) % n;
      if (outlineY[j] < topY) {
        const f = (outlineY[k] - topY) / (outlineY[k] - outlineY[j]);
        pts.push(lerp(outline[k], outline[j], f));
        xs.push(outlineX[k] + (outlineX[j] - outlineX[k]) * f);
        break;
      }
      pts.push(outline[j]);
      xs.push(outlineX[j]);
      k = j;
    }
    return { pts, xs };
  };
  const a = walk(1);
  const b = walk(-1);
  // Join into one polyline from the subject's right end (X < 0) to the left end (X > 0).
  let chain = [...a.pts.slice().reverse(), ...b.pts.slice(1)];
  let xs = [...a.xs.slice().reverse(), ...b.xs.slice(1)];
  if (xs[0] > xs[xs.length - 1]) {
    chain = chain.reverse();
    xs = xs.reverse();
  }
  // Chin: first crossing of X = 0 from the right end (the mid-plane cuts the lower outline once for our poses).
  let cut = -1;
  let frac = 0;
  for (let k = 0; k + 1 < xs.length; k++) {
    if (xs[k] <= 0 && xs[k + 1] > 0) {
      cut = k;
      frac = xs[k + 1] === xs[k] ? 0 : -xs[k] / (xs[k + 1] - xs[k]);
      break;
    }
  }
  if (cut < 0) throw new Error('silhouette: the chin (X = 0) is not on the visible outline; pose outside the supported range');
  const chin = lerp(chain[cut], chain[cut + 1], frac);
  const right = dedupe([...chain.slice(0, cut + 1), chin]);
  const left = dedupe([chin, ...chain.slice(cut + 1)]);
  const r = resampleByArclength(right, 17);
  const l = resampleByArclength(left, 17);
  // At the chin take the average direction of the two halves (the curve is smooth there).
  const chinT = r.tangents[16].map((v, i) => v + l.tangents[0][i]) as Point;
  const cl = norm(chinT);
  const contour = [...r.points, ...l.points.slice(1)];
  const contourTangents = [...r.tangents.slice(0, 16), cl > 0 ? ([chinT[0] / cl, chinT[1] / cl] as Point) : r.tangents[16], ...l.tangents.slice(1)];
  return { outline, outlineY, outlineX, contour, contourTangents };
}

function dedupe(poly: Point[]): Point[] {
  const out: Point[] = [poly[0]];
  for (let i = 1; i < poly.length; i++) if (norm(sub(poly[i], out[out.length - 1])) > 1e-9) out.push(poly[i]);
  if (out.length < 2) out.push([out[0][0] + 1e-6, out[0][1]]);
  return out;
}
