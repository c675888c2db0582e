/**
 * Face crop as the official code builds it (lib/dataset/augmentation.py): an affine map image -> crop
 * `q = s·R(θ)·(p - c) + ((S-1)/2 + dx, (S-1)/2 + dy)` with `s = S / (scale·200) · scaleAug`, so the box centre lands on
 * the crop centre (127.5 at 256). A horizontal flip mirrors the crop about its centre (`x' = S-1-x`), which equals the
 * official flip-before-crop `x' = w-1-x` for WFLW/300W (COFW's `w-x` quirk, 1 px, is not reproduced); the landmark
 * indices are then permuted with the scheme's mirror map.
 * Warping is our own bilinear sampler on raw buffers (black border, like warpPerspective's default): measured faster
 * than sharp's affine for 64-256 px crops (bench/warp.ts) and synchronous, so it runs inside the loader workers.
 * NOT tf.image.transform (wrong on the cpu backend for batch > 1).
 */
import type { FaceBox } from './sample';
import type { RawImage } from './image';

/** Image -> crop affine: `[qx, qy] = [a b; c d]·[px, py] + [tx, ty]`. */
export interface Affine { a: number; b: number; c: number; d: number; tx: number; ty: number }

export interface CropJitter {
  /** Rotation in radians (counter-clockwise in the image as displayed, y down). Default 0. */
  rotation?: number;
  /** Multiplies the zoom s. Default 1. */
  scale?: number;
  /** Crop-pixel shift of the box centre. Default 0. */
  shiftX?: number;
  shiftY?: number;
  /** Mirror the crop horizontally. Default false. */
  flip?: boolean;
}

/**
 * The image -> crop map of a face box. `where` names the face in errors (its source file and line): a box the readers
 * let through is always valid (data/formats/common.ts checkBox), so a bad one here is a programming or data error
 * whose origin the message must show.
 */
export function cropMatrix(box: FaceBox, S: number, j: CropJitter = {}, where = 'cropMatrix'): Affine {
  const s = (S / (box.scale * 200)) * (j.scale ?? 1);
  if (!(box.scale > 0) || !box.center.every(Number.isFinite) || !(s > 0 && Number.isFinite(s))) {
    throw new Error(`${where}: bad box ${JSON.stringify(box)} for a ${S}-px crop (need a finite centre and a finite scale > 0)`);
  }
  const th = j.rotation ?? 0;
  const cos = Math.cos(th) * s, sin = Math.sin(th) * s;
  const half = (S - 1) / 2;
  let a = cos, b = sin, c = -sin, d = cos;
  let tx = half + (j.shiftX ?? 0) - (a * box.center[0] + b * box.center[1]);
  const ty = half + (j.shiftY ?? 0) - (c * box.center[0] + d * box.center[1]);
  if (j.flip) { a = -a; b = -b; tx = S - 1 - tx; }
  return { a, b, c, d, tx, ty };
}

/** Inverse of an affine map; singular (relative to its own size) or non-finite is an error naming `where`. */
export function invertAffine(m: Affine, where = 'invertAffine'): Affine {
  const det = m.a * m.d - m.b * m.c;
  const size = m.a * m.a + m.b * m.b + m.c * m.c + m.d * m.d;
  if (!(Math.abs(det) > 1e-12 * size) || !Number.isFinite(det) || !Number.isFinite(m.tx) || !Number.isFinite(m.ty)) {
    throw new Error(`${where}: singular or non-finite crop map ${JSON.stringify(m)}`);
  }
  const a = m.d / det, b = -m.b / det, c = -m.c / det, d = m.a / det;
  return { a, b, c, d, tx: -(a * m.tx + b * m.ty), ty: -(c * m.tx + d * m.ty) };
}

/** Map flat [N*2] points through m; with `perm`, output point i is input point perm[i] (flip). */
export function transformPoints(m: Affine, pts: ArrayLike<number>, perm?: number[], out = new Float32Array(pts.length)): Float32Array {
  const n = pts.length / 2;
  for (let i = 0; i < n; i++) {
    const k = perm ? perm[i] : i;
    const x = pts[2 * k], y = pts[2 * k + 1];
    out[2 * i] = m.a * x + m.b * y + m.tx;
    out[2 * i + 1] = m.c * x + m.d * y + m.ty;
  }
  return out;
}

/**
 * Bilinear warp of an RGB uint8 image into an S×S×3 float crop (values 0..255, not rounded), black outside.
 * `m` maps image -> crop; each crop pixel samples the image at m⁻¹(q).
 */
export function warpAffine(src: RawImage, m: Affine, S: number, out = new Float32Array(S * S * 3), where = 'warpAffine'): Float32Array {
  const inv = invertAffine(m, where);
  const { data, width: W, height: Hh } = src;
  for (let y = 0; y < S; y++) {
    let px = inv.b * y + inv.tx, py = inv.d * y + inv.ty;
    for (let x = 0; x < S; x++, px += inv.a, py += inv.c) {
      const o = (y * S + x) * 3;
      const x0 = Math.floor(px), y0 = Math.floor(py);
      if (x0 < -1 || y0 < -1 || x0 >= W || y0 >= Hh) { out[o] = out[o + 1] = out[o + 2] = 0; continue; }
      const fx = px - x0, fy = py - y0;
      const w00 = (1 - fx) * (1 - fy), w10 = fx * (1 - fy), w01 = (1 - fx) * fy, w11 = fx * fy;
      const in0 = y0 >= 0, in1 = y0 + 1 < Hh, ix0 = x0 >= 0, ix1 = x0 + 1 < W;
      const r0 = y0 * W, r1 = r0 + W;
      for (let c = 0; c < 3; c++) {
        let v = 0;
        if (in0 && ix0) v += w00 * data[(r0 + x0) * 3 + c];
        if (in0 && ix1) v += w10 * data[(r0 + x0 + 1) * 3 + c];
        if (in1 && ix0) v += w01 * data[(r1 + x0) * 3 + c];
        if (in1 && ix1) v += w11 * data[(r1 + x0 + 1) * 3 + c];
        out[o + c] = v;
      }
    }
  }
  return out;
}
