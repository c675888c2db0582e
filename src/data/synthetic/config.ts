/**
 * SyntheticConfig: every knob of the synthetic semantic-ambiguity face benchmark, with documented defaults.
 * The resolved config (defaults filled in) is hashed to name the cache folder, so any change regenerates.
 */
import { createHash } from 'crypto';
import type { Profile } from '../../config/profile';

/** Bump when the generator's output changes for the same config (invalidates every cache). */
export const GENERATOR_VERSION = 1;

export type Split = 'train' | 'val' | 'test';
export const SPLITS: readonly Split[] = ['train', 'val', 'test'];

/** Annotator-like label noise. All sigmas are in units of the inter-ocular distance (outer eye corners 60-72). */
export interface AmbiguityConfig {
  /** Std along the local curve tangent for points on curves (jaw, brows, nose bridge/base, eye and lip outlines). Default 0.03. */
  sigmaTangent: number;
  /** Std along the curve normal for the same points (annotators agree on *which* curve). Default 0.006. */
  sigmaNormal: number;
  /** Isotropic std for corner-like points (eye/mouth/brow corners, nose tip, pupils). Default 0.01. */
  sigmaCorner: number;
  /**
   * Multiplier of sigmaTangent per facial part of the scheme (contour, brows, nose, eyes, mouth). Default: all 1,
   * i.e. the same tangent ambiguity everywhere, so a sweep over sigmaTangent is one clean axis.
   */
  partScale: Partial<Record<'contour' | 'brows' | 'nose' | 'eyes' | 'mouth', number>>;
  /**
   * 'once' (default): drawn once per sample at generation, like a human annotator, and stored in the labels.
   * 'per-epoch': the stored labels are still the 'once' draw; consumers may call `redrawNoisyLabels(sample, cfg, epoch)`.
   */
  mode: 'once' | 'per-epoch';
  /**
   * Pose-dependent (image-dependent) ambiguity: the tangent σ of CONTOUR points is multiplied by
   * 1 + yawGain·|yaw|/45°. Models the face silhouette under yaw, where the jaw landmarks' semantic position along the
   * visible outline is genuinely undefined (WFLW's large-pose subset): the scatter is visible from the image, so a model
   * can learn where labels are unreliable. Absent/0: off (the classic image-independent noise).
   */
  yawGain?: number;
  /**
   * Annotator conventions: `count` annotators, each with a systematic slide along the curve tangent per facial part
   * (drawn once per dataset seed, std `slide` IOD); each sample is labelled by one annotator drawn at random, on top of
   * the per-point noise above. Models datasets merged from teams with different conventions (300-W's LFPW/HELEN/AFW
   * sources): the error is correlated along a curve and not visible from the image. Absent or count 0: off.
   */
  annotators?: { count: number; slide: number };
}

export interface PoseConfig {
  /** Max |yaw| in degrees (yaw ~ N(0, yawMax/2.5) clipped). Default 60. */
  yawMaxDeg: number;
  /** Max |pitch| in degrees. Default 30. */
  pitchMaxDeg: number;
  /** Max |roll| in degrees. Default 30. */
  rollMaxDeg: number;
}

export interface SyntheticConfig {
  /** Dataset seed; with the rest of the config it fixes every byte. Default 1. */
  seed: number;
  /** Square image side in pixels (128 or 256; anything in [32, 1024] works). Default 128. */
  imageSize: number;
  /** Number of samples per split. Default train 4000, val 400, test 1000. */
  counts: Record<Split, number>;
  pose: PoseConfig;
  ambiguity: AmbiguityConfig;
  /** Probability that a sample has an occluder (hand or object) over part of the face. Default 0.2. */
  pOcclusion: number;
  /** Probability of Gaussian blur (sigma 0.8-2.5 px at 128 px, scaled with imageSize). Default 0.15. */
  pBlur: number;
  /** Probability of make-up (lipstick, eye shadow, blush, darker brows). Default 0.25. */
  pMakeup: number;
  /** Probability of a non-neutral expression (mouth open, smile, blink, brow raise). Default 0.35. */
  pExpression: number;
  /** Probability of hard or extreme lighting (strong side light, under/over exposure, colour cast). Default 0.2. */
  pHardLight: number;
  /** Max std of additive Gaussian pixel noise (uint8 levels); each image draws U[0, max]. Default 6. */
  noiseMax: number;
  /** Face box side (official box, see Sample.box) as a fraction of the image side; jittered by +-10%. Default 0.62. */
  faceFraction: number;
  /** Max shift of the face centre from the image centre, as a fraction of the image side. Default 0.04. */
  centerJitter: number;
}

export const DEFAULT_SYNTHETIC_CONFIG: SyntheticConfig = {
  seed: 1,
  imageSize: 128,
  counts: { train: 4000, val: 400, test: 1000 },
  pose: { yawMaxDeg: 60, pitchMaxDeg: 30, rollMaxDeg: 30 },
  ambiguity: { sigmaTangent: 0.03, sigmaNormal: 0.006, sigmaCorner: 0.01, partScale: {}, mode: 'once' },
  pOcclusion: 0.2,
  pBlur: 0.15,
  pMakeup: 0.25,
  pExpression: 0.35,
  pHardLight: 0.2,
  noiseMax: 6,
  faceFraction: 0.62,
  centerJitter: 0.04,
};

/** Deep partial for user overrides. */
export type SyntheticConfigInput = Partial<Omit<SyntheticConfig, 'counts' | 'pose' | 'ambiguity'>> & {
  counts?: Partial<Record<Split, number>>;
  pose?: Partial<PoseConfig>;
  ambiguity?: Partial<AmbiguityConfig>;
};

/** Split sizes per run profile (smoke: code paths in seconds; full: WFLW-like 7500 train / 2500 test). */
export const PROFILE_COUNTS: Record<Profile, Record<Split, number>> = {
  smoke: { train: 64, val: 16, test: 32 },
  quick: { train: 4000, val: 400, test: 1000 },
  full: { train: 7500, val: 500, test: 2500 },
};

/** Fill defaults and validate; errors name the offending field. */
export function resolveSyntheticConfig(input: SyntheticConfigInput = {}): SyntheticConfig {
  const d = DEFAULT_SYNTHETIC_CONFIG;
  const cfg: SyntheticConfig = {
    ...d,
    ...stripUndefined(input),
    counts: { ...d.counts, ...stripUndefined(input.counts ?? {}) },
    pose: { ...d.pose, ...stripUndefined(input.pose ?? {}) },
    ambiguity: {
      ...d.ambiguity,
      ...stripUndefined(input.ambiguity ?? {}),
      partScale: { ...d.ambiguity.partScale, ...(input.ambiguity?.partScale ?? {}) },
    },
  };
  const fail = (field: string, why: string): never => {
    throw new Error(`SyntheticConfig.${field}: ${why}`);
  };
  const num = (v: unknown, field: string, lo: number, hi: number, integer = false): void => {
    if (typeof v !== 'number' || !Number.isFinite(v) || v < lo || v > hi || (integer && !Number.isInteger(v))) {
      fail(field, `expected ${integer ? 'an integer' : 'a number'} in [${lo}, ${hi}], got ${JSON.stringify(v)}`);
    }
  };
  num(cfg.seed, 'seed', 0, 2 ** 32 - 1, true);
  num(cfg.imageSize, 'imageSize', 32, 1024, true);
  for (const s of SPLITS) num(cfg.counts[s], `counts.${s}`, 0, 1e7, true);
  num(cfg.pose.yawMaxDeg, 'pose.yawMaxDeg', 0, 75);
  num(cfg.pose.pitchMaxDeg, 'pose.pitchMaxDeg', 0, 45);
  num(cfg.pose.rollMaxDeg, 'pose.rollMaxDeg', 0, 90);
  num(cfg.ambiguity.sigmaTangent, 'ambiguity.sigmaTangent', 0, 1);
  num(cfg.ambiguity.sigmaNormal, 'ambiguity.sigmaNormal', 0, 1);
  num(cfg.ambiguity.sigmaCorner, 'ambiguity.sigmaCorner', 0, 1);
  for (const [k, v] of Object.entries(cfg.ambiguity.partScale)) num(v, `ambiguity.partScale.${k}`, 0, 100);
  if (cfg.ambiguity.yawGain !== undefined) num(cfg.ambiguity.yawGain, 'ambiguity.yawGain', 0, 100);
  if (cfg.ambiguity.annotators !== undefined) {
    const an = cfg.ambiguity.annotators;
    if (!an || typeof an !== 'object') fail('ambiguity.annotators', `expected { count, slide }, got ${JSON.stringify(an)}`);
    num(an.count, 'ambiguity.annotators.count', 0, 1000, true);
    num(an.slide, 'ambiguity.annotators.slide', 0, 1);
  }
  if (cfg.ambiguity.mode !== 'once' && cfg.ambiguity.mode !== 'per-epoch') fail('ambiguity.mode', `expected "once" or "per-epoch", got ${JSON.stringify(cfg.ambiguity.mode)}`);
  for (const k of ['pOcclusion', 'pBlur', 'pMakeup', 'pExpression', 'pHardLight'] as const) num(cfg[k], k, 0, 1);
  num(cfg.noiseMax, 'noiseMax', 0, 64);
  num(cfg.faceFraction, 'faceFraction', 0.2, 1.2);
  num(cfg.centerJitter, 'centerJitter', 0, 0.3);
  const known = new Set(Object.keys(d));
  for (const k of Object.keys(input)) if (!known.has(k)) fail(k, `unknown field (known: ${[...known].join(', ')})`);
  return cfg;
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

/** JSON with sorted keys, so the hash does not depend on property order. */
export function canonicalJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonicalJson).join(',')}]`;
  if (v !== null && typeof v === 'object') {
    const o = v as Record<string, unknown>;
    return `{${Object.keys(o).sort().filter((k) => o[k] !== undefined).map((k) => `${JSON.stringify(k)}:${canonicalJson(o[k])}`).join(',')}}`;
  }
  return JSON.stringify(v);
}

/** 16-hex hash of the full resolved config plus the generator version (the cache key). */
export function syntheticConfigHash(cfg: SyntheticConfig): string {
  return createHash('sha256').update(`v${GENERATOR_VERSION}:${canonicalJson(cfg)}`).digest('hex').slice(0, 16);
}

/** Short human-readable description for dataset names. */
export function describeConfig(cfg: SyntheticConfig): string {
  const a = cfg.ambiguity;
  const extra = (a.yawGain ? `, yawGain=${a.yawGain}` : '') + (a.annotators?.count ? `, annotators=${a.annotators.count}x${a.annotators.slide}` : '');
  return `synthetic(seed=${cfg.seed}, ${cfg.imageSize}px, tangent=${a.sigmaTangent}, normal=${a.sigmaNormal}, corner=${a.sigmaCorner}${extra})`;
}
