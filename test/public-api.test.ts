/**
 * The public surface (src/index.ts) is a reviewed list: adding or removing an export means editing this list in the
 * same change, so the surface only moves by decision.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';

const REVIEWED = [
  'ATTRIBUTES', 'COFW29', 'CPU_AUGMENT', 'EXPERIMENTS', 'NO_AUGMENT', 'OFFICIAL_AUGMENT', 'PRESETS', 'PROJECT_ROOT',
  'STAR_LOSS_DEFAULTS', 'W300_68', 'WFLW98', 'adaptiveWing', 'analyseFamily', 'areaUnderCurve', 'backendInfo',
  'barFigure', 'buildHourglass', 'cedCurve', 'coordLoss', 'createCodec', 'createLoader', 'cropMatrix', 'cropPixelToGrid',
  'currentProfile', 'decodeMean', 'distance', 'ensureExperiment', 'evaluate', 'experimentFigures', 'exportFigure',
  'failureRate', 'formatBackendInfo', 'getScheme', 'gridToCropPixel', 'gridToHeatmapPixel', 'heatmapDistribution',
  'heatmapDistributionEigen', 'heatmapFigure', 'heatmapMse', 'heatmapPixelToGrid', 'holmAdjust', 'initBackend',
  'invertAffine', 'landmarkAnisotropy', 'lineFigure', 'loadTrainedModel', 'makeObjective', 'minimumDetectableEffect',
  'modelConfig', 'nme', 'nmePerImage', 'openDataset', 'optionalShared', 'pairedT', 'predictImage', 'profileLabel',
  'readSpecFile', 'requireShared', 'resolveSyntheticConfig', 'resultsDir', 'runExperiment', 'runs', 'scaleSpec',
  'scatterFigure', 'sharedDir', 'showFigure', 'showMarkdown', 'showPng', 'showTable', 'starDecomposition', 'starLoss',
  'starLossPerLandmark', 'summariseExperiment', 'syntheticDataset', 'tost', 'train', 'trainOnOwnData',
  'transformPoints', 'validateSpec', 'writeTable',
];

test('src/index.ts exports exactly the reviewed names', async () => {
  const api = await import('../src/index');
  const names = Object.keys(api).sort();
  const added = names.filter((n) => !REVIEWED.includes(n));
  const removed = REVIEWED.filter((n) => !names.includes(n));
  assert.deepEqual({ added, removed }, { added: [], removed: [] }, 'the public surface changed: review it and update REVIEWED');
});

test('every public function is callable (no re-export of a missing binding)', async () => {
  const api = (await import('../src/index')) as Record<string, unknown>;
  for (const n of REVIEWED) assert.notEqual(api[n], undefined, `${n} is exported but undefined`);
});
