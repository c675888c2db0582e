/** Public loss API: STAR (official v2/v1 port + restrictions) and the baselines. */
export { starLoss, starLossPerLandmark, starDecomposition, STAR_LOSS_DEFAULTS } from './star';
export type { StarLossOptions, StarDecomposition, StarDetach, StarVariant } from './star';
export { heatmapMse, adaptiveWing, coordLoss, decodeMean, ADAPTIVE_WING_DEFAULTS } from './baselines';
export type { AdaptiveWingOptions, CoordLossOptions, CoordDistance } from './baselines';
export { distance, smoothL1FromSquared, wing, SMOOTHL1_SCALE, WING_DEFAULTS } from './distances';
export type { DistanceName } from './distances';
