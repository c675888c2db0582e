/**
 * Run profiles: one environment variable, STAR_PROFILE, sizes every experiment and notebook.
 * - smoke: every code path in seconds (CI). Its numbers mean nothing and are labelled so.
 * - quick: the main job, minutes on a 2-core CPU; numbers are indicative.
 * - full:  the reproduction, hours, resumable. Only `full` outputs are committed under results/.
 */
import * as path from 'path';

export type Profile = 'smoke' | 'quick' | 'full';
export const PROFILES: readonly Profile[] = ['smoke', 'quick', 'full'];

export function currentProfile(env: NodeJS.ProcessEnv = process.env): Profile {
  const raw = (env.STAR_PROFILE ?? 'quick').trim().toLowerCase();
  if (!(PROFILES as readonly string[]).includes(raw)) {
    throw new Error(`STAR_PROFILE="${env.STAR_PROFILE}" is not one of ${PROFILES.join(', ')}`);
  }
  return raw as Profile;
}

/** Project root (the folder holding package.json), independent of the caller's working folder. */
export const PROJECT_ROOT = path.resolve(__dirname, '..', '..');

/** The git-ignored folder of everything run locally: the smoke and quick profiles' results, benchmark reports. */
export const LOCAL_RESULTS = path.join(PROJECT_ROOT, 'results', 'local');

/**
 * The folder in place of the project's `results/`: $STAR_RESULTS_ROOT when set (a grid run from a worktree of a tagged
 * commit writes into the main checkout's results/ that way), else `<project>/results`.
 */
export function resultsRoot(env: NodeJS.ProcessEnv = process.env): string {
  const given = env.STAR_RESULTS_ROOT?.trim();
  return given ? path.resolve(given) : path.join(PROJECT_ROOT, 'results');
}

/**
 * Where a profile writes its results. Only `full` writes to the committed `results/`; `smoke` and `quick`
 * write to the git-ignored `results/local/<profile>/` so a local run never overwrites committed results.
 */
export function resultsDir(profile: Profile = currentProfile()): string {
  const root = resultsRoot();
  return profile === 'full' ? root : path.join(root, 'local', profile);
}

/** Label to print next to every number a profile produces. */
export function profileLabel(profile: Profile): string {
  switch (profile) {
    case 'smoke': return 'smoke run (code-path check only; numbers are meaningless)';
    case 'quick': return 'quick run on the synthetic benchmark (indicative numbers, 1 seed)';
    case 'full': return 'full run on the synthetic benchmark';
  }
}
