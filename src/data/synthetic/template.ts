/**
 * The 3-D face template: identity + expression parameters -> 3-D landmark curves (WFLW-98 semantics) and the 3-D
 * surface of the face/head "mask" whose silhouette is the jaw contour.
 *
 * Head frame (millimetres): origin between the eyes at eye level, X to the image right for a frontal face (so the
 * subject's right side, WFLW points 0-15, has X < 0), Y down, Z towards the camera. Only the subject's right half is
 * modelled; the left half is its exact mirror through the flip pairs, so a frontal neutral face is symmetric by
 * construction under WFLW's flip permutation.
 */
import { WFLW98, flipPermutation } from '../schemes';

export type Vec3 = [number, number, number];

/** Identity: who the face is. All lengths in mm; defaults give an average adult face. */
export interface IdentityParams {
  /** Half width of the face at the cheeks/temples. */
  cheekHalfWidth: number;
  /** Jaw (gonion) half width as a fraction of cheekHalfWidth. */
  jawRatio: number;
  /** Height of the jaw angle (gonion) below the eye line. */
  gonionY: number;
  /** Chin bottom below the eye line (closed mouth). */
  chinY: number;
  /** Chin roundness: superellipse exponent of the jaw below the gonion (2 round, 3+ square). */
  chinPow: number;
  /** Half distance between eye centres. */
  eyeSpacing: number;
  /** Half width of the eye opening (corner to corner / 2). */
  eyeHalfWidth: number;
  /** Upper lid height above the corner line when open. */
  eyeOpen: number;
  /** Outer corner raised by this much (canthal tilt). */
  canthalTilt: number;
  browY: number;
  browArch: number;
  browThick: number;
  noseLength: number;
  noseHalfWidth: number;
  noseProtrusion: number;
  /** Mouth line below the nose tip. */
  mouthGap: number;
  mouthHalfWidth: number;
  upperLip: number;
  lowerLip: number;
}

/** Expression in [0, 1] (smile and browRaise may go slightly negative: frown). */
export interface ExpressionParams {
  mouthOpen: number;
  smile: number;
  blink: number;
  browRaise: number;
  /** Gaze offset of the pupils as a fraction of the eye half width / opening. */
  gaze: [number, number];
}

export const NEUTRAL_IDENTITY: IdentityParams = {
  cheekHalfWidth: 68, jawRatio: 0.84, gonionY: 80, chinY: 112, chinPow: 2.8,
  eyeSpacing: 31, eyeHalfWidth: 14, eyeOpen: 5.5, canthalTilt: 1.5,
  browY: -21, browArch: 4, browThick: 6,
  noseLength: 46, noseHalfWidth: 17, noseProtrusion: 28,
  mouthGap: 24, mouthHalfWidth: 25, upperLip: 8, lowerLip: 10,
};

export const NEUTRAL_EXPRESSION: ExpressionParams = { mouthOpen: 0, smile: 0, blink: 0, browRaise: 0, gaze: [0, 0] };

/** Depth of the forehead/face front and of the ear plane (the mask's back rim). */
const FRONT_Z = 8;
const BACK_Z = -78;
/** Eye line is y = 0; the crown of the head (top of the mask) is here. */
export const CROWN_Y = -118;

/** Derived vertical layout (mouth opening moves the chin down, like a jaw drop). */
export function layout(id: IdentityParams, ex: ExpressionParams): { mouthY: number; openAmount: number; chinY: number } {
  const openAmount = 17 * Math.max(0, ex.mouthOpen);
  const mouthY = id.noseLength + id.mouthGap;
  return { mouthY, openAmount, chinY: id.chinY + 0.85 * openAmount };
}

/** Half width of the face mask at height y (frontal outline): ellipse above the cheek, taper to the jaw angle, superellipse chin. */
export function maskHalfWidth(y: number, id: IdentityParams, chinY: number): number {
  const cheekY = 8;
  const wc = id.cheekHalfWidth;
  const wg = id.jawRatio * wc;
  if (y <= cheekY) {
    const u = (y - cheekY) / (CROWN_Y - cheekY);
    return wc * Math.sqrt(Math.max(0, 1 - u * u));
  }
  if (y <= id.gonionY) {
    const u = (y - cheekY) / (id.gonionY - cheekY);
    return wc + (wg - wc) * (u * u * (3 - 2 * u)); // smoothstep: no kink at either end
  }
  const u = Math.min(1, (y - id.gonionY) / (chinY - id.gonionY));
  const p = id.chinPow;
  return wg * Math.pow(Math.max(0, 1 - Math.pow(u, p)), 1 / p);
}

/** Back rim depth: the ear plane above the jaw angle, moving forward along the underside of the jaw to the chin. */
export function maskBackZ(y: number, id: IdentityParams, chinY: number): number {
  if (y <= id.gonionY) return BACK_Z;
  const u = Math.min(1, (y - id.gonionY) / (chinY - id.gonionY));
  return BACK_Z + (FRONT_Z - 14 - BACK_Z) * Math.pow(u, 0.7);
}

/** Front depth (forehead recedes towards the crown). */
export function maskFrontZ(y: number): number {
  return y < 0 ? FRONT_Z - 0.0022 * y * y : FRONT_Z;
}

/**
 * Points sampling the face mask surface, with their height y (head frame) kept for the contour extraction.
 * Cross-section at height y: X = W sin(phi), Z = Zb + (Zf - Zb) cos(phi)^0.5, phi in [-pi/2, pi/2] (flat front, steep sides).
 */
export function maskSurface(id: IdentityParams, ex: ExpressionParams, levels = 96, around = 25): { pts: Vec3[]; y: number[] } {
  const { chinY } = layout(id, ex);
  const pts: Vec3[] = [];
  const ys: number[] = [];
  for (let l = 0; l <= levels; l++) {
    // Denser towards the chin, where the contour bends most.
    const t = l / levels;
    const y = CROWN_Y + (chinY - CROWN_Y) * (1 - (1 - t) * (1 - t) * 0.5 - 0.5 * (1 - t));
    const w = maskHalfWidth(y, id, chinY);
    const zb = maskBackZ(y, id, chinY);
    const zf = maskFrontZ(y);
    for (let k = 0; k < around; k++) {
      const phi = -Math.PI / 2 + (Math.PI * k) / (around - 1);
      const c = Math.max(0, Math.cos(phi));
      pts.push([w * Math.sin(phi), y, zb + (zf - zb) * Math.sqrt(c)]);
      ys.push(y);
    }
    // The profile is steep near the rim (dZ/dphi -> infinity): add samples uniform in depth there, where the
    // silhouette of a turned face lies, so the hull does not cut the corner.
    const rim = Math.ceil(around / 2);
    for (let k = 1; k < rim; k++) {
      const wz = (0.6 * k) / rim; // fraction of the depth from the back rim
      const x = w * Math.sqrt(Math.max(0, 1 - wz ** 4));
      for (const s of [-1, 1]) {
        pts.push([s * x, y, zb + (zf - zb) * wz]);
        ys.push(y);
      }
    }
  }
  return { pts, y: ys };
}

/** 3-D WFLW landmarks except the jaw contour (0-32), which is the projected silhouette (see projection.ts). */
export function landmarks3d(id: IdentityParams, ex: ExpressionParams): Vec3[] {
  const P: Vec3[] = Array.from({ length: 98 }, (): Vec3 => [0, 0, 0]);
  const { mouthY, openAmount } = layout(id, ex);

  // Right brow (image left): 33 outer .. 37 inner along the top edge, 38 .. 41 inner -> outer along the bottom.
  const raise = 6 * ex.browRaise;
  const browInner = -(id.eyeSpacing - id.eyeHalfWidth + 3);
  const browOuter = -(id.eyeSpacing + id.eyeHalfWidth + 7);
  const brow = (t: number, side: -1 | 1): Vec3 => {
    // t = 0 inner, 1 outer; the arch peaks about two thirds of the way out.
    const x = browInner + (browOuter - browInner) * t;
    const arch = id.browArch * Math.sin(Math.PI * Math.pow(t, 0.75)) + (t > 0.8 ? 0 : 0);
    const th = id.browThick * (1.15 - 0.6 * t);
    const y = id.browY - raise * (1 - 0.3 * t) - arch + 2.5 * t + side * th * 0.5;
    return [x, y, 9 - 0.011 * x * x];
  };
  [1, 0.75, 0.5, 0.25, 0].forEach((t, k) => (P[33 + k] = brow(t, -1)));
  [0.2, 0.4, 0.6, 0.8].forEach((t, k) => (P[38 + k] = brow(t, 1)));

  // Nose bridge 51 (nasion) .. 54 (tip); base 55 (right wing) .. 57 (subnasale).
  for (let k = 0; k < 4; k++) {
    const t = k / 3;
    P[51 + k] = [0, 1 + (id.noseLength - 1) * t, 5 + (id.noseProtrusion - 5) * Math.pow(t, 1.4)];
  }
  const nb = id.noseLength + 6;
  P[55] = [-id.noseHalfWidth, nb - 4, id.noseProtrusion - 21];
  P[56] = [-id.noseHalfWidth * 0.5, nb + 0.5, id.noseProtrusion - 14];
  P[57] = [0, nb + 1.5, id.noseProtrusion - 12];

  // Right eye (image left): 60 outer corner, 61-63 upper lid (outer -> inner), 64 inner corner, 65-67 lower lid (inner -> outer).
  const cx = -id.eyeSpacing;
  const a = id.eyeHalfWidth;
  const open = Math.max(0, 1 - ex.blink);
  const hU = id.eyeOpen * open;
  const hL = id.eyeOpen * 0.62 * (0.35 + 0.65 * open) - 1.2 * ex.smile;
  const eyeZ = (x: number): number => 1 - 0.032 * (x - cx) * (x - cx) - (x < cx ? 0.25 * (cx - x) : 0);
  const cornerY = (t: number): number => -id.canthalTilt * (1 - t) * 0.5; // t = 0 outer .. 1 inner
  const lid = (t: number, up: boolean): Vec3 => {
    // t in [-1, 1] from outer to inner; the upper lid peaks slightly towards the inner side.
    const x = cx + a * t * (t < 0 ? 1 : 0.96);
    const bump = Math.pow(Math.max(0, 1 - t * t), 0.75);
    const base = cornerY((t + 1) / 2);
    const y = up ? base - hU * bump * (1 + 0.12 * t) : base + Math.max(0.3, hL) * bump;
    return [x, y, eyeZ(x)];
  };
  P[60] = lid(-1, true);
  P[61] = lid(-0.55, true);
  P[62] = lid(0.05, true);
  P[63] = lid(0.58, true);
  P[64] = lid(1, true);
  P[65] = lid(0.55, false);
  P[66] = lid(0, false);
  P[67] = lid(-0.55, false);
  // Pupil 96: centre of the iris, moved by the gaze; stays inside the opening.
  const pupilY = cornerY(0.5) - 0.15 * hU + 0.3 * hU * ex.gaze[1];
  P[96] = [cx + 0.3 * a * ex.gaze[0], pupilY, 3];
  // Both eyes look the same way, so the left pupil is not a mirror image when the gaze is sideways.
  P[97] = [-cx + 0.3 * a * ex.gaze[0], pupilY, 3];

  // Mouth. Outer lip: 76 right corner, 77-81 upper (right -> left), 82 left corner, 83-87 lower (left -> right).
  const mw = id.mouthHalfWidth + 3 * ex.smile;
  const cornerLift = 4.5 * ex.smile - 0.5;
  const lipZ = (x: number): number => id.noseProtrusion - 16 - 0.028 * x * x;
  const upperInnerY = mouthY - 0.3 * openAmount * 0.25;
  const lowerInnerY = (t: number): number => mouthY + openAmount * Math.pow(1 - t * t, 0.6);
  P[76] = [-mw, mouthY - cornerLift, lipZ(mw)];
  P[77] = [-0.62 * mw, mouthY - 0.75 * id.upperLip - 0.6 * cornerLift, lipZ(0.62 * mw)];
  P[78] = [-0.26 * mw, mouthY - id.upperLip - 0.6, lipZ(0.26 * mw)];
  P[79] = [0, mouthY - id.upperLip + 1.2, lipZ(0)];
  P[87] = [-0.62 * mw, lowerInnerY(0.62) + 0.7 * id.lowerLip - 0.4 * cornerLift, lipZ(0.62 * mw)];
  P[86] = [-0.28 * mw, lowerInnerY(0.28) + id.lowerLip * 0.97, lipZ(0.28 * mw)];
  P[85] = [0, lowerInnerY(0) + id.lowerLip, lipZ(0)];
  // Inner lip: 88 right inner corner, 89-91 upper (right -> left), 92 left inner corner, 93-95 lower (left -> right).
  const iw = 0.86 * mw;
  P[88] = [-iw, mouthY - 0.8 * cornerLift, lipZ(iw) + 1];
  P[89] = [-0.45 * iw, upperInnerY - 0.6 * cornerLift * 0.3, lipZ(0.45 * iw) + 1];
  P[90] = [0, upperInnerY, lipZ(0) + 1];
  P[95] = [-0.45 * iw, lowerInnerY(0.45) + 0.2, lipZ(0.45 * iw) + 1];
  P[94] = [0, lowerInnerY(0) + 0.3, lipZ(0) + 1];

  // Left half: exact mirror (x -> -x) through WFLW's flip pairs; self-paired points sit on x = 0.
  const perm = flipPermutation(WFLW98);
  const defined = new Set([...range(33, 41), 51, 52, 53, 54, 55, 56, 57, ...range(60, 67), 96, 97, 76, 77, 78, 79, 85, 86, 87, 88, 89, 90, 94, 95]);
  for (let i = 33; i < 98; i++) {
    if (defined.has(i)) continue;
    const src = perm[i];
    if (!defined.has(src)) throw new Error(`template: point ${i} mirrors ${src}, which is not defined`);
    const [x, y, z] = P[src];
    P[i] = [-x, y, z];
  }
  return P;
}

function range(a: number, b: number): number[] {
  return Array.from({ length: b - a + 1 }, (_, i) => a + i);
}
