/** `star experiment`: run experiment grids (missing runs only; resumable) and write their tables and figures. */
import * as path from 'path';
import { PROJECT_ROOT, profileLabel, resultsDir } from '../config/profile';
import { nameList, numberList, numberOption, parseOptions, UsageError, type Command } from './args';
import { experimentsArgument, profileOption } from './project-args';

const OPTIONS = {
  profile: { type: 'string' }, only: { type: 'string' }, seeds: { type: 'string' }, workers: { type: 'string' }, print: { type: 'boolean' },
} as const;

export const experiment: Command = {
  summary: 'run an experiment grid (missing runs only; resumable) and write its tables and figures',
  usage: `usage: star experiment <name|all|name1,name2|my-spec.json> [--profile smoke|quick|full] [--only arm1,arm2] [--seeds 1,2] [--workers N]
       star experiment <name|my-spec.json> --print [--profile P]   (the spec as it runs in profile P, as JSON: a
                                     starting point for your own; it runs as printed in any profile)
  names: main (the quick main job), ablation-distance, ablation-omega, ablation-restriction, ablation-losses, ambiguity-sweep,
  ablation-aam, all (every one but main)
  --profile  default $STAR_PROFILE or quick; smoke/quick write to results/local/<profile>/, full to results/;
             the profile gives the sizes a spec leaves out (seeds, preset, steps, batch, face counts): a spec's own
             declarations (and its "profiles" section) win
  --only     train only these arms (ids as in the spec)
  --seeds    train only these of the profile's seeds
  --workers  data-loader worker threads per run (default 1; 0 = load in the training thread)`,
  async run(argv) {
    const a = parseOptions(argv, OPTIONS, 1);
    const profile = profileOption(a.values.profile);
    const only = nameList(a.values.only, 'only');
    const seeds = numberList(a.values.seeds, 'seeds', { integer: true, min: 0 });
    const workers = numberOption(a.values.workers, 'workers', { integer: true, min: 0 });
    const specs = await experimentsArgument(a.positionals[0], { refuseBuiltInNames: true });
    const { printableSpec, scaleSpec } = await import('../experiments/spec');
    if (a.values.print) {
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
    const root = resultsDir(profile);
    const { runExperiment } = await import('../experiments/runner');
    const { summariseExperiment, armTableRows, comparisonTableRows, tableLegend } = await import('../report/experiment-tables');
    const { experimentFigures } = await import('../report/figures/experiment');
    const { toMarkdown } = await import('../report/table');
    const t0 = Date.now();
    console.error(`profile: ${profileLabel(profile)}; results under ${path.relative(PROJECT_ROOT, root) || '.'}`);
    for (const [i, spec] of specs.entries()) {
      const run = await runExperiment(spec, profile, { resultsRoot: root, only, seeds, workers });
      const { tables, results } = summariseExperiment(run.spec, profile, root);
      const figs = await experimentFigures(results, tables.label, root);
      console.log(`\n## ${tables.title} — ${tables.label}\n\nQuestion: ${tables.question}\n`);
      console.log(toMarkdown(armTableRows(tables), { note: tableLegend(tables) }));
      if (tables.comparisons.length) console.log('\n' + toMarkdown(comparisonTableRows(tables), { note: tables.units.differences, digits: 3 }));
      if (tables.missing.length) console.log(`\nmissing runs: ${tables.missing.join(', ')}`);
      console.log(`\ntables: ${path.relative(PROJECT_ROOT, path.join(root, 'tables', spec.name))}.{json,csv,md}; figures: ${figs.map((f) => path.relative(PROJECT_ROOT, f)).join(', ') || 'none'}`);
      if (run.interrupted) {
        // A stop request ends the whole command, not just the experiment it arrived in.
        const rest = specs.slice(i + 1).map((s) => s.name);
        console.error(`stopped${rest.length ? ` before ${rest.join(', ')}` : ''}; run the same command again to resume`);
        process.exitCode = 130;
        break;
      }
    }
    console.error(`wall time ${((Date.now() - t0) / 1000).toFixed(0)} s`);
  },
};
