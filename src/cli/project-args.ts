/**
 * Arguments that mean something in this project, shared by several commands: the profile, experiment names or spec
 * files, and trained checkpoints with the folder their outputs go to by default.
 */
import * as path from 'path';
import { readRunConfig } from '../runs/folder';
import { currentProfile, PROFILES, type Profile } from '../config/profile';
import type { RealFormat } from '../data/real';
import { BUILTIN_SCHEMES, getScheme } from '../data/schemes';
import type { SyntheticConfigInput } from '../data/synthetic/config';
import type { ExperimentSpec } from '../experiments/spec';
import { oneOf, UsageError } from './args';
import { existingPath, outputFile } from './paths';

// A record, so that a format added to RealFormat without a line here fails to compile.
const FORMATS: Record<RealFormat, true> = { wflw: true, 'wflw-attributes': true, tsv: true, coco: true, pts: true, cofw: true };

/** `--format`: a dataset format name (detected from the path when absent). */
export function formatOption(raw: string | undefined): RealFormat | undefined {
  return oneOf(raw, 'format', Object.keys(FORMATS) as RealFormat[], 'format');
}

/** `--scheme`: a built-in landmark scheme (or its short alias wflw, 300w, cofw); returns the name as given. */
export function schemeOption(raw: string | undefined): string | undefined {
  if (raw === undefined) return undefined;
  try {
    getScheme(raw);
  } catch {
    throw new UsageError(`--scheme: unknown scheme "${raw}", expected one of ${Object.keys(BUILTIN_SCHEMES).join(', ')} (or wflw, 300w, cofw)`);
  }
  return raw;
}

/** `--profile`, else $STAR_PROFILE, else quick. */
export function profileOption(raw: string | undefined): Profile {
  return oneOf(raw, 'profile', PROFILES, 'profile') ?? currentProfile();
}

/**
 * The experiment argument: a built-in name, `all` (every built-in but `main`), a comma-separated list, or a JSON spec
 * file (your own experiment; validated, errors name the file and field). A spec file that trains may not take a
 * built-in name: its runs would land in the built-in experiment's folders.
 */
export async function experimentsArgument(arg: string | undefined, opts: { refuseBuiltInNames: boolean }): Promise<ExperimentSpec[]> {
  const { EXPERIMENTS } = await import('../experiments/ablations');
  const known = `known: ${Object.keys(EXPERIMENTS).join(', ')}, all, or a spec file ending in .json`;
  if (!arg) throw new UsageError(`experiment name missing (${known})`);
  const names = arg === 'all' ? Object.keys(EXPERIMENTS).filter((n) => n !== 'main') : arg.split(',');
  const { readSpecFile } = await import('../experiments/spec');
  return names.map((n) => {
    if (n.endsWith('.json')) {
      const spec = readSpecFile(n);
      if (opts.refuseBuiltInNames && EXPERIMENTS[spec.name]) throw new UsageError(`${n}: name "${spec.name}" is a built-in experiment; choose another name`);
      return spec;
    }
    const spec = EXPERIMENTS[n];
    if (!spec) throw new UsageError(`unknown experiment "${n}" (${known})`);
    return spec;
  });
}

/**
 * `--checkpoint`: a run folder (with best/ or checkpoint/) or a checkpoint folder. Returns the folder given and the
 * run folder that outputs go beside by default: the folder itself, or its parent for a run's best/ or checkpoint/
 * (which training replaces as a whole, so nothing else may live in them).
 */
export async function checkpointOption(raw: string): Promise<{ checkpoint: string; runDir: string }> {
  existingPath(raw, 'checkpoint', 'folder');
  const { resolveCheckpointDir } = await import('../model/load');
  let dir: string;
  try {
    dir = resolveCheckpointDir(raw);
  } catch (e) {
    throw new UsageError(`--checkpoint: ${(e as Error).message}`);
  }
  const given = path.resolve(raw);
  const isRunsOwnCheckpoint = path.resolve(dir) === given && ['best', 'checkpoint'].includes(path.basename(given));
  return { checkpoint: raw, runDir: isRunsOwnCheckpoint ? path.dirname(given) : given };
}

/** A run folder's training config (config.json), needed to regenerate its synthetic data. */
export function runConfigData(runDir: string): SyntheticConfigInput {
  const cfg = readRunConfig(runDir);
  if (!cfg) throw new UsageError(`--data synthetic needs --checkpoint to be a run folder with config.json (none in ${runDir})`);
  const data: unknown = cfg.data;
  if (!data || typeof data !== 'object') throw new UsageError(`--data synthetic: ${path.join(runDir, 'config.json')} holds no synthetic benchmark config (field "data"); experiment runs record one`);
  return data as SyntheticConfigInput;
}

/** `--out` when given, else the default beside the checkpoint; either must be writable before any work starts. */
export function outputBesideCheckpoint(given: string | undefined, fallback: string): string {
  if (given !== undefined) return outputFile(given, 'out');
  try {
    return outputFile(fallback, 'out');
  } catch (e) {
    throw e instanceof UsageError ? new UsageError(`${e.message}; that is the default (beside the checkpoint): pass --out to write elsewhere`) : e;
  }
}
