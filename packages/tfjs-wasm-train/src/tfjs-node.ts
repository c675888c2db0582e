/**
 * Detect a working native TensorFlow backend (@tensorflow/tfjs-node-gpu / @tensorflow/tfjs-node) without depending on
 * it: those packages cannot install here (their libtensorflow download is blocked) but do on users' machines.
 * A package counts as native only if (1) it loads, (2) it is not our danfojs stand-in (isStandIn), (3) loading it
 * registered a 'tensorflow' backend with *this* tfjs-core, (4) that backend initialises, and (5) a tiny op gives the
 * right answer. Everything is injectable so tests can walk the ladder with fake modules.
 */
import * as fs from 'fs';
import * as tf from '@tensorflow/tfjs-core';

/** Loads a package by name (default: Node's require). Throws when the package or its binding is missing. */
export type ModuleLoader = (name: string) => unknown;

// A plain `require(name)` with a variable name: TypeScript and tsx never need the optional packages' types.
export const defaultLoader: ModuleLoader = (name) => require(name);

/** True when a CUDA device is visible to this process (the -gpu package is pointless otherwise). */
export function defaultCudaVisible(env: NodeJS.ProcessEnv = process.env): boolean {
  const v = env.CUDA_VISIBLE_DEVICES;
  if (v != null && ['', '-1', 'none', 'NoDevFiles'].includes(v.trim())) return false;
  try {
    if (fs.existsSync('/dev/nvidia0')) return true;
    return fs.readdirSync('/proc/driver/nvidia/gpus').length > 0;
  } catch {
    return false;
  }
}

export interface NativeProbe { ok: boolean; reason: string }

function firstLine(e: unknown): string {
  const msg = e instanceof Error ? e.message : String(e);
  return msg.split('\n')[0].slice(0, 200);
}

/**
 * Try to load `pkg` and make tf use its 'tensorflow' backend. On success tf.getBackend() === 'tensorflow'.
 * On failure the current backend is left as it was.
 */
export async function tryNative(pkg: string, loader: ModuleLoader): Promise<NativeProbe> {
  let mod: unknown;
  try {
    mod = loader(pkg);
  } catch (e) {
    const code = (e as { code?: string }).code;
    const msg = firstLine(e);
    const missing = code === 'MODULE_NOT_FOUND' && msg.includes(`'${pkg}'`);
    return { ok: false, reason: missing ? `${pkg} not installed` : `${pkg} failed to load (${msg})` };
  }
  if (mod == null || typeof mod !== 'object' && typeof mod !== 'function') {
    return { ok: false, reason: `${pkg} loaded but exported nothing usable` };
  }
  if ((mod as { isStandIn?: unknown }).isStandIn) {
    return { ok: false, reason: `${pkg} is the danfojs stand-in (no native binding)` };
  }
  if (tf.findBackendFactory('tensorflow') == null) {
    return {
      ok: false,
      reason: `${pkg} loaded but registered no 'tensorflow' backend with this tfjs-core (no native binding, or a second tfjs-core copy)`,
    };
  }
  const previous = tf.getBackend();
  let ok = false;
  try {
    ok = await tf.setBackend('tensorflow');
  } catch (e) {
    return { ok: false, reason: `${pkg}: backend 'tensorflow' threw on init (${firstLine(e)})` };
  }
  if (!ok) {
    if (previous) await tf.setBackend(previous);
    return { ok: false, reason: `${pkg}: backend 'tensorflow' failed to initialise` };
  }
  try {
    const v = tf.tidy(() => tf.add(tf.tensor1d([1, 2]), tf.tensor1d([3, 4])).dataSync());
    if (v.length !== 2 || v[0] !== 4 || v[1] !== 6) throw new Error(`1+3, 2+4 gave ${Array.from(v)}`);
  } catch (e) {
    if (previous) await tf.setBackend(previous);
    return { ok: false, reason: `${pkg}: backend 'tensorflow' computes wrong results (${firstLine(e)})` };
  }
  return { ok: true, reason: `${pkg} native binding works` };
}
