/**
 * The environment variables this package reads. Each has the package's own name and, second, the name it had inside
 * the STAR-loss project it came from (scripts and notebooks written there keep working); the first one set wins.
 * scripts/build-native.sh reads the `native` pair the same way.
 */
export const ENV_NAMES = {
  /** Which backend rung (BACKEND_CHOICES). */
  backend: ['TFJS_WASM_TRAIN_BACKEND', 'STAR_BACKEND'],
  /** Compute threads (the native pool's, else the XNNPACK pool's). */
  threads: ['TFJS_WASM_TRAIN_THREADS', 'STAR_THREADS'],
  /** '0' = do not load (or, at install time, build) the native addon. */
  native: ['TFJS_WASM_TRAIN_NATIVE', 'STAR_NATIVE'],
  /**
   * 'fastest' (default): each library picks the fastest kernels for this CPU (AVX-512 where there is one); 'pinned':
   * OpenBLAS and oneDNN run AVX2 kernels on every machine, so a seed trains to the same bits on Intel and AMD.
   */
  engines: ['TFJS_WASM_TRAIN_ENGINES', 'STAR_ENGINES'],
  /** '1' = initBackend reports the full ladder (formatBackendInfo) instead of the one-line summary. */
  verbose: ['TFJS_WASM_TRAIN_VERBOSE', 'STAR_VERBOSE'],
} as const;

export type EnvSetting = keyof typeof ENV_NAMES;

/** The first of the setting's names with a non-blank value, and that value; undefined when none is set. */
export function readEnv(setting: EnvSetting, env: NodeJS.ProcessEnv = process.env): { name: string; value: string } | undefined {
  for (const name of ENV_NAMES[setting]) {
    const value = env[name];
    if (value != null && value.trim() !== '') return { name, value };
  }
  return undefined;
}
