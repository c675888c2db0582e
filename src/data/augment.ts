/**
 * Training augmentation with the official probabilities and formulas (star-reference §3, lib/dataset/augmentation.py)
 * as defaults, driven by a seeded PRNG per sample: the same (seed, epoch, index) always gives the same augmentation,
 * whichever worker prepares it and in whatever order.
 *
 * Geometry (applied through the crop matrix, src/data/crop.ts): flip p=0.5; rotation ~ N(0, 18°); zoom ~ N(1, 0.1);
 * shift ~ N(0, 0.05)·(S-1) crop px per axis (official: ·255 at S=256); unclipped Gaussians.
 * Texture, in the official order, on the crop (0..255 floats): occlusion p=0.4 (black box, height rh·S/2 with
 * rh ~ U[0.2, 0.8), width (rh - 0.2 + 0.4u)·S/2, placed uniformly inside the crop); box blur p=0.3 with
 * k = int(S·0.05·u), applied when k > 1; gamma p=0.2 with γ ~ U[0.25, 1) or U[1, 4) 50/50, `255·(x/255)^γ`;
 * uniform-noise blend p=0.2, `(1-α)x + α·U[0,255]` with α ~ U[0, 0.5); grayscale p=0.2 (ITU-R 601 luma, back to 3 channels).
 * Differences from the official code: texture is applied to the S×S crop after warping (official: to the crop too,
 * except the flip which is done on the full image); values stay float (no uint8 rounding between steps).
 */

export interface AugmentConfig {
  /** Master switch; false = plain crop (evaluation). Default true. */
  enabled: boolean;
  flipProb: number;
  rotationStdDeg: number;
  scaleStd: number;
  /** Shift std as a fraction of (S-1) per axis. */
  shiftStd: number;
  occlusionProb: number;
  blurProb: number;
  /** Max box-blur kernel as a fraction of S (k = int(S·blurMaxFraction·u)). */
  blurMaxFraction: number;
  gammaProb: number;
  noiseProb: number;
  grayProb: number;
}

/** The official training augmentation (aug_prob 1.0: every sample is augmented). */
export const OFFICIAL_AUGMENT: Readonly<AugmentConfig> = Object.freeze({
  enabled: true, flipProb: 0.5, rotationStdDeg: 18, scaleStd: 0.1, shiftStd: 0.05,
  occlusionProb: 0.4, blurProb: 0.3, blurMaxFraction: 0.05, gammaProb: 0.2, noiseProb: 0.2, grayProb: 0.2,
});

export const NO_AUGMENT: Readonly<AugmentConfig> = Object.freeze({ ...OFFICIAL_AUGMENT, enabled: false });

/**
 * Light augmentation for CPU-length runs on the synthetic benchmark: geometry at half the official spread and no
 * texture augmentation. The synthetic generator already draws pose, occluders, blur, noise and lighting per face, and
 * a few thousand steps cannot absorb the official texture augmentation (made for 500 epochs).
 */
export const CPU_AUGMENT: Readonly<AugmentConfig> = Object.freeze({
  ...OFFICIAL_AUGMENT, rotationStdDeg: 9, scaleStd: 0.05, shiftStd: 0.025,
  occlusionProb: 0, blurProb: 0, gammaProb: 0, noiseProb: 0, grayProb: 0,
});

/** Fill in defaults (official) and validate. */
export function augmentConfig(partial: Partial<AugmentConfig> = {}): AugmentConfig {
  const cfg = { ...OFFICIAL_AUGMENT, ...partial };
  for (const k of ['flipProb', 'occlusionProb', 'blurProb', 'gammaProb', 'noiseProb', 'grayProb'] as const) {
    if (!(cfg[k] >= 0 && cfg[k] <= 1)) throw new Error(`AugmentConfig.${k} must be in [0, 1], got ${cfg[k]}`);
  }
  for (const k of ['rotationStdDeg', 'scaleStd', 'shiftStd', 'blurMaxFraction'] as const) {
    if (!(cfg[k] >= 0 && Number.isFinite(cfg[k]))) throw new Error(`AugmentConfig.${k} must be a finite number >= 0, got ${cfg[k]}`);
  }
  return cfg;
}

/** 32-bit integer hash (murmur3 finaliser) used to derive per-sample seeds. */
function mix(h: number): number {
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

/** A uniform [0, 1) generator (mulberry32) seeded by (seed, epoch, index): independent of worker/timing. */
export function sampleRng(seed: number, epoch: number, index: number): () => number {
  let s = mix(mix(mix(seed >>> 0) ^ Math.imul(epoch + 1, 0x9e3779b9)) ^ Math.imul(index + 1, 0x7feb352d));
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function gaussian(r: () => number): number {
  const u = 1 - r(), v = r();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
}

export interface GeometricAug { flip: boolean; rotation: number; scale: number; shiftX: number; shiftY: number }

export function sampleGeometry(cfg: AugmentConfig, S: number, r: () => number): GeometricAug {
  if (!cfg.enabled) return { flip: false, rotation: 0, scale: 1, shiftX: 0, shiftY: 0 };
  // Always draw every variate (fixed consumption) so changing one probability does not reshuffle the others.
  const flip = r() < cfg.flipProb;
  const rotation = (gaussian(r) * cfg.rotationStdDeg * Math.PI) / 180;
  const scale = 1 + gaussian(r) * cfg.scaleStd;
  const shiftX = gaussian(r) * cfg.shiftStd * (S - 1);
  const shiftY = gaussian(r) * cfg.shiftStd * (S - 1);
  return { flip, rotation, scale, shiftX, shiftY };
}

/** What `applyTexture` did (for tests and debugging). */
export interface TextureLog { occlusion?: [number, number, number, number]; blurK?: number; gamma?: number; noiseAlpha?: number; gray?: boolean }

/** Box blur with a k×k kernel, reflect-101 border (cv2.blur default), separable, in place. */
export function boxBlur(img: Float32Array, S: number, k: number, tmp = new Float32Array(img.length)): void {
  const lo = Math.floor((k - 1) / 2); // cv2 anchor: kernel covers [x - lo, x - lo + k - 1]
  const refl = (i: number) => (i < 0 ? -i : i >= S ? 2 * S - 2 - i : i);
  const pass = (src: Float32Array, dst: Float32Array, horizontal: boolean) => {
    for (let y = 0; y < S; y++) {
      for (let x = 0; x < S; x++) {
        for (let c = 0; c < 3; c++) {
          let s = 0;
          for (let t = -lo; t < k - lo; t++) {
            const xx = horizontal ? refl(x + t) : x, yy = horizontal ? y : refl(y + t);
            s += src[(yy * S + xx) * 3 + c];
          }
          dst[(y * S + x) * 3 + c] = s / k;
        }
      }
    }
  };
  pass(img, tmp, true);
  pass(tmp, img, false);
}

/** Apply the texture augmentations in place on an S×S×3 crop of 0..255 floats. */
export function applyTexture(img: Float32Array, S: number, cfg: AugmentConfig, r: () => number): TextureLog {
  const log: TextureLog = {};
  if (!cfg.enabled) return log;
  if (r() < cfg.occlusionProb) {
    const rh = 0.2 + 0.6 * r();
    const rw = rh - 0.2 + 0.4 * r();
    const h = Math.max(1, Math.round((rh * S) / 2)), w = Math.max(1, Math.round((rw * S) / 2));
    const x0 = Math.floor(r() * (S - w + 1)), y0 = Math.floor(r() * (S - h + 1));
    for (let y = y0; y < y0 + h; y++) img.fill(0, (y * S + x0) * 3, (y * S + x0 + w) * 3);
    log.occlusion = [x0, y0, w, h];
  }
  if (r() < cfg.blurProb) {
    const k = Math.trunc(S * cfg.blurMaxFraction * r());
    if (k > 1) { boxBlur(img, S, k); log.blurK = k; }
  }
  if (r() < cfg.gammaProb) {
    const g = r() < 0.5 ? 0.25 + 0.75 * r() : 1 + 3 * r();
    for (let i = 0; i < img.length; i++) img[i] = 255 * Math.pow(Math.max(0, img[i]) / 255, g);
    log.gamma = g;
  }
  if (r() < cfg.noiseProb) {
    const a = 0.5 * r();
    for (let i = 0; i < img.length; i++) img[i] = (1 - a) * img[i] + a * 255 * r();
    log.noiseAlpha = a;
  }
  if (r() < cfg.grayProb) {
    for (let i = 0; i < img.length; i += 3) {
      const yv = 0.299 * img[i] + 0.587 * img[i + 1] + 0.114 * img[i + 2];
      img[i] = img[i + 1] = img[i + 2] = yv;
    }
    log.gray = true;
  }
  return log;
}
