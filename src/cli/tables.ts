/** `star tables`: rebuild an experiment's tables and figures from its run folders, without training. */
import { resultsDir } from '../config/profile';
import { parseOptions, type Command } from './args';
import { experimentsArgument, profileOption } from './project-args';

export const tables: Command = {
  summary: 'rebuild the tables and figures of an experiment from its run folders (no training)',
  usage: `usage: star tables <name|all|name1,name2|my-spec.json> [--profile smoke|quick|full]
  Reads the profile's runs (results/local/<profile>/runs/, full: results/runs/) and rewrites its tables/ and figures/.`,
  async run(argv) {
    const a = parseOptions(argv, { profile: { type: 'string' } } as const, 1);
    const profile = profileOption(a.values.profile);
    const specs = await experimentsArgument(a.positionals[0], { refuseBuiltInNames: false });
    const { summariseExperiment } = await import('../report/experiment-tables');
    const { scaleSpec } = await import('../experiments/spec');
    const { experimentFigures } = await import('../report/figures/experiment');
    for (const spec of specs) {
      const { tables: t, results } = summariseExperiment(scaleSpec(spec, profile), profile, resultsDir(profile));
      const figs = await experimentFigures(results, t.label, resultsDir(profile));
      console.log(JSON.stringify({ experiment: spec.name, arms: t.arms.length, comparisons: t.comparisons.length, missing: t.missing, figures: figs }, null, 1));
    }
  },
};
