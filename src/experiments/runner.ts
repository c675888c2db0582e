/**
 * Runs an experiment grid: every (arm, seed) in a fixed order, skipping finished runs and resuming interrupted ones.
 * It only trains: the tables and figures are built from the run folders afterwards (src/report/), so they can be
 * rebuilt without retraining.
 */
import { reuseEquivalentRun, runBackend, runOne, type RunOptions } from './run';
import { kernelSet } from '../runs/environment';
import { scaleSpec, validateSpec, type ExperimentSpec, type ScaledSpec } from './spec';
import { isRunComplete, runDirFor } from '../runs/folder';
import { acquireRunLock, describeHolder } from '../runs/lock';
import { codeVersion } from '../runs/provenance';
import { PROJECT_ROOT, type Profile } from '../config/profile';

export interface ExperimentRun {
  /** The spec as it ran: scaled to the profile and validated. */
  spec: ScaledSpec;
  /** True when a run was stopped by SIGINT/SIGTERM: callers running several experiments must stop too. */
  interrupted: boolean;
}

const pct = (v: number) => (100 * v).toFixed(2);

export async function runExperiment(
  specIn: ExperimentSpec, profile: Profile, opts: Omit<RunOptions, 'profile'> & { only?: string[]; seeds?: number[] },
): Promise<ExperimentRun> {
  // The code version is taken now, while the code on disk is the code this process loaded: a grid process runs for
  // hours, and commits landing meanwhile do not change what it runs (the cause of an old resume divergence).
  codeVersion(PROJECT_ROOT);
  const spec = validateSpec(scaleSpec(specIn, profile), specIn.name);
  const arms = opts.only ? spec.arms.filter((a) => opts.only!.includes(a.id)) : spec.arms;
  if (opts.only && arms.length === 0) throw new Error(`--only ${opts.only.join(',')}: no such arm in ${spec.name} (arms: ${spec.arms.map((a) => a.id).join(', ')})`);
  // Seed-major order: an interrupted grid has every arm at the first seeds rather than some arms at every seed.
  const seeds = opts.seeds ? spec.seeds.filter((s) => opts.seeds!.includes(s)) : spec.seeds;
  if (opts.seeds && seeds.length === 0) throw new Error(`--seeds ${opts.seeds.join(',')}: none of them is in ${spec.name}'s seeds (${spec.seeds.join(', ')})`);
  const todo = seeds.flatMap((seed) => arms.map((arm) => ({ arm, seed })));
  let k = 0;
  let interrupted = false;
  for (const { arm, seed } of todo) {
    k += 1;
    const dir = runDirFor(opts.resultsRoot, spec, arm, seed);
    if (isRunComplete(dir)) {
      console.error(`[${k}/${todo.length}] ${spec.name}/${arm.id} s${seed}: done already (${dir})`);
      continue;
    }
    const reused = reuseEquivalentRun(opts.resultsRoot, spec, arm, seed, kernelSet(await runBackend(spec, arm, seed)));
    if (reused) {
      console.error(`[${k}/${todo.length}] ${spec.name}/${arm.id} s${seed}: identical run found in ${reused}; reused`);
      continue;
    }
    const lock = acquireRunLock(dir);
    if (!lock.ok) {
      console.error(`[${k}/${todo.length}] ${spec.name}/${arm.id} s${seed}: being trained by ${describeHolder(lock.holder!)}; skipped`);
      continue;
    }
    console.error(`[${k}/${todo.length}] ${spec.name}/${arm.id} s${seed}: training (${arm.label})`);
    let r: Awaited<ReturnType<typeof runOne>>;
    try {
      r = await runOne(spec, arm, seed, { ...opts, profile });
    } finally {
      lock.release();
    }
    if (!r) {
      console.error(`${spec.name}: interrupted; run the same command again to resume`);
      interrupted = true;
      break;
    }
    console.error(`[${k}/${todo.length}] ${spec.name}/${arm.id} s${seed}: test NME ${pct(r.test.labels.nme)}% (labels)` +
      (r.test.clean ? `, ${pct(r.test.clean.nme)}% (clean truth)` : '') + `, ${r.msPerStep.toFixed(0)} ms/step, ${r.wallSeconds.toFixed(0)} s`);
  }
  return { spec, interrupted };
}
