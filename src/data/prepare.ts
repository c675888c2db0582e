/**
 * One training example from one Sample: crop (+ augmentation) -> normalised image, codec targets. Pure and
 * synchronous given the decoded image, so the loader runs it unchanged on the main thread or in a worker.
 */
import type { Sample } from './sample';
import type { RawImage } from './image';
import { normaliseInPlace } from './image';
import { cropMatrix, transformPoints, warpAffine } from './crop';
import { applyTexture, sampleGeometry, sampleRng, type AugmentConfig, type TextureLog, type GeometricAug } from './augment';
import type { HeatmapCodec } from './codec';

export interface PrepareTargets {
  /** [S, S, 3] normalised RGB. */
  image: Float32Array;
  /** [N, 2] loss targets on the STAR grid. */
  targets: Float32Array;
  /** [N]. */
  visible: Float32Array;
  /** [H, W, N] when requested. */
  heatmaps?: Float32Array;
  /** [H, W, E] boundary maps when requested (codec built with edgeMaps: true). */
  edgemaps?: Float32Array;
  /** [N, 2] landmarks in crop px (after augmentation). */
  cropLandmarks: Float32Array;
  geometry: GeometricAug;
  texture: TextureLog;
}

export interface PrepareOptions {
  codec: HeatmapCodec;
  augment: AugmentConfig;
  /** Flip permutation of the scheme (flipPermutation in schemes.ts). */
  flipPerm: number[];
  seed: number;
  epoch: number;
  heatmaps: boolean;
  /** Also encode edge maps (needs a codec with edgeMaps: true). Default false. */
  edgemaps?: boolean;
}

/** Write one example into the given output views (allocates when absent). */
export function prepareSample(
  sample: Sample,
  image: RawImage,
  index: number,
  o: PrepareOptions,
  out: Partial<Pick<PrepareTargets, 'image' | 'targets' | 'visible' | 'heatmaps' | 'edgemaps'>> = {},
): PrepareTargets {
  const S = o.codec.options.inputSize;
  const N = o.codec.numPoints;
  const r = sampleRng(o.seed, o.epoch, index);
  const geometry = sampleGeometry(o.augment, S, r);
  const where = `${sample.source ?? sample.id} (face ${sample.id})`;
  const m = cropMatrix(sample.box, S, geometry, where);
  const flat = new Float64Array(2 * N); // image px can be large: keep full precision until the crop
  sample.landmarks.forEach(([x, y], i) => { flat[2 * i] = x; flat[2 * i + 1] = y; });
  const perm = geometry.flip ? o.flipPerm : undefined;
  const cropLandmarks = transformPoints(m, flat, perm);
  const visible = out.visible ?? new Float32Array(N);
  for (let i = 0; i < N; i++) visible[i] = sample.visible ? sample.visible[perm ? perm[i] : i] : 1;
  const img = warpAffine(image, m, S, out.image, where);
  const texture = applyTexture(img, S, o.augment, r);
  normaliseInPlace(img);
  if (o.edgemaps && !o.codec.options.edgeMaps) throw new Error('prepareSample: edge maps requested but the codec was created without edgeMaps: true');
  const enc = o.codec.encode(cropLandmarks, visible, { targets: out.targets, heatmaps: out.heatmaps, edgemaps: out.edgemaps }, { heatmaps: o.heatmaps, edgemaps: o.edgemaps ?? false });
  return { image: img, targets: enc.targets, visible, heatmaps: o.heatmaps ? enc.heatmaps : undefined, edgemaps: enc.edgemaps, cropLandmarks, geometry, texture };
}
