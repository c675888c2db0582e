/**
 * The public API: what notebooks and users import (`import { starLoss, createCodec, ... } from './src'`). Everything
 * not re-exported here is internal and may change without notice; test/public-api.test.ts holds the reviewed list, so
 * a change to this surface is a visible decision. Grouped along the data flow (design: source -> sample -> targets ->
 * model -> distribution -> loss/metrics -> runs -> train -> experiments -> report).
 */

// Backend: pick and start the fastest working tfjs backend (the CPU training kernels live in tfjs-wasm-train).
export { initBackend, backendInfo, formatBackendInfo } from 'tfjs-wasm-train';
export type { BackendInfo, BackendOptions } from 'tfjs-wasm-train';

// Profiles and the shared folder beside the project.
export { currentProfile, profileLabel, resultsDir, PROJECT_ROOT } from './config/profile';
export type { Profile } from './config/profile';
export { sharedDir, optionalShared, requireShared } from './config/shared';

// Data: landmark schemes, datasets (synthetic benchmark and real formats), crop, augmentation, the heatmap codec.
export { WFLW98, W300_68, COFW29, getScheme } from './data/schemes';
export type { LandmarkScheme } from './data/schemes';
export { ATTRIBUTES } from './data/sample';
export type { Sample, Point, FaceBox } from './data/sample';
export type { FaceDataset } from './data/dataset';
export { openDataset } from './data/real';
export { syntheticDataset } from './data/synthetic/dataset';
export { resolveSyntheticConfig } from './data/synthetic/config';
export type { SyntheticConfig, SyntheticConfigInput } from './data/synthetic/config';
export { cropMatrix, invertAffine, transformPoints } from './data/crop';
export { OFFICIAL_AUGMENT, CPU_AUGMENT, NO_AUGMENT } from './data/augment';
export type { AugmentConfig } from './data/augment';
export { createCodec } from './data/codec';
export type { HeatmapCodec, CodecOptions } from './data/codec';
export { createLoader } from './data/loader';
export type { Batch } from './data/loader';

// Geometry: coordinate frames, heatmap distributions, decoding.
export { gridToHeatmapPixel, heatmapPixelToGrid, cropPixelToGrid, gridToCropPixel } from './geometry/coords';
export { heatmapDistribution, heatmapDistributionEigen } from './geometry/distribution';
export type { DecodeMethod } from './geometry/decode';

// Model.
export { PRESETS, modelConfig } from './model/config';
export type { HourglassConfig, PresetName } from './model/config';
export { buildHourglass } from './model/hourglass';
export type { HourglassModel, HourglassOutput } from './model/hourglass';
export { loadTrainedModel } from './model/load';

// Losses.
export { starLoss, starLossPerLandmark, starDecomposition } from './loss/star';
export { STAR_LOSS_DEFAULTS } from './loss/star-options';
export type { StarLossOptions, StarDetach, StarVariant } from './loss/star-options';
export { heatmapMse, adaptiveWing, coordLoss, decodeMean } from './loss/baselines';
export { distance } from './loss/distances';
export type { DistanceName } from './loss/distances';

// Metrics and evaluation.
export { nme, nmePerImage, cedCurve, failureRate, areaUnderCurve } from './eval/metrics';
export { evaluate } from './eval/evaluate';
export type { EvalResult, EvalOptions } from './eval/evaluate';
export { landmarkAnisotropy } from './analysis/anisotropy';

// Run folders, seed statistics and inference.
export * as runs from './runs';
export { analyseFamily, pairedT, holmAdjust, tost, minimumDetectableEffect } from './runs/inference';

// Training.
export { train } from './train/trainer';
export type { TrainConfig } from './train/trainer';
export { makeObjective } from './train/objective';
export type { LossSpec } from './train/objective';
export { trainOnOwnData } from './train/own-data';
export { predictImage } from './predict';

// Experiments.
export { EXPERIMENTS } from './experiments/ablations';
export { runExperiment } from './experiments/runner';
export { ensureExperiment } from './experiments/ensure';
export { readSpecFile, validateSpec, scaleSpec } from './experiments/spec';
export type { ExperimentSpec, ArmSpec } from './experiments/spec';

// Report: tables, figures, notebook display.
export { summariseExperiment } from './report/experiment-tables';
export { experimentFigures } from './report/figures/experiment';
export { showTable, writeTable } from './report/table';
export { showMarkdown, showPng } from './report/display';
export { lineFigure, scatterFigure, barFigure, heatmapFigure, showFigure, exportFigure } from './report/plot';
export type { FigureSpec, Trace } from './report/plot';
