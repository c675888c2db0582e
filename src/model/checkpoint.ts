/**
 * Checkpoints in the TensorFlow.js weights format (`model.json` with a `weightsManifest` + `weights.bin`), written with
 * plain fs (no tfjs-node needed) and loadable in a browser with `tf.io.loadWeights(manifest, baseUrl)`.
 * Optimizer moments and trainer state live beside it, so `resume` continues exactly.
 */
import * as fs from 'fs';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs-core';
import { readJson, recoverDir, replaceDirAtomic } from '../util/files';

export interface WeightsFile {
  format: string;
  generatedBy: string;
  /** Free-form metadata (model config, scheme, training state). */
  userDefinedMetadata: Record<string, unknown>;
  weightsManifest: { paths: string[]; weights: tf.io.WeightsManifestEntry[] }[];
}

/**
 * A tf.io IOHandler over plain files: `<stem>.json` (the TensorFlow.js model.json layout, weights only: `format`,
 * `generatedBy`, `userDefinedMetadata`, `weightsManifest`) beside `<stem>.bin`. Needs no tfjs-node; a browser loads the
 * same files with `tf.io.loadWeights(manifest.weightsManifest, baseUrl)`.
 */
export function fileWeightsHandler(dir: string, stem = 'model'): tf.io.IOHandler {
  const jsonPath = path.join(dir, `${stem}.json`);
  return {
    async save(artifacts: tf.io.ModelArtifacts): Promise<tf.io.SaveResult> {
      if (!artifacts.weightSpecs || !artifacts.weightData) throw new Error(`fileWeightsHandler(${jsonPath}): nothing to save (no weights)`);
      const data = artifacts.weightData instanceof ArrayBuffer ? artifacts.weightData : tf.io.concatenateArrayBuffers(artifacts.weightData);
      const bin = `${stem}.bin`;
      fs.mkdirSync(dir, { recursive: true });
      fs.writeFileSync(path.join(dir, bin), Buffer.from(data));
      const manifest: WeightsFile = {
        format: artifacts.format ?? 'star-ts-weights',
        generatedBy: artifacts.generatedBy ?? `@tensorflow/tfjs-core ${tf.version_core}`,
        userDefinedMetadata: (artifacts.userDefinedMetadata ?? {}) as Record<string, unknown>,
        weightsManifest: [{ paths: [bin], weights: artifacts.weightSpecs }],
      };
      fs.writeFileSync(jsonPath, JSON.stringify(manifest, null, 1));
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON', weightDataBytes: data.byteLength } };
    },
    async load(): Promise<tf.io.ModelArtifacts> {
      return loadArtifactsSync(dir, stem);
    },
  };
}

/** Synchronous read of `<stem>.json` + its weight files (checkpoint loading happens in synchronous code paths). */
export function loadArtifactsSync(dir: string, stem = 'model'): tf.io.ModelArtifacts {
  const jsonPath = path.join(dir, `${stem}.json`);
  if (!fs.existsSync(jsonPath)) throw new Error(`checkpoint file missing: ${jsonPath}`);
  const manifest = readJson<WeightsFile>(jsonPath);
  if (!Array.isArray(manifest.weightsManifest)) throw new Error(`${jsonPath}: field "weightsManifest" missing`);
  const weightSpecs: tf.io.WeightsManifestEntry[] = [];
  const buffers: Buffer[] = [];
  for (const group of manifest.weightsManifest) {
    for (const p of group.paths) {
      const f = path.join(dir, p);
      if (!fs.existsSync(f)) throw new Error(`${jsonPath}: weights file ${p} is missing`);
      buffers.push(fs.readFileSync(f));
    }
    weightSpecs.push(...group.weights);
  }
  const all = Buffer.concat(buffers);
  return {
    format: manifest.format, generatedBy: manifest.generatedBy, userDefinedMetadata: manifest.userDefinedMetadata as Record<string, {}>,
    weightSpecs, weightData: all.buffer.slice(all.byteOffset, all.byteOffset + all.byteLength),
  };
}

async function writeWeights(dir: string, stem: string, tensors: Map<string, tf.Tensor>, meta: Record<string, unknown>): Promise<void> {
  const named: tf.NamedTensorMap = {};
  for (const [k, t] of tensors) named[k] = t;
  const { data, specs } = await tf.io.encodeWeights(named);
  await fileWeightsHandler(dir, stem).save!({ weightSpecs: specs, weightData: data, userDefinedMetadata: meta as Record<string, {}> });
}

function readWeights(dir: string, stem: string): { tensors: Map<string, tf.Tensor>; meta: Record<string, unknown> } {
  const a = loadArtifactsSync(dir, stem);
  const decoded = tf.io.decodeWeights(a.weightData as ArrayBuffer, a.weightSpecs!);
  return { tensors: new Map(Object.entries(decoded)), meta: (a.userDefinedMetadata ?? {}) as Record<string, unknown> };
}

export interface CheckpointContent {
  /** Model variables (trainable + buffers) by logical name. */
  model: Map<string, tf.Tensor>;
  /** Optimizer state by name; optional (a released model needs none). */
  optimizer?: Map<string, tf.Tensor>;
  /** EMA shadow weights, when EMA is on. */
  ema?: Map<string, tf.Tensor>;
  /** JSON-able trainer state (step, rng state, best metric, model config...). */
  state: Record<string, unknown>;
}

/** Write a checkpoint folder so that a kill at any instruction leaves a loadable one (util/files.ts replaceDirAtomic). */
export async function saveCheckpoint(dir: string, c: CheckpointContent): Promise<void> {
  await replaceDirAtomic(dir, async (tmp) => {
    await writeWeights(tmp, 'model', c.model, { modelConfig: c.state.modelConfig, scheme: c.state.scheme });
    if (c.optimizer) await writeWeights(tmp, 'optimizer', c.optimizer, {});
    if (c.ema) await writeWeights(tmp, 'ema', c.ema, {});
    fs.writeFileSync(path.join(tmp, 'state.json'), JSON.stringify(c.state, null, 1));
  });
}

/**
 * Put back a checkpoint folder a kill left half-swapped (two intact copies, no `dir`) and remove stale temporaries;
 * every reader below runs it first.
 */
export function recoverCheckpoint(dir: string): void {
  recoverDir(dir);
}

export function checkpointExists(dir: string): boolean {
  recoverCheckpoint(dir);
  return fs.existsSync(path.join(dir, 'state.json')) && fs.existsSync(path.join(dir, 'model.json'));
}

/** The step a checkpoint resumes at (its state.json), without reading the weights; null when there is no checkpoint. */
export function checkpointStep(dir: string): number | null {
  return checkpointExists(dir) ? Number(readJson<{ step: unknown }>(path.join(dir, 'state.json')).step) : null;
}

export function loadCheckpoint(dir: string): CheckpointContent {
  recoverCheckpoint(dir);
  const model = readWeights(dir, 'model').tensors;
  const optimizer = fs.existsSync(path.join(dir, 'optimizer.json')) ? readWeights(dir, 'optimizer').tensors : undefined;
  const ema = fs.existsSync(path.join(dir, 'ema.json')) ? readWeights(dir, 'ema').tensors : undefined;
  const state = readJson<Record<string, unknown>>(path.join(dir, 'state.json'));
  return { model, optimizer, ema, state };
}

/** Copy named tensors into variables, checking names and shapes. */
export function assignVariables(vars: Map<string, tf.Variable>, values: Map<string, tf.Tensor>, source: string): void {
  for (const [name, v] of vars) {
    const t = values.get(name);
    if (!t) throw new Error(`${source}: no tensor for parameter "${name}"`);
    if (t.shape.join() !== v.shape.join()) throw new Error(`${source}: parameter "${name}" has shape [${t.shape}], model expects [${v.shape}]`);
    v.assign(t);
  }
}
