/** The synthetic semantic-ambiguity face benchmark: public API. */
export * from './config';
export { createRng, sampleSeed, mix32, type Rng } from './prng';
export * from './curves';
export {
  NEUTRAL_IDENTITY, NEUTRAL_EXPRESSION, landmarks3d, maskSurface, maskHalfWidth, type IdentityParams, type ExpressionParams, type Vec3,
} from './template';
export { rotationMatrix, project, silhouette, HEAD_CENTRE, type Pose, type Camera, type Silhouette } from './projection';
export { sampleFaceParams, buildGeometry, attributeFlags, ATTRIBUTE_THRESHOLDS, BOX_MARGIN, CONTOUR_TOP_Y, type FaceParams, type FaceGeometry } from './face';
export { drawNoisyLabels, noiseSigmas, perEpochNoisyLabels } from './ambiguity';
export { generateGeometry, generateSample, type SyntheticLabel } from './generate';
export { faceSvg, renderFace } from './render';
export { generateSplit, defaultWorkerCount, type GenerateOptions } from './pool';
export { syntheticDataset, syntheticCacheDir, loadCachedSplit, type SyntheticDatasetOptions } from './dataset';
