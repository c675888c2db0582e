/** Load a trained model from a run folder (`<run>/best` or `<run>/checkpoint`) or a checkpoint folder directly. */
import * as fs from 'fs';
import * as path from 'path';
import { buildHourglass, type HourglassModel } from './hourglass';
import { validateModelConfig, type HourglassConfig } from './config';
import { assignVariables, loadCheckpoint, recoverCheckpoint } from './checkpoint';
import { COFW29, W300_68, WFLW98 } from '../data/schemes';
import { readJson } from '../util/files';

export function resolveCheckpointDir(p: string): string {
  for (const c of [p, path.join(p, 'best'), path.join(p, 'checkpoint')]) {
    recoverCheckpoint(c);
    if (fs.existsSync(path.join(c, 'model.json'))) return c;
  }
  throw new Error(`no checkpoint at ${p} (looked for model.json in it, in best/ and in checkpoint/)`);
}

function configOf(dir: string, state: Record<string, unknown>): HourglassConfig {
  const cfg = state.modelConfig as HourglassConfig | undefined;
  if (!cfg) throw new Error(`${dir}/state.json: field "modelConfig" missing`);
  validateModelConfig(cfg);
  return cfg;
}

/** The model config a checkpoint holds, without reading its weights (no backend needed: it sizes the backend's choice). */
export function checkpointModelConfig(p: string): HourglassConfig {
  const dir = resolveCheckpointDir(p);
  return configOf(dir, readJson<Record<string, unknown>>(path.join(dir, 'state.json')));
}

export function loadTrainedModel(p: string): HourglassModel {
  const dir = resolveCheckpointDir(p);
  const c = loadCheckpoint(dir);
  const cfg = configOf(dir, c.state);
  // The built-in scheme with this many points (AAM models need its edge groups).
  const scheme = [WFLW98, W300_68, COFW29].find((s) => s.numPoints === cfg.numPoints);
  const model = buildHourglass(cfg, { seed: 0, scheme });
  assignVariables(model.params.all(), c.model, dir);
  for (const m of [c.model, c.optimizer, c.ema]) m?.forEach((t) => t.dispose());
  return model;
}
