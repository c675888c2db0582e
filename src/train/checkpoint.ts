/**
 * Checkpoints in the TensorFlow.js weights format (`model.json` with a `weightsManifest` + `weights.bin`), written with
 * plain fs (no tfjs-node needed) and loadable in a browser with `tf.io.loadWeights(manifest, baseUrl)`.
 * Optimizer moments and trainer state live beside it, so `resume` continues exactly.
 */
import * as fs from 'fs';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs-core';
import { readJson, replaceDirAtomic } from '../util/files';

export interface WeightsFile {
  format: string;
  generatedBy: string;
  /** Free-form metadata (model config, scheme, training state). */
  userDefinedMetadata: Record<string, unknown>;
  weightsManifest: { paths: string[]; weights: tf.io.WeightsManifestEntry[] }[];
}

async function writeWeights(dir: string, stem: string, tensors: Map<string, tf.Tensor>, meta: Record<string, unknown>): Promise<void> {
  const named: tf.NamedTensorMap = {};
  for (const [k, t] of tensors) named[k] = t;
  const { data, specs } = await tf.io.encodeWeights(named);
  const bin = `${stem}.bin`;
  fs.writeFileSync(path.join(dir, bin), Buffer.from(data));
  const manifest: WeightsFile = {
    format: 'star-ts-weights',
    generatedBy: `@tensorflow/tfjs-core ${tf.version_core}`,
    userDefinedMetadata: meta,
    weightsManifest: [{ paths: [bin], weights: specs }],
  };
  fs.writeFileSync(path.join(dir, `${stem}.json`), JSON.stringify(manifest, null, 1));
}

function readWeights(dir: string, stem: string): { tensors: Map<string, tf.Tensor>; meta: Record<string, unknown> } {
  const jsonPath = path.join(dir, `${stem}.json`);
  if (!fs.existsSync(jsonPath)) throw new Error(`checkpoint file missing: ${jsonPath}`);
  const manifest = readJson<WeightsFile>(jsonPath);
  if (!Array.isArray(manifest.weightsManifest)) throw new Error(`${jsonPath}: field "weightsManifest" missing`);
  const tensors = new Map<string, tf.Tensor>();
  for (const group of manifest.weightsManifest) {
    const buffers = group.paths.map((p) => fs.readFileSync(path.join(dir, p)));
    const all = Buffer.concat(buffers);
    const ab = all.buffer.slice(all.byteOffset, all.byteOffset + all.byteLength);
    const decoded = tf.io.decodeWeights(ab, group.weights);
    for (const [k, t] of Object.entries(decoded)) tensors.set(k, t);
  }
  return { tensors, meta: manifest.userDefinedMetadata ?? {} };
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

export async function saveCheckpoint(dir: string, c: CheckpointContent): Promise<void> {
  await replaceDirAtomic(dir, async (tmp) => {
    await writeWeights(tmp, 'model', c.model, { modelConfig: c.state.modelConfig, scheme: c.state.scheme });
    if (c.optimizer) await writeWeights(tmp, 'optimizer', c.optimizer, {});
    if (c.ema) await writeWeights(tmp, 'ema', c.ema, {});
    fs.writeFileSync(path.join(tmp, 'state.json'), JSON.stringify(c.state, null, 1));
  });
}

export function checkpointExists(dir: string): boolean {
  return fs.existsSync(path.join(dir, 'state.json')) && fs.existsSync(path.join(dir, 'model.json'));
}

export function loadCheckpoint(dir: string): CheckpointContent {
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
