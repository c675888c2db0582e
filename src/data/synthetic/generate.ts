/**
 * One sample end to end: seed -> parameters -> geometry -> labels (clean, tangents, annotator noise, attributes)
 * -> pixels. Everything depends only on (config, split, index), so any worker can make any sample.
 */
import type { Attribute, FaceBox, Point } from '../sample';
import type { SyntheticConfig, Split } from './config';
import { createRng, sampleSeed } from './prng';
import { attributeFlags, buildGeometry, occluderPolygon, sampleFaceParams, type FaceGeometry, type FaceParams } from './face';
import { annotatorConventions, drawNoisyLabels, type AmbiguityContext } from './ambiguity';
import { WFLW98 } from '../schemes';
import { renderFace } from './render';

/** What the cache stores per sample (JSON). Coordinates are image pixels. */
export interface SyntheticLabel {
  index: number;
  /** Annotator-like labels (noisy) — the training target for every split. */
  landmarks: Point[];
  /** Exact landmarks. */
  cleanLandmarks: Point[];
  /** Unit tangent of the underlying curve at each clean point; [0, 0] for corner-like points. */
  tangents: Point[];
  box: FaceBox;
  attributes: Record<Attribute, boolean>;
  /** Generating parameters worth analysing per sample (degrees; expression in [0, 1]). */
  meta: { yaw: number; pitch: number; roll: number; mouthOpen: number; smile: number; blink: number; browRaise: number; blurSigma: number; noiseStd: number; annotator?: number };
}

const round = (v: number, q: number): number => Math.round(v * q) / q;
const roundPts = (a: Point[], q: number): Point[] => a.map((p): Point => [round(p[0], q), round(p[1], q)]);

export interface GeneratedGeometry {
  params: FaceParams;
  geometry: FaceGeometry;
  label: SyntheticLabel;
}

/** Parameters, geometry and labels without rendering (fast; used by tests and the contact sheet). */
export function generateGeometry(cfg: SyntheticConfig, split: Split, index: number): GeneratedGeometry {
  const rng = createRng(sampleSeed(cfg.seed, split, index));
  const params = sampleFaceParams(rng, cfg);
  const geometry = buildGeometry(params);
  // Labels are rounded once here (1e-3 px, tangents 1e-5) so in-memory and cached samples are identical.
  const cleanLandmarks = roundPts(geometry.landmarks, 1000);
  const tangents = roundPts(geometry.tangents, 1e5);
  // Structured ambiguity draws from its own forks, so with it off every byte is what it always was.
  const conventions = annotatorConventions(cfg.ambiguity, cfg.seed);
  const annotator = conventions.length ? rng.fork(8).int(conventions.length) : undefined;
  const ctx: AmbiguityContext = { yawDeg: params.pose.yaw, slides: annotator === undefined ? undefined : conventions[annotator] };
  const landmarks = roundPts(drawNoisyLabels(cleanLandmarks, tangents, cfg.ambiguity, rng.fork(7), WFLW98, ctx), 1000);
  for (const [i, p] of landmarks.entries()) {
    if (!Number.isFinite(p[0]) || !Number.isFinite(p[1])) throw new Error(`synthetic ${split}#${index}: landmark ${i} is not finite`);
  }
  const label: SyntheticLabel = {
    index,
    landmarks,
    cleanLandmarks,
    tangents,
    box: { center: [round(geometry.box.center[0], 1000), round(geometry.box.center[1], 1000)], scale: round(geometry.box.scale, 1e6) },
    attributes: attributeFlags(params, cleanLandmarks, params.occluders.map(occluderPolygon), cfg.imageSize),
    meta: {
      yaw: round(params.pose.yaw, 100), pitch: round(params.pose.pitch, 100), roll: round(params.pose.roll, 100),
      mouthOpen: round(params.expression.mouthOpen, 1000), smile: round(params.expression.smile, 1000),
      blink: round(params.expression.blink, 1000), browRaise: round(params.expression.browRaise, 1000),
      blurSigma: round(params.blurSigma, 1000), noiseStd: round(params.noiseStd, 1000),
      ...(annotator === undefined ? {} : { annotator }),
    },
  };
  return { params, geometry, label };
}

/** Labels and interleaved RGB uint8 pixels (imageSize^2 * 3 bytes) of one sample. */
export async function generateSample(cfg: SyntheticConfig, split: Split, index: number): Promise<{ label: SyntheticLabel; rgb: Uint8Array }> {
  const g = generateGeometry(cfg, split, index);
  const rgb = await renderFace(g.params, g.geometry, cfg.imageSize);
  return { label: g.label, rgb };
}
