/**
 * The ambiguity model: annotator-like label noise with a known, controllable shape.
 * Points on a curve scatter along the curve's local tangent (sigmaTangent) and a little across it (sigmaNormal);
 * corner-like points (zero tangent) scatter isotropically (sigmaCorner). All sigmas are in inter-ocular distances
 * (outer eye corners 60-72 of the clean labels), so the noise scales with the face.
 */
import type { Point, Sample } from '../sample';
import { WFLW98, partOf, type LandmarkScheme } from '../schemes';
import type { AmbiguityConfig } from './config';
import { createRng, mix32, type Rng } from './prng';
import { interOcular } from './curves';

/** What of the sample the structured ambiguity models depend on (absent: the classic image-independent noise). */
export interface AmbiguityContext {
  /** The face's yaw in degrees (pose-dependent ambiguity, `yawGain`). */
  yawDeg?: number;
  /** Tangential slide per facial part of the annotator who labelled this sample (`annotators`), in IOD. */
  slides?: Partial<Record<string, number>>;
}

/** The reference yaw of `yawGain`: at |yaw| = 45° the contour's tangent σ is (1 + yawGain) times the base. */
export const YAW_GAIN_REFERENCE_DEG = 45;

/** Per-point noise axes: sigma along the tangent and along the normal, in pixels. */
export function noiseSigmas(
  clean: Point[], tangents: Point[], amb: AmbiguityConfig, scheme: LandmarkScheme = WFLW98, ctx: AmbiguityContext = {},
): { along: number; across: number; isotropic: boolean }[] {
  const iod = interOcular(clean, scheme.norms.ocular.left[0], scheme.norms.ocular.right[0]);
  if (!(iod > 0)) throw new Error(`ambiguity: inter-ocular distance is ${iod}; the clean labels are degenerate`);
  return clean.map((_, i) => {
    const t = tangents[i];
    const onCurve = t[0] !== 0 || t[1] !== 0;
    const part = partOf(scheme, i) as keyof AmbiguityConfig['partScale'];
    const poseScale = part === 'contour' && amb.yawGain ? 1 + amb.yawGain * Math.abs(ctx.yawDeg ?? 0) / YAW_GAIN_REFERENCE_DEG : 1;
    const scale = (amb.partScale[part] ?? 1) * poseScale;
    return onCurve
      ? { along: amb.sigmaTangent * scale * iod, across: amb.sigmaNormal * iod, isotropic: false }
      : { along: amb.sigmaCorner * iod, across: amb.sigmaCorner * iod, isotropic: true };
  });
}

/**
 * One annotator's labels: clean + sigma_t * N * tangent + sigma_n * N * normal (or isotropic for corners).
 * Zero sigmas return exact copies of the clean points.
 */
export function drawNoisyLabels(
  clean: Point[], tangents: Point[], amb: AmbiguityConfig, rng: Rng, scheme: LandmarkScheme = WFLW98, ctx: AmbiguityContext = {},
): Point[] {
  if (clean.length !== tangents.length) throw new Error(`ambiguity: ${clean.length} points but ${tangents.length} tangents`);
  const sig = noiseSigmas(clean, tangents, amb, scheme, ctx);
  const iod = ctx.slides ? interOcular(clean, scheme.norms.ocular.left[0], scheme.norms.ocular.right[0]) : 0;
  return clean.map((p, i) => {
    const a = rng.normal(), b = rng.normal();
    const s = sig[i];
    if (s.isotropic) return [p[0] + s.along * a, p[1] + s.across * b];
    const [tx, ty] = tangents[i];
    // The annotator's convention slides the whole part along the curve (tangents are oriented along each curve).
    const slide = ctx.slides ? (ctx.slides[partOf(scheme, i)] ?? 0) * iod : 0;
    const along = s.along * a + slide;
    // Normal = tangent rotated by 90 degrees.
    return [p[0] + along * tx - s.across * b * ty, p[1] + along * ty + s.across * b * tx];
  });
}

/**
 * The annotators' conventions of a dataset: per annotator, a tangential slide per facial part of the scheme (IOD),
 * drawn from the dataset seed alone so every split shares the same annotators. Empty when the model is off.
 */
export function annotatorConventions(amb: AmbiguityConfig, datasetSeed: number, scheme: LandmarkScheme = WFLW98): Record<string, number>[] {
  const an = amb.annotators;
  if (!an || an.count === 0) return [];
  const rng = createRng(mix32((datasetSeed >>> 0) ^ 0x0a77a70));
  const parts = Object.keys(scheme.parts);
  return Array.from({ length: an.count }, () => Object.fromEntries(parts.map((p) => [p, an.slide * rng.normal()])));
}

/**
 * The 'per-epoch' option: a fresh annotator draw for `epoch` (deterministic in sample id and epoch). The stored
 * `Sample.landmarks` stay the generation-time draw; a training loop that wants per-epoch redraws calls this.
 */
export function perEpochNoisyLabels(sample: Sample, amb: AmbiguityConfig, epoch: number, scheme: LandmarkScheme = WFLW98): Point[] {
  if (!sample.cleanLandmarks || !sample.tangents) {
    throw new Error(`${sample.source ?? sample.id}: perEpochNoisyLabels needs cleanLandmarks and tangents (synthetic samples only)`);
  }
  let h = mix32(epoch + 0x1234);
  for (let i = 0; i < sample.id.length; i++) h = mix32(h ^ sample.id.charCodeAt(i));
  return drawNoisyLabels(sample.cleanLandmarks, sample.tangents, amb, createRng(h), scheme);
}
