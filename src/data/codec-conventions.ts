/**
 * The heatmap codec's two label conventions (coordinate frames in src/geometry/coords.ts). Each is ONE object holding
 * both directions, as mmpose's codecs do, so its encoder and decoder cannot drift apart: landmark (crop px) -> loss
 * target and the point map that trains it, and loss target -> crop px for the decoders (src/geometry/decode.ts).
 *
 * - `consistent` (default): Gaussians are evaluated exactly (sub-pixel centres) on the heatmap's own pixel grid, with
 *   crop and heatmap pixel centres aligned (`u = (x+0.5)·H/S - 0.5`); the loss target is that same position on the STAR
 *   grid. Encode -> soft-argmax decode returns the landmark (measured < 0.01 crop px at σ >= 1 heatmap px, away from
 *   the border: within ~4σ of the border the cut Gaussian pulls soft-argmax inwards). σ is in HEATMAP pixels.
 * - `official`: parity with the official STAR code. Point maps: an unnormalised Gaussian (peak 1, σ = 1.5 crop px) drawn
 *   on the S×S crop at the integer-TRUNCATED position `int(x), int(y)`, then bilinearly down-sampled (pixel-centre
 *   aligned, cv2 INTER_LINEAR style) to H×W. Labels `(2x+1)/S - 1` on the crop, clamped to [-1, 1]. Decode: soft-argmax
 *   on the `_make_grid` grid, then `((p+1)·S - 1)/2` (evaluate.py). σ is in CROP pixels. Its round trip is biased
 *   (truncation ≈ -0.5 px plus a grid mismatch that grows to ±2 px towards the crop border at S=256, H=64):
 *   measured mean -0.51 px, rms 1.13 px per axis; on the 1,966 WFLW test faces the round trip alone costs
 *   1.40 % inter-ocular NME at S=256 (2.84 % at S=128). A model trained on these point maps and decoded the official
 *   way inherits that floor; STAR-trained models do not (their soft-argmax mean is fitted to the labels, which
 *   `officialLabelToCropPixel` inverts exactly).
 */
import {
  cropPixelToGrid, cropPixelToHeatmapPixel, cropPixelToOfficialLabel, gridToCropPixel, officialLabelToCropPixel,
} from '../geometry/coords';

export type CodecConvention = 'consistent' | 'official';

export interface PointConvention {
  readonly name: CodecConvention;
  /** Landmark coordinate (crop px) -> loss target on the STAR grid. */
  toTarget(x: number): number;
  /** Loss target -> crop px: the decoders' last step, inverse of `toTarget` where it does not clamp. */
  toCrop(g: number): number;
  /** The point map's profile along one axis (a Gaussian is separable) for a landmark coordinate x (crop px). */
  profile(x: number, out: Float64Array): void;
}

/** Default point-map σ per convention: heatmap px for 'consistent', crop px for 'official' (the official 1.5). */
export const DEFAULT_SIGMA: Readonly<Record<CodecConvention, number>> = { consistent: 1.0, official: 1.5 };

/** Crop side S, heatmap side H, point-map σ (heatmap px); `clampTargets` clamps loss targets to [-1, 1]. */
export function consistentConvention(S: number, H: number, sigma: number, clampTargets: boolean): PointConvention {
  const k = -1 / (2 * sigma * sigma);
  return {
    name: 'consistent',
    toTarget: (x) => {
      const g = cropPixelToGrid(x, S, H);
      return clampTargets ? Math.min(1, Math.max(-1, g)) : g;
    },
    toCrop: (g) => gridToCropPixel(g, S, H),
    profile: (x, out) => {
      const u = cropPixelToHeatmapPixel(x, S, H);
      for (let j = 0; j < H; j++) out[j] = Math.exp(k * (j - u) * (j - u));
    },
  };
}

/** Crop side S, heatmap side H, point-map σ (crop px). Loss targets are always clamped (official). */
export function officialConvention(S: number, H: number, sigma: number): PointConvention {
  const k = -1 / (2 * sigma * sigma);
  const f = S / H;
  return {
    name: 'official',
    toTarget: (x) => cropPixelToOfficialLabel(x, S),
    toCrop: (g) => officialLabelToCropPixel(g, S),
    profile: (x, out) => {
      const c = Math.trunc(x); // official: int() of the crop position
      const g = (t: number) => Math.exp(k * (t - c) * (t - c));
      for (let j = 0; j < H; j++) {
        // Pixel-centre aligned bilinear down-sampling of the S-px map, clamped at the border (cv2 INTER_LINEAR).
        const src = Math.min(S - 1, Math.max(0, (j + 0.5) * f - 0.5));
        const i0 = Math.floor(src), w = src - i0, i1 = Math.min(S - 1, i0 + 1);
        out[j] = (1 - w) * g(i0) + w * g(i1);
      }
    },
  };
}
