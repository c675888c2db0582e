/**
 * `star experiment`: run experiment grids (missing runs only; resumable) and write their tables and figures — here, or
 * as a Slurm job array (`--executor slurm`); `--status` shows where every run of a grid stands.
 */
import * as path from 'path';
import { PROJECT_ROOT, profileLabel, resultsDir, type Profile } from '../config/profile';
import { nameList, numberList, numberOption, oneOf, parseOptions, UsageError, type Command } from './args';
import { outputFolder } from './paths';
import { experimentsArgument, profileOption } from './project-args';
import type { ExperimentSpec } from '../experiments/spec';
import type { SlurmResources } from '../experiments/slurm';

const OPTIONS = {
  profile: { type: 'string' }, only: { type: 'string' }, seeds: { type: 'string' }, workers: { type: 'string' }, print: { type: 'boolean' },
  'record-faces': { type: 'string' },
  results: { type: 'string' }, 'allow-mixed': { type: 'boolean' }, restart: { type: 'boolean' }, 'train-only': { type: 'boolean' },
  status: { type: 'boolean' }, executor: { type: 'string' }, partition: { type: 'string' }, gres: { type: 'string' }, time: { type: 'string' },
  cpus: { type: 'string' }, mem: { type: 'string' }, 'dry-run': { type: 'boolean' },
} as const;

const SLURM_ONLY = ['partition', 'gres', 'time', 'cpus', 'mem', 'dry-run'] as const;

/** A path as messages show it: relative inside the project, absolute elsewhere. */
function shown(p: string): string {
  const rel = path.relative(PROJECT_ROOT, p);
  return rel === '' ? '.' : rel.startsWith('..') || path.isAbsolute(rel) ? p : rel;
}

export const experiment: Command = {
  summary: 'run an experiment grid (missing runs only; resumable; here or on Slurm) and write its tables and figures',
  usage: `usage: star experiment <name|all|name1,name2|my-spec.json> [--profile smoke|quick|full] [--only arm1,arm2] [--seeds 1,2] [--workers N]
                        [--results DIR] [--allow-mixed] [--restart] [--train-only] [--record-faces N]
       star experiment <name|spec.json> --executor slurm [--partition P] [--gres gpu:1] [--time HH:MM] [--cpus N] [--mem 8G] [--dry-run]
       star experiment <name|spec.json> --status
       star experiment <name|my-spec.json> --print [--profile P]   (the spec as it runs in profile P, as JSON: a
                                     starting point for your own; it runs as printed in any profile)
  names: main (the quick main job), ablation-distance, ablation-omega, ablation-restriction, ablation-losses, ambiguity-sweep,
  ablation-aam, regime-pilot, regime, all (every one but main)
  --profile      default $STAR_PROFILE or quick; smoke/quick write to results/local/<profile>/, full to results/;
                 the profile gives the sizes a spec leaves out (seeds, preset, steps, batch, face counts): a spec's own
                 declarations (and its "profiles" section) win
  --only         train only these arms (ids as in the spec)
  --seeds        train only these of the profile's seeds
  --workers      data-loader worker threads per run (default 1; 0 = load in the training thread)
  --results      the folder that gets runs/, tables/ and figures/ (default: the profile's, under $STAR_RESULTS_ROOT when set)
  --allow-mixed  build tables even when the runs come from different code versions or kernel sets (the tables say so)
  --restart      train from step 0 a run whose checkpoint was written by other code or kernels (default: refuse to resume it)
  --train-only   train, write no tables (the Slurm tasks; the dependent job builds them)
  --record-faces test faces in each run's committed per-prediction records, prediction-records.bin (default 250;
                 every face goes to the git-ignored prediction-records-full.bin); keep one value for a whole grid
  --executor     local (default) or slurm: submit the missing and failed runs as one job array (one task per run) and a
                 dependent job (afterany) that builds the tables; prints the job ids and returns. Resubmit the same way:
                 only what is still missing or failed goes; interrupted runs resume from their checkpoints.
  --partition, --gres, --time, --cpus, --mem   passed to sbatch, per task (--time HH:MM is hours:minutes, also
                 HH:MM:SS, D-HH:MM or minutes; --cpus also sets the task's STAR_THREADS; default 1)
  --dry-run      print the batch scripts instead of submitting
  --status       every run of the grid: done (test NME, training time) / running (job, step, ETA) / queued / failed (exit
                 code, last log lines) / missing; then the pace: the wall time left if the running workers keep it`,
  async run(argv) {
    const a = parseOptions(argv, OPTIONS, 1);
    const v = a.values;
    const profile = profileOption(v.profile);
    const only = nameList(v.only, 'only');
    const seeds = numberList(v.seeds, 'seeds', { integer: true, min: 0 });
    const workers = numberOption(v.workers, 'workers', { integer: true, min: 0 });
    const recordFaces = numberOption(v['record-faces'], 'record-faces', { integer: true, min: 1 });
    const executor = oneOf(v.executor, 'executor', ['local', 'slurm'] as const, 'executor') ?? 'local';
    const resources = slurmResources(v);
    if (executor !== 'slurm') {
      const given = SLURM_ONLY.filter((k) => v[k] !== undefined);
      if (given.length) throw new UsageError(`--${given[0]} is an option of --executor slurm`);
    }
    if (v.status && (executor === 'slurm' || v.print)) throw new UsageError(`--status only reports: use it without --executor and --print`);
    const root = v.results !== undefined ? outputFolder(v.results, 'results') : resultsDir(profile);
    const specs = await experimentsArgument(a.positionals[0], { refuseBuiltInNames: true });
    const { printableSpec, scaleSpec } = await import('../experiments/spec');
    if (v.print) {
      const printed = specs.map((spec) => printableSpec(spec, profile));
      console.log(JSON.stringify(printed.length === 1 ? printed[0] : printed, null, 2));
      return;
    }
    // The runner needs --only and --seeds to select something in every experiment: checked before the first one trains.
    for (const spec of specs) {
      if (only && !spec.arms.some((arm) => only.includes(arm.id))) {
        throw new UsageError(`--only ${only.join(',')}: no such arm in ${spec.name} (arms: ${spec.arms.map((arm) => arm.id).join(', ')})`);
      }
      const profileSeeds = scaleSpec(spec, profile).seeds;
      if (seeds && !profileSeeds.some((s) => seeds.includes(s))) {
        throw new UsageError(`--seeds ${seeds.join(',')}: none of them is among ${spec.name}'s seeds in the ${profile} profile (${profileSeeds.join(', ')})`);
      }
    }
    const where = `${profile} profile, results under ${shown(root)}`;
    if (v.status) {
      const { gridStatus, formatGridStatus } = await import('../experiments/grid-status');
      for (const spec of specs) console.log(formatGridStatus(gridStatus(root, scaleSpec(spec, profile), { only, seeds }), where));
      return;
    }
    if (executor === 'slurm') {
      const sameFolder = [v.profile !== undefined ? ` --profile ${profile}` : '', v.results !== undefined ? ` --results ${v.results}` : ''].join('');
      await submit(specs, a.positionals[0]!, { profile, root, only, seeds, resources, allowMixed: !!v['allow-mixed'], restart: !!v.restart, dryRun: !!v['dry-run'], sameFolder });
      return;
    }
    await runHere(specs, { profile, root, only, seeds, workers, recordFaces, allowMixed: !!v['allow-mixed'], restart: !!v.restart, trainOnly: !!v['train-only'] });
  },
};

function slurmResources(v: { partition?: string; gres?: string; time?: string; cpus?: string; mem?: string }): SlurmResources {
  const text = (raw: string | undefined, option: string, pattern: RegExp, example: string) => {
    if (raw !== undefined && !pattern.test(raw)) throw new UsageError(`--${option}: expected ${example}, got "${raw}"`);
    return raw;
  };
  return {
    partition: text(v.partition, 'partition', /^[\w.-]+(,[\w.-]+)*$/, 'a partition name like gpu'),
    gres: text(v.gres, 'gres', /^[\w.:-]+(,[\w.:-]+)*$/, 'a generic resource like gpu:1'),
    time: slurmTime(text(v.time, 'time', /^(\d+-)?\d+(:\d\d){0,2}$/, 'a time limit like 02:00 (HH:MM), 90 (minutes) or 1-12:00:00')),
    cpus: numberOption(v.cpus, 'cpus', { integer: true, min: 1 }),
    mem: text(v.mem, 'mem', /^\d+[KMGT]?$/, 'an amount like 8G or 4000M'),
  };
}

/** --time HH:MM means hours and minutes, as the usage says; sbatch would read A:B as minutes:seconds, so it gets A:B:00. */
function slurmTime(t: string | undefined): string | undefined {
  return t !== undefined && /^\d+:\d\d$/.test(t) ? `${t}:00` : t;
}

async function runHere(specs: ExperimentSpec[], o: {
  profile: Profile; root: string; only?: string[]; seeds?: number[]; workers?: number; recordFaces?: number; allowMixed: boolean; restart: boolean; trainOnly: boolean;
}): Promise<void> {
  const { runExperiment } = await import('../experiments/runner');
  const { summariseExperiment, armTableRows, comparisonTableRows, tableLegend, mixedProvenanceWarning } = await import('../report/experiment-tables');
  const { experimentFigures } = await import('../report/figures/experiment');
  const { toMarkdown } = await import('../report/table');
  const t0 = Date.now();
  console.error(`profile: ${profileLabel(o.profile)}; results under ${shown(o.root)}`);
  for (const [i, spec] of specs.entries()) {
    const run = await runExperiment(spec, o.profile, { resultsRoot: o.root, only: o.only, seeds: o.seeds, workers: o.workers, recordFaces: o.recordFaces, restart: o.restart });
    if (!o.trainOnly) {
      const { tables, results } = summariseExperiment(run.spec, o.profile, o.root, { allowMixed: o.allowMixed });
      const figs = await experimentFigures(results, tables.label, o.root);
      console.log(`\n## ${tables.title} — ${tables.label}\n\nQuestion: ${tables.question}\n`);
      const mixed = mixedProvenanceWarning(tables);
      if (mixed) console.log(`${mixed}\n`);
      console.log(toMarkdown(armTableRows(tables), { note: tableLegend(tables) }));
      if (tables.comparisons.length) console.log('\n' + toMarkdown(comparisonTableRows(tables), { note: tables.units.differences, digits: 3 }));
      if (tables.missing.length) console.log(`\nmissing runs: ${tables.missing.join(', ')}`);
      console.log(`\ntables: ${shown(path.join(o.root, 'tables', spec.name))}.{json,csv,md}; figures: ${figs.map(shown).join(', ') || 'none'}`);
    }
    if (run.interrupted) {
      // A stop request ends the whole command, not just the experiment it arrived in.
      const rest = specs.slice(i + 1).map((s) => s.name);
      console.error(`stopped${rest.length ? ` before ${rest.join(', ')}` : ''}; run the same command again to resume`);
      process.exitCode = 130;
      break;
    }
  }
  console.error(`wall time ${((Date.now() - t0) / 1000).toFixed(0)} s`);
}

async function submit(specs: ExperimentSpec[], arg: string, o: {
  profile: Profile; root: string; only?: string[]; seeds?: number[]; resources: SlurmResources; allowMixed: boolean; restart: boolean; dryRun: boolean;
  /** The options that name the same results folder, for the --status hint. */
  sameFolder: string;
}): Promise<void> {
  const { scaleSpec } = await import('../experiments/spec');
  const { gridStatus } = await import('../experiments/grid-status');
  const { dryRunText, submitGrid } = await import('../experiments/slurm');
  const { reuseEquivalentRun } = await import('../experiments/run');
  const files = arg.split(',');
  for (const [i, spec] of specs.entries()) {
    const scaled = scaleSpec(spec, o.profile);
    const status = gridStatus(o.root, scaled, { only: o.only, seeds: o.seeds });
    const todo = status.runs.filter((r) => {
      if (r.state !== 'missing' && r.state !== 'failed') return false;
      // A finished identical run of another experiment is copied here, as the local runner does, instead of trained.
      if (r.state === 'missing' && !o.dryRun && reuseEquivalentRun(o.root, scaled, scaled.arms.find((a) => a.id === r.arm)!, r.seed)) {
        console.error(`${spec.name}/${r.run}: identical run found; reused`);
        return false;
      }
      return true;
    });
    const counts = ['done', 'running', 'queued'].map((k) => `${status.runs.filter((r) => r.state === k).length} ${k}`).join(', ');
    if (todo.length === 0) {
      console.log(`${spec.name}: nothing to submit (${counts}); star experiment ${spec.name} --status shows them`);
      continue;
    }
    const fromFile = files[i]?.endsWith('.json');
    const plan = {
      experiment: spec.name, experimentArg: fromFile ? files[i] : spec.name, ...(fromFile ? { specSnapshot: spec } : {}),
      profile: o.profile, resultsRoot: o.root, runs: todo.map((r) => ({ arm: r.arm, seed: r.seed })), resources: o.resources,
      allowMixed: o.allowMixed, restart: o.restart,
    };
    if (o.dryRun) {
      console.log(dryRunText(plan));
      continue;
    }
    const { record, submitSeconds } = submitGrid(plan);
    console.log(`${spec.name}: submitted ${todo.length} run${todo.length === 1 ? '' : 's'} as job array ${record.arrayJobId} (tasks 0-${todo.length - 1}: ${record.runs.join(', ')}); `
      + `tables job ${record.tablesJobId} after it (afterany); ${counts} already; sbatch took ${submitSeconds.toFixed(2)} s`);
    console.log(`  logs: ${shown(path.join(o.root, record.folder, 'logs'))}/; progress: star experiment ${files[i] ?? spec.name} --status${o.sameFolder}`);
  }
}
