/**
 * Rewrite run-key.txt of every finished run of the built-in experiments with the current run-key function, so that
 * runs made before a key change are still found and reused (`node --import tsx scripts/rekey-runs.ts [--profile P]`).
 */
import { EXPERIMENTS } from '../src/experiments/ablations';
import { scaleSpec } from '../src/experiments/spec';
import { runKey } from '../src/experiments/run';
import { isRunComplete, runDirFor, writeRunKey } from '../src/runs/folder';
import { currentProfile, resultsDir, type Profile } from '../src/config/profile';

const i = process.argv.indexOf('--profile');
const profile = (i > 0 ? process.argv[i + 1] : currentProfile()) as Profile;
const root = resultsDir(profile);
let n = 0;
for (const spec of Object.values(EXPERIMENTS)) {
  const s = scaleSpec(spec, profile);
  for (const seed of s.seeds) for (const arm of s.arms) {
    const dir = runDirFor(root, s, arm, seed);
    if (!isRunComplete(dir)) continue;
    writeRunKey(dir, runKey(s, arm, seed));
    n += 1;
  }
}
console.log(`re-keyed ${n} finished runs under ${root}`);
