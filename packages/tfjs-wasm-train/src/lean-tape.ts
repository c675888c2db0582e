/**
 * tfjs keeps the tensors a gradient needs (inputs/outputs "saved for backward") by cloning each one through the
 * engine: a full Identity kernel launch plus a tape node per saved tensor — 883 of the 1,789 kernel launches of a
 * small stacked-hourglass training step (tf.profile). On backends whose Identity is a reference-counted alias
 * of the same buffer (cpu, and wasm with our Identity kernel), the clone is exactly "a new tensor on the same data,
 * reference count + 1"; this does that directly.
 *
 * What it gives up: the clone's tape node, which only matters for gradients *of* gradient code (higher-order
 * gradients through saved tensors); plain training never takes those. `uninstallLeanSavedTensors` restores tfjs.
 */
import * as tf from '@tensorflow/tfjs-core';

interface TensorInfoEntry { backend: { incRef?(dataId: object): void } }
interface EngineInternals {
  saveTensorsForBackwardMode(tensors: tf.Tensor[]): tf.Tensor[];
  state: { tensorInfo: { get(dataId: object): TensorInfoEntry | undefined } };
  makeTensorFromTensorInfo(info: { dataId: object; shape: number[]; dtype: tf.DataType }, backend?: unknown): tf.Tensor;
  keep<T extends tf.Tensor>(t: T): T;
}

let original: EngineInternals['saveTensorsForBackwardMode'] | undefined;

/** Install on the global engine (idempotent). Call after the backend is chosen; only for cpu/wasm (see above). */
export function installLeanSavedTensors(): void {
  const engine = tf.engine() as unknown as EngineInternals;
  if (original !== undefined) return;
  original = engine.saveTensorsForBackwardMode;
  const fallback = original;
  engine.saveTensorsForBackwardMode = function lean(this: EngineInternals, tensors: tf.Tensor[]): tf.Tensor[] {
    return tensors.map((t) => {
      const info = this.state.tensorInfo.get(t.dataId);
      if (info?.backend.incRef == null) return fallback.call(this, [t])[0];
      info.backend.incRef(t.dataId);
      return this.keep(this.makeTensorFromTensorInfo({ dataId: t.dataId, shape: t.shape, dtype: t.dtype }, info.backend));
    });
  };
}

export function uninstallLeanSavedTensors(): void {
  if (original === undefined) return;
  (tf.engine() as unknown as EngineInternals).saveTensorsForBackwardMode = original;
  original = undefined;
}

export function leanSavedTensorsInstalled(): boolean {
  return original !== undefined;
}
